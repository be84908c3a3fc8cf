/// Level-1 vector kernels on flat `Float` vectors.
///
/// Reductions accumulate in several SIMD lanes and return `Double`. Buffers must have equal
/// lengths (a precondition: these are the building blocks the validated public APIs call).
public enum Kernels {
  /// The dot product xᵀy, accumulated in 8-lane partial sums and combined in `Double`.
  /// - Complexity: O(n), one streaming pass over each input.
  @inlinable
  public static func dot(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> Double
  {
    precondition(x.count == y.count, "dot: length mismatch")
    let n = x.count
    guard n > 0, let xp = x.baseAddress, let yp = y.baseAddress else { return 0 }
    var total = 0.0
    var i = 0
    // Blocks of 1024 accumulate in Float lanes, then flush to Double: bounded rounding error.
    while i < n {
      let end = min(n, i + 1024)
      var acc = SIMD8<Float>()
      var j = i
      while j + 8 <= end {
        let a = UnsafeRawPointer(xp + j).loadUnaligned(as: SIMD8<Float>.self)
        let b = UnsafeRawPointer(yp + j).loadUnaligned(as: SIMD8<Float>.self)
        acc += a * b
        j += 8
      }
      var s = 0.0
      for l in 0..<8 { s += Double(acc[l]) }
      while j < end {
        s += Double(xp[j]) * Double(yp[j])
        j += 1
      }
      total += s
      i = end
    }
    return total
  }

  /// y ← a·x + y.
  /// - Complexity: O(n).
  @inlinable
  public static func axpy(
    _ a: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>
  ) {
    precondition(x.count == y.count, "axpy: length mismatch")
    let n = x.count
    guard n > 0, let xp = x.baseAddress, let yp = y.baseAddress else { return }
    let av = SIMD8<Float>(repeating: a)
    var j = 0
    while j + 8 <= n {
      let xv = UnsafeRawPointer(xp + j).loadUnaligned(as: SIMD8<Float>.self)
      let yv = UnsafeRawPointer(yp + j).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(yp + j).storeBytes(of: yv + av * xv, as: SIMD8<Float>.self)
      j += 8
    }
    while j < n {
      yp[j] += a * xp[j]
      j += 1
    }
  }

  /// x ← a·x.
  /// - Complexity: O(n).
  @inlinable
  public static func scale(_ a: Float, _ x: UnsafeMutableBufferPointer<Float>) {
    for i in x.indices { x[i] *= a }
  }

  /// The Euclidean norm ‖x‖₂ (accumulated like ``dot(_:_:)``).
  /// - Complexity: O(n).
  @inlinable
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
}
