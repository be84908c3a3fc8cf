/// Adapts closures to ``DifferentiableObjective``: the quickest way to bring your own model.
///
/// Supply per-sample losses and a gradient; optionally an exact HVP (otherwise HVPs are
/// central differences of the gradient, Hv ≈ (∇L(w + εv) − ∇L(w − εv)) / 2ε with ε scaled to
/// ‖w‖ and ‖v‖) and a Gauss–Newton product. The loss is the mean of the per-sample losses.
public final class ClosureObjective: DifferentiableObjective {
  /// Per-sample losses at w for the given sample indices (one value per index, in order).
  public typealias PerSampleLosses = ([Float], [Int]) throws -> [Double]
  /// The gradient of the mean loss at w over the given sample indices.
  public typealias Gradient = ([Float], [Int]) throws -> [Float]
  /// H v (or G v) of the mean loss at w over the given sample indices.
  public typealias Product = ([Float], [Int], [Float]) throws -> [Float]

  /// The number of parameters P.
  public let parameterCount: Int
  /// The number of samples N.
  public let sampleCount: Int
  private let losses: PerSampleLosses
  private let grad: Gradient
  private let hvp: Product?
  private let ggn: Product?

  /// Wraps closures for a model with `parameterCount` parameters and `sampleCount` samples.
  /// - Complexity: O(1).
  public init(
    parameterCount: Int, sampleCount: Int, perSampleLosses: @escaping PerSampleLosses,
    gradient: @escaping Gradient, hessianVectorProduct: Product? = nil,
    gaussNewtonVectorProduct: Product? = nil
  ) {
    self.parameterCount = parameterCount
    self.sampleCount = sampleCount
    self.losses = perSampleLosses
    self.grad = gradient
    self.hvp = hessianVectorProduct
    self.ggn = gaussNewtonVectorProduct
  }

  private func check(_ w: UnsafeBufferPointer<Float>, _ samples: SampleSet) throws {
    try Validate.count("parameters", w.count, parameterCount)
    try samples.validate(sampleCount: sampleCount)
  }

  private func perSample(_ w: UnsafeBufferPointer<Float>, _ samples: SampleSet) throws -> [Double] {
    let l = try losses(Array(w), samples.indexArray)
    try Validate.count("perSampleLosses result", l.count, samples.count)
    return l
  }

  /// The mean of the per-sample losses. - Complexity: one `perSampleLosses` call.
  public func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    try check(w, samples)
    let l = try perSample(w, samples)
    return l.reduce(0, +) / Double(l.count)
  }

  /// - Complexity: one `gradient` and one `perSampleLosses` call.
  public func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    try check(w, samples)
    try Validate.count("gradient", gradient.count, parameterCount)
    let g = try grad(Array(w), samples.indexArray)
    try Validate.count("gradient result", g.count, parameterCount)
    for i in 0..<parameterCount { gradient[i] = g[i] }
    let l = try perSample(w, samples)
    return l.reduce(0, +) / Double(l.count)
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
      let gp = try grad(plus, samples.indexArray)
      let gm = try grad(minus, samples.indexArray)
      try Validate.count("gradient result", gp.count, parameterCount)
      try Validate.count("gradient result", gm.count, parameterCount)
      r = (0..<parameterCount).map { (gp[$0] - gm[$0]) / (2 * eps) }
    }
    try Validate.count("hessianVectorProduct result", r.count, parameterCount)
    for i in 0..<parameterCount { out[i] = r[i] }
  }

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

  /// - Complexity: one `perSampleLosses` call.
  public func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    try check(w, samples)
    try Validate.count("losses", losses.count, samples.count)
    let l = try perSample(w, samples)
    for i in 0..<l.count { losses[i] = l[i] }
  }
}
