import Testing

@testable import Curvature

@Suite struct KernelsTests {
  static func referenceDot(_ x: [Float], _ y: [Float]) -> (value: Double, magnitude: Double) {
    var s = 0.0
    var m = 0.0
    for i in x.indices {
      s += Double(x[i]) * Double(y[i])
      m += abs(Double(x[i]) * Double(y[i]))
    }
    return (s, m)
  }

  @Test(arguments: [0, 1, 7, 31, 33, 511, 513, 100_003])
  func dotMatchesDoubleReference(n: Int) {
    var rng = SeededGenerator(seed: UInt64(n + 1))
    let x = rng.gaussianVector(count: n)
    let y = rng.gaussianVector(count: n)
    let (ref, mag) = Self.referenceDot(x, y)
    #expect(abs(Kernels.dot(x, y) - ref) <= 1e-6 * mag)
    let (sq, _) = Self.referenceDot(x, x)
    #expect(abs(Kernels.norm(x) - sq.squareRoot()) <= 1e-6 * sq.squareRoot())
  }

  /// Large terms that cancel across blocks: the Double flush keeps the small remainder exact
  /// (a single Float accumulator would lose it entirely).
  @Test func dotIllConditionedCancellation() {
    var x = [Float](repeating: 1e4, count: 512)
    x += [Float](repeating: -1e4, count: 512)
    x += [Float](repeating: 1e-3, count: 512)
    x += [Float](repeating: 3e4, count: 1024) + [Float](repeating: -3e4, count: 1024)
    let y = [Float](repeating: 1, count: x.count)
    let (ref, mag) = Self.referenceDot(x, y)
    #expect(mag > 1e7 * abs(ref))
    #expect(abs(Kernels.dot(x, y) - ref) <= 1e-9)
    var naive: Float = 0
    for v in x { naive += v }
    // Plain Float summation of the same terms would not meet that bound.
    #expect(abs(Double(naive) - ref) > 1e-6)
  }

  /// Many small terms of one sign: a single Float accumulator drifts; lanes plus Double don't.
  @Test func dotLongSameSignSum() {
    let n = 1_000_000
    let x = [Float](repeating: 1, count: n)
    let y = [Float](repeating: 0.1, count: n)
    let exact = Double(Float(0.1)) * Double(n)
    #expect(abs(Kernels.dot(x, y) - exact) <= 5e-7 * exact)
    var naive: Float = 0
    for v in y { naive += v }
    #expect(abs(Double(naive) - exact) > 1e-4 * exact)
  }

  /// Long vectors run on all cores in fixed chunks: the result equals the chunk sums added in
  /// order (what one core computes), bit for bit, and repeats exactly.
  @Test func dotIsDeterministicAcrossCores() {
    var rng = SeededGenerator(seed: 4)
    let n = Kernels.parallelThreshold + 12_345
    let x = rng.gaussianVector(count: n)
    let y = rng.gaussianVector(count: n)
    let d1 = Kernels.dot(x, y)
    let d2 = Kernels.dot(x, y)
    var serial = 0.0
    x.withUnsafeBufferPointer { xp in
      y.withUnsafeBufferPointer { yp in
        var lo = 0
        while lo < n {
          let hi = min(n, lo + Kernels.chunk)
          serial += Kernels.dotRange(xp.baseAddress! + lo, yp.baseAddress! + lo, hi - lo)
          lo = hi
        }
      }
    }
    #expect(d1.bitPattern == d2.bitPattern)
    #expect(d1.bitPattern == serial.bitPattern)
    let (ref, mag) = Self.referenceDot(x, y)
    #expect(abs(d1 - ref) <= 1e-6 * mag)
  }

  @Test(arguments: [0, 5, 16, 37, Kernels.parallelThreshold + 77])
  func axpyAndScaleMatchReference(n: Int) {
    var rng = SeededGenerator(seed: 9)
    let x = rng.gaussianVector(count: n)
    let y0 = rng.gaussianVector(count: n)
    var y = y0
    Kernels.axpy(-1.25, x, &y)
    var worst: Float = 0
    for i in 0..<n { worst = max(worst, abs(y[i] - (y0[i] + -1.25 * x[i]))) }
    #expect(worst == 0)
    Kernels.scale(0.5, &y)
    for i in 0..<n { worst = max(worst, abs(y[i] - 0.5 * (y0[i] + -1.25 * x[i]))) }
    #expect(worst == 0)
  }

  /// One pass gives the exact largest magnitude (NaN and ±∞ at and above 0x7F80_0000) and Σ x²
  /// within Float accumulation error of a Double reference, for lengths around the vector and
  /// block sizes and past the parallel threshold; the result does not depend on the core count.
  @Test(arguments: [1, 7, 8, 9, 511, 512, 513, 100_003, Kernels.parallelThreshold + 77])
  func magnitudesMatchReferences(n: Int) {
    var rng = SeededGenerator(seed: UInt64(n))
    var x = rng.gaussianVector(count: n).map { $0 * 3 }
    x[n - 1] = -40
    let scan = x.withUnsafeBufferPointer { Kernels.magnitudes($0.baseAddress!, count: n) }
    #expect(Float(bitPattern: scan.largestBits) == 40)
    let reference = x.reduce(0.0) { $0 + Double($1) * Double($1) }
    #expect(abs(scan.sumOfSquares - reference) <= 1e-6 * reference)
    let serial = SerialScope.run {
      x.withUnsafeBufferPointer { Kernels.magnitudes($0.baseAddress!, count: n) }
    }
    #expect(serial.largestBits == scan.largestBits && serial.sumOfSquares == scan.sumOfSquares)
    for bad in [Float.nan, -.infinity] {
      var y = x
      y[n / 2] = bad
      let b = y.withUnsafeBufferPointer { Kernels.magnitudes($0.baseAddress!, count: n) }
      #expect(b.largestBits >= 0x7F80_0000)
    }
  }
}
