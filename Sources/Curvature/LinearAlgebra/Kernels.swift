import CCurvatureKernels

/// Level-1 vector kernels on flat `Float` vectors.
///
/// Reductions accumulate in 32 `Float` SIMD lanes over blocks of 512 elements, flush each
/// block to `Double` and return `Double`. Long vectors (≥ ``parallelThreshold`` elements) are
/// cut into fixed 64 Ki-element chunks spread over the cores; the chunk sums are added in chunk
/// order, so results are bit-for-bit identical from run to run and for any number of cores.
/// Buffers must have equal lengths (a precondition: these are the building blocks the
/// validated public APIs call).
public enum Kernels {
  /// Vectors at least this long are processed on all cores.
  public static let parallelThreshold = 1 << 20

  /// Elements per chunk of a reduction (the unit of the fixed summation order).
  @usableFromInline static let chunk = 1 << 16

  /// Elements per `Float` accumulation block before the lanes are flushed to `Double`.
  @usableFromInline static let block = 512

  /// The dot product xᵀy, accumulated in 32 `Float` lanes per 512-element block and combined
  /// in `Double`; the error is about 16·2⁻²⁴·Σ|xᵢyᵢ| plus Double round-off.
  /// - Complexity: O(n), one streaming pass over each input; all cores when n is large.
  public static func dot(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> Double
  {
    precondition(x.count == y.count, "dot: length mismatch")
    let n = x.count
    guard n > 0, let xp = x.baseAddress, let yp = y.baseAddress else { return 0 }
    return chunkedSum(count: n) { lo, hi in dotRange(xp + lo, yp + lo, hi - lo) }
  }

  /// y ← a·x + y.
  /// - Complexity: O(n); all cores when n is large.
  public static func axpy(
    _ a: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(x.count == y.count, "axpy: length mismatch")
    let n = x.count
    guard n > 0, let xp = x.baseAddress, let yp = y.baseAddress else { return }
    forEachRange(count: n) { lo, hi in axpyRange(a, xp + lo, yp + lo, hi - lo) }
  }

  /// x ← a·x.
  /// - Complexity: O(n); all cores when n is large.
  public static func scale(_ a: Float, _ x: UnsafeMutableBufferPointer<Float>) {
    let n = x.count
    guard n > 0, let xp = x.baseAddress else { return }
    forEachRange(count: n) { lo, hi in scaleRange(a, xp + lo, hi - lo) }
  }

  /// The Euclidean norm ‖x‖₂ (accumulated like ``dot(_:_:)-([Float],_)``).
  /// - Complexity: O(n), one pass.
  public static func norm(_ x: UnsafeBufferPointer<Float>) -> Double {
    dot(x, x).squareRoot()
  }

  /// The dot product of two arrays. - Complexity: O(n).
  @inlinable
  public static func dot(_ x: [Float], _ y: [Float]) -> Double {
    x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in dot(xp, yp) } }
  }

  /// The Euclidean norm of an array. - Complexity: O(n).
  @inlinable
  public static func norm(_ x: [Float]) -> Double {
    x.withUnsafeBufferPointer { norm($0) }
  }

  /// y ← a·x + y on arrays. - Complexity: O(n).
  @inlinable
  public static func axpy(_ a: Float, _ x: [Float], _ y: inout [Float]) {
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { axpy(a, xp, $0) } }
  }

  /// x ← a·x on an array. - Complexity: O(n).
  @inlinable
  public static func scale(_ a: Float, _ x: inout [Float]) {
    x.withUnsafeMutableBufferPointer { scale(a, $0) }
  }

  // MARK: - Partitioning

  /// Σ over fixed chunks of `body(lo, hi)`, added in chunk order (chunks run on all cores for
  /// long vectors). The result depends only on `count`, never on timing or core count.
  static func chunkedSum(count n: Int, _ body: (Int, Int) -> Double) -> Double {
    let chunks = (n + chunk - 1) / chunk
    if n < parallelThreshold || Parallel.processorCount < 2 {
      var total = 0.0
      var lo = 0
      while lo < n {
        let hi = Swift.min(n, lo + chunk)
        total += body(lo, hi)
        lo = hi
      }
      return total
    }
    let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks)
    defer { partial.deallocate() }
    Parallel.forEach(chunks) { c in partial[c] = body(c * chunk, Swift.min(n, (c + 1) * chunk)) }
    var total = 0.0
    for c in 0..<chunks { total += partial[c] }
    return total
  }

  /// max_i (bit pattern of x[i] with the sign bit cleared): the largest |x[i]| as a bit
  /// pattern, at least 0x7F80_0000 exactly when an element is NaN or ±∞. Exact, so the same on
  /// every path; AVX2 where available.
  /// - Complexity: O(n), one pass; all cores when n is large.
  static func largestMagnitudeBits(_ x: UnsafePointer<Float>, count n: Int) -> UInt32 {
    if n < parallelThreshold || Parallel.processorCount < 2 {
      return curvature_largest_magnitude_bits(n, x)
    }
    let chunks = (n + chunk - 1) / chunk
    let partial = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: chunks)
    defer { partial.deallocate() }
    Parallel.forEach(chunks) { c in
      let lo = c * chunk
      partial[c] = curvature_largest_magnitude_bits(Swift.min(n, lo + chunk) - lo, x + lo)
    }
    return partial.max() ?? 0
  }

  /// The index of the first NaN or ±∞ in `x`, or `nil`: one pass of
  /// ``largestMagnitudeBits(_:count:)``, and a search for the index only when there is one.
  /// - Complexity: O(n), one pass on all cores when n is large (two when `x` holds NaN/Inf).
  static func firstNonFinite(_ x: UnsafeBufferPointer<Float>) -> Int? {
    guard let base = x.baseAddress,
      largestMagnitudeBits(base, count: x.count) >= 0x7F80_0000
    else { return nil }
    return x.firstIndex { !$0.isFinite }
  }

  /// ``largestMagnitudeBits(_:count:)`` and Σ x[i]² (in Double, over fixed chunks added in
  /// chunk order, so the sum depends only on the data) from one pass.
  /// - Complexity: O(n), one pass; all cores when n is large.
  static func magnitudes(_ x: UnsafePointer<Float>, count n: Int) -> (
    largestBits: UInt32, sumOfSquares: Double
  ) {
    if n < parallelThreshold || Parallel.processorCount < 2 {
      var s = 0.0
      let bits = curvature_magnitude_scan(n, x, &s)
      return (bits, s)
    }
    let chunks = (n + chunk - 1) / chunk
    let bits = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: chunks)
    let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks)
    defer {
      bits.deallocate()
      sums.deallocate()
    }
    Parallel.forEach(chunks) { c in
      let lo = c * chunk
      bits[c] = curvature_magnitude_scan(
        Swift.min(n, lo + chunk) - lo, x + lo, sums.baseAddress! + c)
    }
    var total = 0.0
    for c in 0..<chunks { total += sums[c] }
    return (bits.max() ?? 0, total)
  }

  /// Calls `body(lo, hi)` on the fixed chunks covering `0..<count`, on all cores when long.
  static func forEachRange(count n: Int, _ body: (Int, Int) -> Void) {
    if n < parallelThreshold || Parallel.processorCount < 2 {
      body(0, n)
      return
    }
    let chunks = (n + chunk - 1) / chunk
    Parallel.forEach(chunks) { c in body(c * chunk, Swift.min(n, (c + 1) * chunk)) }
  }

  // MARK: - Serial SIMD loops

  /// Σ x[i]·y[i] over n elements: 32 Float lanes per 512-element block, flushed to Double.
  @usableFromInline
  static func dotRange(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Double {
    let xr = UnsafeRawPointer(x)
    let yr = UnsafeRawPointer(y)
    let stride = MemoryLayout<Float>.stride
    var total = 0.0
    var i = 0
    while i < n {
      let end = Swift.min(n, i + block)
      var a0 = SIMD8<Float>()
      var a1 = SIMD8<Float>()
      var a2 = SIMD8<Float>()
      var a3 = SIMD8<Float>()
      while i + 32 <= end {
        let o = i * stride
        a0 +=
          xr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
          * yr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
        a1 +=
          xr.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
          * yr.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
        a2 +=
          xr.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
          * yr.loadUnaligned(fromByteOffset: o + 64, as: SIMD8<Float>.self)
        a3 +=
          xr.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
          * yr.loadUnaligned(fromByteOffset: o + 96, as: SIMD8<Float>.self)
        i += 32
      }
      var s = flush(a0) + flush(a1) + flush(a2) + flush(a3)
      while i < end {
        s += Double(x[i]) * Double(y[i])
        i += 1
      }
      total += s
    }
    return total
  }

  /// The sum of 8 Float lanes in Double.
  @inlinable @inline(__always)
  static func flush(_ v: SIMD8<Float>) -> Double {
    let lo = SIMD4<Double>(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]))
    let hi = SIMD4<Double>(Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
    return (lo + hi).sum()
  }

  @usableFromInline
  static func axpyRange(
    _ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int
  ) {
    let xr = UnsafeRawPointer(x)
    let yr = UnsafeMutableRawPointer(y)
    let av = SIMD8<Float>(repeating: a)
    var i = 0
    while i + 16 <= n {
      let o = i * 4
      let y0 = yr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
      let y1 = yr.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
      let x0 = xr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
      let x1 = xr.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
      yr.storeBytes(of: y0 + av * x0, toByteOffset: o, as: SIMD8<Float>.self)
      yr.storeBytes(of: y1 + av * x1, toByteOffset: o + 32, as: SIMD8<Float>.self)
      i += 16
    }
    while i < n {
      y[i] += a * x[i]
      i += 1
    }
  }

  @usableFromInline
  static func scaleRange(_ a: Float, _ x: UnsafeMutablePointer<Float>, _ n: Int) {
    let xr = UnsafeMutableRawPointer(x)
    let av = SIMD8<Float>(repeating: a)
    var i = 0
    while i + 16 <= n {
      let o = i * 4
      let x0 = xr.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
      let x1 = xr.loadUnaligned(fromByteOffset: o + 32, as: SIMD8<Float>.self)
      xr.storeBytes(of: av * x0, toByteOffset: o, as: SIMD8<Float>.self)
      xr.storeBytes(of: av * x1, toByteOffset: o + 32, as: SIMD8<Float>.self)
      i += 16
    }
    while i < n {
      x[i] *= a
      i += 1
    }
  }
}
