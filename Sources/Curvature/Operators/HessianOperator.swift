/// Anything that multiplies vectors by a fixed symmetric matrix H ∈ R^{P×P} (usually a Hessian).
///
/// Implementations count their products in ``productCount`` (a block of b vectors counts b), so
/// every solver can report its cost in Hessian-vector products (HVPs).
public protocol HessianOperator: AnyObject {
  /// The dimension P.
  var dimension: Int { get }
  /// The number of matrix–vector products computed so far.
  var productCount: Int { get }
  /// out ← H v. Both buffers have `dimension` elements.
  func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) throws
  /// out ← H V for a block of `count` vectors stored column by column (P × count, column-major).
  /// The default loops over ``apply(_:into:)``; models override it with batched HVPs.
  func apply(
    block v: UnsafeBufferPointer<Float>, count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws
}

extension HessianOperator {
  /// Loops over the columns.
  public func apply(
    block v: UnsafeBufferPointer<Float>, count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    let p = dimension
    precondition(v.count == p * count && out.count == p * count)
    for j in 0..<count {
      try apply(
        UnsafeBufferPointer(rebasing: v[(j * p)..<((j + 1) * p)]),
        into: UnsafeMutableBufferPointer(rebasing: out[(j * p)..<((j + 1) * p)]))
    }
  }

  /// H v as a new array, validating the input.
  /// - Throws: `CurvatureError` for a wrong length or NaN/Inf in `v`.
  /// - Complexity: one product.
  public func apply(_ v: [Float]) throws -> [Float] {
    try Validate.count("v", v.count, dimension)
    try Validate.finite("v", v)
    var out = [Float](repeating: 0, count: dimension)
    try v.withUnsafeBufferPointer { vp in
      try out.withUnsafeMutableBufferPointer { try apply(vp, into: $0) }
    }
    return out
  }
}

/// A Hessian operator defined by a closure `(v, out) → out = H v`.
public final class ClosureOperator: HessianOperator {
  public let dimension: Int
  public private(set) var productCount = 0
  private let body: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) throws -> Void

  /// Wraps `body`, which must write H v into its second argument.
  /// - Complexity: O(1); each product costs one call of `body`.
  public init(
    dimension: Int,
    _ body: @escaping (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) throws -> Void
  ) {
    self.dimension = dimension
    self.body = body
  }

  public func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>)
    throws
  {
    productCount += 1
    try body(v, out)
  }
}

/// A dense symmetric matrix as an operator (tests, the command line, small problems).
public final class DenseSymmetricOperator: HessianOperator {
  public let dimension: Int
  public private(set) var productCount = 0
  /// Row-major n×n entries.
  public let matrix: [Float]

  /// - Throws: `CurvatureError` if `n < 1`, n² overflows `Int`, `matrix.count != n*n` or it
  ///   holds NaN/Inf.
  public init(matrix: [Float], order n: Int) throws(CurvatureError) {
    if n < 1 { throw .outOfRange(name: "order", value: Double(n), range: "[1, ∞)") }
    let (square, overflow) = n.multipliedReportingOverflow(by: n)
    if overflow { throw .outOfRange(name: "order", value: Double(n), range: "n² must fit in Int") }
    try Validate.count("matrix", matrix.count, square)
    try Validate.finite("matrix", matrix)
    self.dimension = n
    self.matrix = matrix
  }

  /// - Complexity: O(n²).
  public func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    productCount += 1
    let n = dimension
    matrix.withUnsafeBufferPointer { m in
      for i in 0..<n {
        out[i] = Float(Kernels.dot(UnsafeBufferPointer(rebasing: m[(i * n)..<((i + 1) * n)]), v))
      }
    }
  }
}
