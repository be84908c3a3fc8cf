/// Clips gradients to a maximum global ℓ₂ norm before any optimizer:
/// g ← g · min(1, c / ‖g‖).
public struct ClippedOptimizer<Base: Optimizer>: Optimizer {
  /// The wrapped optimizer.
  public var base: Base
  /// The maximum gradient norm c > 0.
  public var maxNorm: Float
  /// The norm ‖g‖ of the last gradient seen (before clipping), in `Double`.
  public private(set) var lastGradientNorm = 0.0
  /// How many steps were clipped.
  public private(set) var clippedSteps = 0

  /// Wraps `base`.
  /// - Complexity: O(1).
  public init(base: Base, maxNorm: Float) {
    self.base = base
    self.maxNorm = maxNorm
  }

  public var learningRate: Float {
    get { base.learningRate }
    set { base.learningRate = newValue }
  }
  public var effectiveLearningRate: Float { base.effectiveLearningRate }
  /// The base optimizer's rule.
  public var stabilityRule: StabilityRule { base.stabilityRule }
  public var stepCount: Int { base.stepCount }

  public func validate(parameterCount: Int) throws(CurvatureError) {
    if !(maxNorm > 0) || !maxNorm.isFinite {
      throw .outOfRange(name: "maxNorm", value: Double(maxNorm), range: "(0, ∞)")
    }
    try base.validate(parameterCount: parameterCount)
  }

  /// The clipping factor min(1, c/‖g‖) for a gradient of norm `norm`.
  @inline(__always)
  func factor(norm: Double) -> Float {
    norm > Double(maxNorm) ? Float(Double(maxNorm) / norm) : 1
  }

  /// - Complexity: O(P) for the norm and the scaling, plus the base step.
  public mutating func step(parameters: inout [Float], gradient: [Float]) throws {
    try Validate.step(parameters: parameters, gradient: gradient)
    try validate(parameterCount: parameters.count)
    let norm = Kernels.norm(gradient)
    let f = factor(norm: norm)
    if f < 1 {
      var g = gradient
      Kernels.scale(f, &g)
      try base.step(parameters: &parameters, gradient: g)
      clippedSteps += 1
    } else {
      try base.step(parameters: &parameters, gradient: gradient)
    }
    lastGradientNorm = norm
  }

  public mutating func computeUpdate(
    gradient: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
    into update: UnsafeMutableBufferPointer<Float>
  ) {
    let norm = Kernels.norm(gradient)
    let f = factor(norm: norm)
    lastGradientNorm = norm
    if f < 1 {
      clippedSteps += 1
      let g = gradient.map { $0 * f }
      g.withUnsafeBufferPointer {
        base.computeUpdate(gradient: $0, parameters: parameters, into: update)
      }
    } else {
      base.computeUpdate(gradient: gradient, parameters: parameters, into: update)
    }
  }

  public mutating func extendWarmup(by steps: Int) -> Bool { base.extendWarmup(by: steps) }

  public mutating func updateProjection(_ body: (inout SubspaceProjection) throws -> Void)
    rethrows -> Bool
  {
    try base.updateProjection(body)
  }

  public func snapshot() -> OptimizerState {
    OptimizerState(
      kind: "Clipped",
      scalars: [
        "maxNorm": Double(maxNorm), "lastGradientNorm": lastGradientNorm,
        "clippedSteps": Double(clippedSteps),
      ]
    ).merging(base.snapshot(), prefix: "base.")
  }

  public mutating func restore(_ state: OptimizerState) throws {
    try state.expect(kind: "Clipped")
    var copy = self
    try copy.base.restore(try state.child(prefix: "base."))
    copy.maxNorm = try state.float("maxNorm")
    copy.lastGradientNorm = try state.scalar("lastGradientNorm")
    copy.clippedSteps = try state.integer("clippedSteps")
    self = copy
  }
}
