/// The shifted operator H − σI.
///
/// Shifting moves the spectrum without changing eigenvectors: e.g. the smallest eigenvalues of
/// H are the largest of σI − H, and a shift by an upper bound turns "smallest" into "largest".
public final class ShiftedOperator: HessianOperator {
  /// The operator H.
  public let base: any HessianOperator
  /// The shift σ.
  public let shift: Double
  public var dimension: Int { base.dimension }
  public private(set) var productCount = 0

  /// - Throws: `CurvatureError` if `shift` is NaN or infinite.
  public init(_ base: any HessianOperator, shift: Double) throws(CurvatureError) {
    if !shift.isFinite { throw .nonFinite(name: "shift", index: 0) }
    self.base = base
    self.shift = shift
  }

  /// - Complexity: one product of `base` and O(P).
  public func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>)
    throws
  {
    productCount += 1
    try base.apply(v, into: out)
    Kernels.axpy(Float(-shift), v, out)
  }

  /// - Complexity: one block product of `base` and O(P b).
  public func apply(
    block v: UnsafeBufferPointer<Float>, count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    productCount += count
    try base.apply(block: v, count: count, into: out)
    Kernels.axpy(Float(-shift), v, out)
  }
}
