/// A differentiable loss over a finite, indexable sample set: what a training loop already has.
///
/// The loss is the mean of per-sample losses ℓ_i(w) over a ``SampleSet``. Conforming types supply
/// the loss, its gradient, Hessian-vector products (HVPs) and per-sample losses, and declare
/// how accurate their HVPs are (``hessianProductAccuracy``, exact by default); the
/// block HVP and Gauss–Newton products have defaults. All buffers are flat `Float` vectors of
/// length ``parameterCount`` unless stated. Implementations validate `samples` and throw
/// `CurvatureError` for bad input.
public protocol DifferentiableObjective: AnyObject {
  /// The number of parameters P.
  var parameterCount: Int { get }
  /// The number of samples N.
  var sampleCount: Int { get }

  /// The mean loss over `samples` at `w`.
  func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double

  /// Writes the gradient of the mean loss into `gradient` and returns the loss.
  func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double

  /// Writes H v (Hessian of the mean loss over `samples` at `w`) into `out`.
  func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws

  /// Writes H V for `count` directions stored column-major (P × count) into `out`.
  /// The default loops; models override it to reuse the forward pass.
  func hessianVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws

  /// Writes the generalised Gauss–Newton product G v = Jᵀ (∇²_z ℓ) J v into `out`.
  /// The default throws `CurvatureError.unsupported`.
  func gaussNewtonVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws

  /// Writes G V for `count` directions stored column-major (P × count) into `out`.
  /// The default loops over ``gaussNewtonVectorProduct(at:samples:direction:into:)``.
  func gaussNewtonVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws

  /// Whether ``gaussNewtonVectorProduct(at:samples:direction:into:)`` is implemented (the
  /// default, `false`, leaves ``CurvatureMatrix/gaussNewton`` refreshes on the Hessian).
  var providesGaussNewtonProducts: Bool { get }

  /// Writes the per-sample losses ℓ_i(w), in the order of `samples`, into `losses`
  /// (`samples.count` elements).
  func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws

  /// How accurate ``hessianVectorProduct(at:samples:direction:into:)`` is. Eigensolvers and
  /// ``DominantSubspaceTracker`` pick tolerances and product caps from it. The default is
  /// ``HessianProductAccuracy/exact``; objectives whose products are finite differences of
  /// gradients declare ``HessianProductAccuracy/finiteDifference(relativeError:)``.
  var hessianProductAccuracy: HessianProductAccuracy { get }
}

extension DifferentiableObjective {
  /// Exact products (the default for every objective that does not say otherwise).
  public var hessianProductAccuracy: HessianProductAccuracy { .exact }

  /// Calls `product` with each of the `count` columns of `v` (P × count, column-major) and the
  /// matching column of `out`: the default block products. - Complexity: `count` calls.
  func forEachColumn(
    of v: UnsafeBufferPointer<Float>, count: Int, into out: UnsafeMutableBufferPointer<Float>,
    _ product: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) throws -> Void
  ) rethrows {
    let p = parameterCount
    for j in 0..<count {
      try product(
        UnsafeBufferPointer(rebasing: v[(j * p)..<((j + 1) * p)]),
        UnsafeMutableBufferPointer(rebasing: out[(j * p)..<((j + 1) * p)]))
    }
  }

  public func hessianVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try forEachColumn(of: v, count: count, into: out) {
      try hessianVectorProduct(at: w, samples: samples, direction: $0, into: $1)
    }
  }

  public func gaussNewtonVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    throw Self.gaussNewtonUnsupported
  }

  /// The error of a Gauss–Newton product asked of an objective that does not provide them.
  static var gaussNewtonUnsupported: CurvatureError {
    .unsupported("\(Self.self) does not provide Gauss–Newton products")
  }

  /// Throws ``CurvatureError/unsupported(_:)`` unless ``providesGaussNewtonProducts``: a
  /// check before any work that needs them. - Complexity: O(1).
  func requireGaussNewtonProducts() throws(CurvatureError) {
    if !providesGaussNewtonProducts { throw Self.gaussNewtonUnsupported }
  }

  public func gaussNewtonVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try forEachColumn(of: v, count: count, into: out) {
      try gaussNewtonVectorProduct(at: w, samples: samples, direction: $0, into: $1)
    }
  }

  /// Checks a point at which an operator of this objective is taken: the parameter count, no
  /// NaN/Inf, and the samples. - Complexity: O(P + |samples|).
  func validatePoint(_ parameters: [Float], _ samples: SampleSet) throws(CurvatureError) {
    try Validate.count("parameters", parameters.count, parameterCount)
    try Validate.finite("parameters", parameters)
    try samples.validate(sampleCount: sampleCount)
  }

  /// `false`: objectives that implement Gauss–Newton products say so.
  public var providesGaussNewtonProducts: Bool { false }

  /// The mean loss at `w` (validated). - Complexity: one forward pass.
  public func loss(at w: [Float], samples: SampleSet) throws -> Double {
    try Validate.count("parameters", w.count, parameterCount)
    try samples.validate(sampleCount: sampleCount)
    return try w.withUnsafeBufferPointer { try loss(at: $0, samples: samples) }
  }

  /// The loss and gradient at `w` (validated). - Complexity: one forward and backward pass.
  public func lossAndGradient(at w: [Float], samples: SampleSet) throws -> (
    loss: Double, gradient: [Float]
  ) {
    try Validate.count("parameters", w.count, parameterCount)
    try samples.validate(sampleCount: sampleCount)
    var g = [Float](repeating: 0, count: parameterCount)
    let l = try w.withUnsafeBufferPointer { wp in
      try g.withUnsafeMutableBufferPointer { try gradient(at: wp, samples: samples, into: $0) }
    }
    return (l, g)
  }

  /// H v at `w` (validated). - Complexity: one HVP (about two gradients).
  public func hessianVectorProduct(at w: [Float], samples: SampleSet, direction v: [Float]) throws
    -> [Float]
  {
    try Validate.count("parameters", w.count, parameterCount)
    try Validate.count("direction", v.count, parameterCount)
    try Validate.finite("direction", v)
    try samples.validate(sampleCount: sampleCount)
    var out = [Float](repeating: 0, count: parameterCount)
    try w.withUnsafeBufferPointer { wp in
      try v.withUnsafeBufferPointer { vp in
        try out.withUnsafeMutableBufferPointer {
          try hessianVectorProduct(at: wp, samples: samples, direction: vp, into: $0)
        }
      }
    }
    return out
  }

  /// Per-sample losses at `w` (validated). - Complexity: one forward pass.
  public func perSampleLosses(at w: [Float], samples: SampleSet) throws -> [Double] {
    try Validate.count("parameters", w.count, parameterCount)
    try samples.validate(sampleCount: sampleCount)
    var out = [Double](repeating: 0, count: samples.count)
    try w.withUnsafeBufferPointer { wp in
      try out.withUnsafeMutableBufferPointer {
        try perSampleLosses(at: wp, samples: samples, into: $0)
      }
    }
    return out
  }
}

/// The Hessian of an objective at fixed parameters and samples, as a ``HessianOperator``.
///
/// Holds a copy of the parameters; block products go to the objective's batched HVP.
public final class ObjectiveHessian: HessianOperator {
  /// The objective whose Hessian this is.
  public let objective: any DifferentiableObjective
  /// The parameters at which the Hessian is taken.
  public let parameters: [Float]
  /// The Hessian batch.
  public let samples: SampleSet
  public var dimension: Int { objective.parameterCount }
  public private(set) var productCount = 0

  /// - Throws: `CurvatureError` for a wrong parameter count, NaN/Inf or bad samples.
  public init(objective: any DifferentiableObjective, at parameters: [Float], samples: SampleSet)
    throws(CurvatureError)
  {
    try objective.validatePoint(parameters, samples)
    self.objective = objective
    self.parameters = parameters
    self.samples = samples
  }

  public func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>)
    throws
  {
    productCount += 1
    try parameters.withUnsafeBufferPointer {
      try objective.hessianVectorProduct(at: $0, samples: samples, direction: v, into: out)
    }
  }

  public func apply(
    block v: UnsafeBufferPointer<Float>, count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    productCount += count
    try parameters.withUnsafeBufferPointer {
      try objective.hessianVectorProducts(
        at: $0, samples: samples, directions: v, count: count, into: out)
    }
  }
}
