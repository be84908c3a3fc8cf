import CCurvatureKernels

/// Measurements of this machine's compute limits, used to express kernel speeds as fractions
/// of what the hardware can do.
public enum ComputeProbe {
  /// The core clock in Hz, measured from a chain of dependent integer additions (one per
  /// cycle), or `nil` where no probe exists (non-x86-64).
  /// - Complexity: about `iterations × 16` cycles (0.1 s at the default).
  public static func clockFrequency(iterations: Int = 16_000_000) -> Double? {
    let hz = curvature_probe_clock_hz(iterations)
    return hz > 0 ? hz : nil
  }

  /// Measured FP32 FMA throughput in FLOP/s (2 per lane per FMA) with 12 independent
  /// FMA chains per core on `threads` threads, for the instruction set the matrix multiply
  /// uses (`nil` without a vector FMA kernel).
  /// - Complexity: `iterations` loop trips of 12 FMAs on each thread.
  public static func fmaThroughput(threads: Int, iterations: Int = 20_000_000) -> Double? {
    #if arch(x86_64)
      let isa = CGemm.isa
      guard isa == CURVATURE_ISA_AVX512 || isa == CURVATURE_ISA_AVX2_FMA else { return nil }
      let parts = Swift.max(1, threads)
      let rates = UnsafeMutableBufferPointer<Double>.allocate(capacity: parts)
      defer { rates.deallocate() }
      Parallel.run(parts: parts) { rates[$0] = curvature_probe_fma_flops(isa, iterations) }
      return rates.reduce(0, +)
    #else
      return nil
    #endif
  }
}
