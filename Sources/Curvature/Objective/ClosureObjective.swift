/// Adapts closures to ``DifferentiableObjective``: the quickest way to bring your own model.
///
/// Supply one closure that returns the loss and its gradient together (and the per-sample
/// losses when asked), or separate per-sample-loss and gradient closures; optionally an exact
/// HVP and a Gauss–Newton product. Without an HVP closure, HVPs are central differences of the
/// gradient, Hv ≈ (∇L(w + εv) − ∇L(w − εv)) / 2ε with ε = 10⁻³·max(1, ‖w‖)/‖v‖, and the
/// objective declares them inexact (``hessianProductAccuracy``) so that a
/// ``DominantSubspaceTracker`` does not ask them for more accuracy than they have.
///
/// ```swift
/// let objective = ClosureObjective(parameterCount: p, sampleCount: n) { w, indices, wantsPerSample in
///   let (losses, gradient) = myModel.lossesAndGradient(w, indices)
///   return .init(loss: losses.reduce(0, +) / Double(losses.count), gradient: gradient,
///                perSampleLosses: wantsPerSample ? losses : nil)
/// }
/// ```
public final class ClosureObjective: DifferentiableObjective {
  /// Per-sample losses at w for the given sample indices (one value per index, in order).
  public typealias PerSampleLosses = ([Float], [Int]) throws -> [Double]
  /// The gradient of the mean loss at w over the given sample indices.
  public typealias Gradient = ([Float], [Int]) throws -> [Float]
  /// H v (or G v) of the mean loss at w over the given sample indices.
  public typealias Product = ([Float], [Int], [Float]) throws -> [Float]
  /// The mean loss and its gradient at w over the given sample indices, plus the per-sample
  /// losses (in index order) when the third argument is `true`.
  public typealias Evaluate = ([Float], [Int], Bool) throws -> Evaluation

  /// What an ``Evaluate`` closure returns.
  public struct Evaluation: Sendable {
    /// The mean loss over the samples.
    public var loss: Double
    /// The gradient of the mean loss (P entries).
    public var gradient: [Float]
    /// The per-sample losses, in index order (required when asked for, else ignored).
    public var perSampleLosses: [Double]?

    /// Creates an evaluation. - Complexity: O(1).
    public init(loss: Double, gradient: [Float], perSampleLosses: [Double]? = nil) {
      self.loss = loss
      self.gradient = gradient
      self.perSampleLosses = perSampleLosses
    }
  }

  private enum Source {
    case separate(PerSampleLosses, Gradient)
    case combined(Evaluate)
  }

  /// The number of parameters P.
  public let parameterCount: Int
  /// The number of samples N.
  public let sampleCount: Int
  /// ``HessianProductAccuracy/exact`` with an HVP closure; otherwise the declared accuracy of
  /// the central differences (``HessianProductAccuracy/centralDifferenceDefault`` unless given).
  public let hessianProductAccuracy: HessianProductAccuracy
  private let source: Source
  private let hvp: Product?
  private let ggn: Product?

  /// Wraps separate per-sample-loss and gradient closures for a model with `parameterCount`
  /// parameters and `sampleCount` samples. A gradient evaluation then costs one call of each.
  /// `finiteDifferenceAccuracy` is the accuracy declared for the central-difference HVPs used
  /// without `hessianVectorProduct` (ignored with it).
  /// - Complexity: O(1).
  public init(
    parameterCount: Int, sampleCount: Int, perSampleLosses: @escaping PerSampleLosses,
    gradient: @escaping Gradient, hessianVectorProduct: Product? = nil,
    gaussNewtonVectorProduct: Product? = nil,
    finiteDifferenceAccuracy: HessianProductAccuracy = .centralDifferenceDefault
  ) {
    self.parameterCount = parameterCount
    self.sampleCount = sampleCount
    self.source = .separate(perSampleLosses, gradient)
    self.hvp = hessianVectorProduct
    self.ggn = gaussNewtonVectorProduct
    self.hessianProductAccuracy = hessianVectorProduct == nil ? finiteDifferenceAccuracy : .exact
  }

  /// Wraps one closure that returns the mean loss and its gradient together (one call per
  /// gradient evaluation), and the per-sample losses when its third argument is `true`.
  /// `finiteDifferenceAccuracy` is the accuracy declared for the central-difference HVPs used
  /// without `hessianVectorProduct` (ignored with it).
  /// - Complexity: O(1).
  public init(
    parameterCount: Int, sampleCount: Int, hessianVectorProduct: Product? = nil,
    gaussNewtonVectorProduct: Product? = nil,
    finiteDifferenceAccuracy: HessianProductAccuracy = .centralDifferenceDefault,
    lossAndGradient: @escaping Evaluate
  ) {
    self.parameterCount = parameterCount
    self.sampleCount = sampleCount
    self.source = .combined(lossAndGradient)
    self.hvp = hessianVectorProduct
    self.ggn = gaussNewtonVectorProduct
    self.hessianProductAccuracy = hessianVectorProduct == nil ? finiteDifferenceAccuracy : .exact
  }

  private func check(_ w: UnsafeBufferPointer<Float>, _ samples: SampleSet) throws {
    try Validate.count("parameters", w.count, parameterCount)
    try samples.validate(sampleCount: sampleCount)
  }

  private func perSample(_ w: [Float], _ samples: SampleSet) throws -> [Double] {
    let l: [Double]
    switch source {
    case .separate(let losses, _): l = try losses(w, samples.indexArray)
    case .combined(let evaluate):
      guard let given = try evaluate(w, samples.indexArray, true).perSampleLosses else {
        throw CurvatureError.invalidArgument(
          name: "lossAndGradient",
          reason: "returned no per-sample losses when asked for them (third argument true)")
      }
      l = given
    }
    try Validate.count("perSampleLosses result", l.count, samples.count)
    return l
  }

  /// The mean loss and the gradient at `w`, checked for size.
  private func evaluate(_ w: [Float], _ samples: SampleSet) throws -> (Double, [Float]) {
    let loss: Double
    let g: [Float]
    switch source {
    case .separate(let losses, let grad):
      g = try grad(w, samples.indexArray)
      let l = try losses(w, samples.indexArray)
      try Validate.count("perSampleLosses result", l.count, samples.count)
      loss = l.reduce(0, +) / Double(l.count)
    case .combined(let evaluate):
      let e = try evaluate(w, samples.indexArray, false)
      (loss, g) = (e.loss, e.gradient)
    }
    try Validate.count("gradient result", g.count, parameterCount)
    return (loss, g)
  }

  /// The gradient alone (for finite differences).
  private func gradientOnly(_ w: [Float], _ samples: SampleSet) throws -> [Float] {
    let g: [Float]
    switch source {
    case .separate(_, let grad): g = try grad(w, samples.indexArray)
    case .combined(let evaluate): g = try evaluate(w, samples.indexArray, false).gradient
    }
    try Validate.count("gradient result", g.count, parameterCount)
    return g
  }

  /// The mean loss. - Complexity: one `perSampleLosses` call, or one `lossAndGradient` call.
  public func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    try check(w, samples)
    switch source {
    case .separate:
      let l = try perSample(Array(w), samples)
      return l.reduce(0, +) / Double(l.count)
    case .combined(let evaluate):
      return try evaluate(Array(w), samples.indexArray, false).loss
    }
  }

  /// - Complexity: one `gradient` and one `perSampleLosses` call, or one `lossAndGradient` call.
  public func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    try check(w, samples)
    try Validate.count("gradient", gradient.count, parameterCount)
    let (l, g) = try evaluate(Array(w), samples)
    for i in 0..<parameterCount { gradient[i] = g[i] }
    return l
  }

  /// The supplied HVP, or central differences of the gradient.
  /// - Complexity: one HVP call, or two gradient calls.
  public func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try check(w, samples)
    try Validate.count("direction", v.count, parameterCount)
    try Validate.count("out", out.count, parameterCount)
    let r: [Float]
    if let hvp {
      r = try hvp(Array(w), samples.indexArray, Array(v))
    } else {
      let vn = Kernels.norm(v)
      if vn == 0 {
        for i in 0..<parameterCount { out[i] = 0 }
        return
      }
      let wn = Kernels.norm(w)
      let eps = Float(1e-3 * max(1, wn) / vn)
      let plus = (0..<parameterCount).map { w[$0] + eps * v[$0] }
      let minus = (0..<parameterCount).map { w[$0] - eps * v[$0] }
      let gp = try gradientOnly(plus, samples)
      let gm = try gradientOnly(minus, samples)
      r = (0..<parameterCount).map { (gp[$0] - gm[$0]) / (2 * eps) }
    }
    try Validate.count("hessianVectorProduct result", r.count, parameterCount)
    for i in 0..<parameterCount { out[i] = r[i] }
  }

  /// Whether a Gauss–Newton product closure was given.
  public var providesGaussNewtonProducts: Bool { ggn != nil }

  /// The supplied Gauss–Newton product; throws `CurvatureError.unsupported` without one.
  /// - Complexity: one call.
  public func gaussNewtonVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    guard let ggn else {
      throw CurvatureError.unsupported("this ClosureObjective has no Gauss–Newton product")
    }
    try check(w, samples)
    try Validate.count("direction", v.count, parameterCount)
    try Validate.count("out", out.count, parameterCount)
    let r = try ggn(Array(w), samples.indexArray, Array(v))
    try Validate.count("gaussNewtonVectorProduct result", r.count, parameterCount)
    for i in 0..<parameterCount { out[i] = r[i] }
  }

  /// - Complexity: one `perSampleLosses` call, or one `lossAndGradient` call asking for them.
  public func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    try check(w, samples)
    try Validate.count("losses", losses.count, samples.count)
    let l = try perSample(Array(w), samples)
    for i in 0..<l.count { losses[i] = l[i] }
  }
}
