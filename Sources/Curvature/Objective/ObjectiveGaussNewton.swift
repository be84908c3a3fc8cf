/// The generalised Gauss–Newton matrix G = Jᵀ (∇²_z ℓ) J of an objective at fixed parameters and
/// samples, as a ``HessianOperator`` (see ``CurvatureMatrix``).
///
/// Holds a copy of the parameters; block products go to the objective's batched
/// ``DifferentiableObjective/gaussNewtonVectorProducts(at:samples:directions:count:into:)``.
public final class ObjectiveGaussNewton: HessianOperator {
  /// The objective whose Gauss–Newton matrix this is.
  public let objective: any DifferentiableObjective
  /// The parameters at which the matrix is taken.
  public let parameters: [Float]
  /// The batch of samples.
  public let samples: SampleSet
  public var dimension: Int { objective.parameterCount }
  public private(set) var productCount = 0

  /// - Throws: `CurvatureError.unsupported` when the objective does not provide Gauss–Newton
  ///   products (``DifferentiableObjective/providesGaussNewtonProducts``), or for a wrong
  ///   parameter count, NaN/Inf or bad samples.
  /// - Complexity: O(P) (the parameters are checked and copied).
  public init(objective: any DifferentiableObjective, at parameters: [Float], samples: SampleSet)
    throws(CurvatureError)
  {
    try objective.requireGaussNewtonProducts()
    try objective.validatePoint(parameters, samples)
    self.objective = objective
    self.parameters = parameters
    self.samples = samples
  }

  /// out ← G v. - Complexity: one Gauss–Newton product.
  public func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>)
    throws
  {
    productCount += 1
    try parameters.withUnsafeBufferPointer {
      try objective.gaussNewtonVectorProduct(at: $0, samples: samples, direction: v, into: out)
    }
  }

  /// out ← G V for `count` columns. - Complexity: `count` Gauss–Newton products (one batched
  /// pass for models that batch them).
  public func apply(
    block v: UnsafeBufferPointer<Float>, count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    productCount += count
    try parameters.withUnsafeBufferPointer {
      try objective.gaussNewtonVectorProducts(
        at: $0, samples: samples, directions: v, count: count, into: out)
    }
  }
}
