/// The deflated operator H − Σᵢ λᵢ uᵢ uᵢᵀ, which removes known eigenpairs (λᵢ, uᵢ) from H.
///
/// With exact eigenpairs, the deflated operator has the same eigenvectors with those
/// eigenvalues replaced by 0, so a solver applied to it finds the next eigenpairs.
public final class DeflatedOperator: HessianOperator {
  /// The operator H.
  public let base: any HessianOperator
  /// The orthonormal vectors uᵢ.
  public let vectors: Basis
  /// The values λᵢ removed along each uᵢ.
  public let values: [Double]
  public var dimension: Int { base.dimension }
  public private(set) var productCount = 0

  /// - Throws: `CurvatureError` if the basis dimension differs from the operator's, or
  ///   `values` has the wrong length or holds NaN/Inf.
  public init(_ base: any HessianOperator, removing values: [Double], along vectors: Basis)
    throws(CurvatureError)
  {
    try Validate.count("vectors.dimension", vectors.dimension, base.dimension)
    try Validate.count("values", values.count, vectors.count)
    try Validate.finite("values", values)
    self.base = base
    self.vectors = vectors
    self.values = values
  }

  /// Deflates the eigenpairs of a solver's result.
  public convenience init(_ base: any HessianOperator, removing result: EigenResult)
    throws(CurvatureError)
  {
    try self.init(base, removing: result.eigenvalues, along: result.vectors)
  }

  /// - Complexity: one product of `base` and O(P k).
  public func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>)
    throws
  {
    productCount += 1
    try base.apply(v, into: out)
    deflate(v, out)
  }

  /// - Complexity: one block product of `base` and O(P k b).
  public func apply(
    block v: UnsafeBufferPointer<Float>, count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    productCount += count
    try base.apply(block: v, count: count, into: out)
    let p = dimension
    for j in 0..<count {
      deflate(
        UnsafeBufferPointer(rebasing: v[(j * p)..<((j + 1) * p)]),
        UnsafeMutableBufferPointer(rebasing: out[(j * p)..<((j + 1) * p)]))
    }
  }

  private func deflate(_ v: UnsafeBufferPointer<Float>, _ out: UnsafeMutableBufferPointer<Float>) {
    let k = vectors.count
    if k == 0 { return }
    var c = [Double](repeating: 0, count: k)
    c.withUnsafeMutableBufferPointer { vectors.coefficients(of: v, into: $0) }
    for i in 0..<k { c[i] *= -values[i] }
    c.withUnsafeBufferPointer { vectors.combine($0, into: out, accumulate: true) }
  }
}
