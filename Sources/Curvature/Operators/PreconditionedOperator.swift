/// The preconditioned operator P^{-1/2} H P^{-1/2} for a positive diagonal P.
///
/// With P = diag(√v̂ + ε) from Adam (``Adam/preconditionerDiagonal``), its largest eigenvalue is
/// the sharpness that governs Adam's stability (threshold (2 + 2β₁)/(η(1 − β₁))).
public final class PreconditionedOperator: HessianOperator {
  /// The operator H.
  public let base: any HessianOperator
  /// The diagonal of P.
  public let diagonal: [Float]
  /// P^{-1/2}, elementwise.
  private let scale: [Float]
  public var dimension: Int { base.dimension }
  public private(set) var productCount = 0

  /// - Throws: `CurvatureError` if `diagonal` has the wrong length or a non-positive or
  ///   non-finite entry.
  /// - Complexity: O(P).
  public init(_ base: any HessianOperator, diagonal: [Float]) throws(CurvatureError) {
    try Validate.count("diagonal", diagonal.count, base.dimension)
    try Validate.finite("diagonal", diagonal)
    if let i = diagonal.firstIndex(where: { !($0 > 0) }) {
      throw .invalidArgument(name: "diagonal", reason: "entry \(i) is not positive")
    }
    self.base = base
    self.diagonal = diagonal
    self.scale = diagonal.map { 1 / $0.squareRoot() }
  }

  /// P = diag(√v̂ + ε) from a bias-corrected second-moment estimate v̂.
  /// - Throws: `CurvatureError` for a wrong length, negative or non-finite entries, or ε ≤ 0.
  public convenience init(
    _ base: any HessianOperator, secondMoment: [Float], epsilon: Float
  ) throws(CurvatureError) {
    try Validate.positive("epsilon", Double(epsilon))
    try Validate.finite("secondMoment", secondMoment)
    if let i = secondMoment.firstIndex(where: { $0 < 0 }) {
      throw .invalidArgument(name: "secondMoment", reason: "entry \(i) is negative")
    }
    try self.init(base, diagonal: secondMoment.map { $0.squareRoot() + epsilon })
  }

  /// - Complexity: one product of `base` and O(P).
  public func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>)
    throws
  {
    productCount += 1
    try apply(block: v, count: 1, counted: false, into: out)
  }

  /// - Complexity: one block product of `base` and O(P b).
  public func apply(
    block v: UnsafeBufferPointer<Float>, count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    productCount += count
    try apply(block: v, count: count, counted: false, into: out)
  }

  private func apply(
    block v: UnsafeBufferPointer<Float>, count: Int, counted: Bool,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    let p = dimension
    var scaled = [Float](repeating: 0, count: p * count)
    scale.withUnsafeBufferPointer { s in
      for j in 0..<count { for i in 0..<p { scaled[j * p + i] = s[i] * v[j * p + i] } }
    }
    try scaled.withUnsafeBufferPointer { sp in
      if count == 1 {
        try base.apply(sp, into: out)
      } else {
        try base.apply(block: sp, count: count, into: out)
      }
    }
    scale.withUnsafeBufferPointer { s in
      for j in 0..<count { for i in 0..<p { out[j * p + i] *= s[i] } }
    }
  }
}
