import CCurvatureKernels

/// Measurements of this machine's compute limits, used to express kernel speeds as fractions
/// of what the hardware can do.
public enum ComputeProbe {
  /// The core clock in Hz, measured from a chain of dependent integer additions (one per
  /// cycle): the best of `trials` short runs, so a run that lost the core to another process
  /// does not count. `nil` where no probe exists (non-x86-64).
  /// - Complexity: `trials × iterations × 16` cycles (about 0.1 s at the defaults).
  public static func clockFrequency(trials: Int = 40, iterations: Int = 500_000) -> Double? {
    var best = 0.0
    for _ in 0..<Swift.max(1, trials) {
      best = Swift.max(best, curvature_probe_clock_hz(iterations))
    }
    return best > 0 ? best : nil
  }

  /// Measured FP32 FMA throughput in FLOP/s (2 per lane per FMA) with 12 independent
  /// FMA chains per core on `threads` threads, for the instruction set the matrix multiply
  /// uses: the best of `trials` short runs per thread, summed over threads (`nil` without a
  /// vector FMA kernel).
  /// - Complexity: `trials × iterations` loop trips of 12 FMAs on each thread.
  public static func fmaThroughput(threads: Int, trials: Int = 40, iterations: Int = 200_000)
    -> Double?
  {
    #if arch(x86_64)
      let isa = CGemm.isa
      guard isa == CURVATURE_ISA_AVX512 || isa == CURVATURE_ISA_AVX2_FMA else { return nil }
      let parts = Swift.max(1, threads)
      let rates = UnsafeMutableBufferPointer<Double>.allocate(capacity: parts)
      defer { rates.deallocate() }
      Parallel.forEach(parts) { t in
        var best = 0.0
        for _ in 0..<Swift.max(1, trials) {
          best = Swift.max(best, curvature_probe_fma_flops(isa, iterations))
        }
        rates[t] = best
      }
      return rates.reduce(0, +)
    #else
      return nil
    #endif
  }
}
