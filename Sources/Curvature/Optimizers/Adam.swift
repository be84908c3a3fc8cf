/// Adam (Kingma & Ba) with bias correction, and AdamW (decoupled weight decay,
/// Loshchilov & Hutter), in PyTorch's convention:
///
/// m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,  m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ),
/// w ← w − η (m̂ / (√v̂ + ε) + λ w) (AdamW), or with g ← g + λ w first (Adam, coupled decay).
public struct Adam: Optimizer, Sendable, Equatable {
  /// The learning rate η > 0.
  public var learningRate: Float
  /// The first-moment decay β₁ ∈ [0, 1).
  public var beta1: Float
  /// Adam's rule with β₁ = ``beta1`` (for the preconditioned Hessian P^{-1/2} H P^{-1/2}).
  public var stabilityRule: StabilityRule { .adam(beta1: Double(beta1)) }
  /// The second-moment decay β₂ ∈ [0, 1).
  public var beta2: Float
  /// The denominator offset ε > 0.
  public var epsilon: Float
  /// The weight-decay coefficient λ ≥ 0.
  public var weightDecay: Float
  /// Whether weight decay is decoupled from the gradient (AdamW) or added to it (Adam).
  public var decoupledWeightDecay: Bool
  /// First moments m (empty until the first step).
  public private(set) var firstMoment: [Float] = []
  /// Second moments v (empty until the first step).
  public private(set) var secondMoment: [Float] = []
  public private(set) var stepCount = 0
  /// β₁ᵗ and β₂ᵗ after `stepCount` steps (kept as running products: no `pow`).
  private var beta1Power = 1.0
  private var beta2Power = 1.0

  /// Creates Adam (coupled weight decay) or, with `decoupledWeightDecay`, AdamW.
  /// - Complexity: O(1).
  public init(
    learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
    weightDecay: Float = 0, decoupledWeightDecay: Bool = false
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.decoupledWeightDecay = decoupledWeightDecay
  }

  /// AdamW: Adam with decoupled weight decay λ (default 0.01, as in PyTorch).
  /// - Complexity: O(1).
  public static func adamW(
    learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
    weightDecay: Float = 0.01
  ) -> Adam {
    Adam(
      learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
      weightDecay: weightDecay, decoupledWeightDecay: true)
  }

  public func validate(parameterCount: Int) throws(CurvatureError) {
    try Validate.learningRate(learningRate)
    if !(beta1 >= 0 && beta1 < 1) {
      throw .outOfRange(name: "beta1", value: Double(beta1), range: "[0, 1)")
    }
    if !(beta2 >= 0 && beta2 < 1) {
      throw .outOfRange(name: "beta2", value: Double(beta2), range: "[0, 1)")
    }
    if !(epsilon > 0) || !epsilon.isFinite {
      throw .outOfRange(name: "epsilon", value: Double(epsilon), range: "(0, ∞)")
    }
    if !(weightDecay >= 0) || !weightDecay.isFinite {
      throw .outOfRange(name: "weightDecay", value: Double(weightDecay), range: "[0, ∞)")
    }
    if !firstMoment.isEmpty && firstMoment.count != parameterCount {
      throw .dimensionMismatch(
        name: "firstMoment", expected: parameterCount, actual: firstMoment.count)
    }
    if firstMoment.count != secondMoment.count {
      throw .dimensionMismatch(
        name: "secondMoment", expected: firstMoment.count, actual: secondMoment.count)
    }
  }

  /// - Complexity: O(P), one pass over parameters, gradient and both moments.
  public mutating func step(parameters: inout [Float], gradient: [Float]) throws {
    try stepViaUpdate(parameters: &parameters, gradient: gradient)
  }

  /// - Complexity: O(P).
  public mutating func computeUpdate(
    gradient g: UnsafeBufferPointer<Float>, parameters w: UnsafeBufferPointer<Float>,
    into update: UnsafeMutableBufferPointer<Float>
  ) {
    let n = g.count
    if firstMoment.count != n {
      firstMoment = [Float](repeating: 0, count: n)
      secondMoment = [Float](repeating: 0, count: n)
    }
    stepCount += 1
    beta1Power *= Double(beta1)
    beta2Power *= Double(beta2)
    let b1 = beta1
    let b2 = beta2
    let c1 = Float(1 / (1 - beta1Power))
    let c2 = Float(1 / (1 - beta2Power))
    let eps = epsilon
    let lr = learningRate
    let wd = weightDecay
    let decoupled = decoupledWeightDecay
    firstMoment.withUnsafeMutableBufferPointer { m in
      secondMoment.withUnsafeMutableBufferPointer { v in
        for i in 0..<n {
          let gi = (decoupled || wd == 0) ? g[i] : g[i] + wd * w[i]
          let mi = b1 * m[i] + (1 - b1) * gi
          let vi = b2 * v[i] + (1 - b2) * (gi * gi)
          m[i] = mi
          v[i] = vi
          var d = (mi * c1) / ((vi * c2).squareRoot() + eps)
          if decoupled && wd != 0 { d += wd * w[i] }
          update[i] = -(lr * d)
        }
      }
    }
  }

  /// The diagonal preconditioner √v̂ + ε of the last step (empty before the first step);
  /// P^{-1/2} H P^{-1/2} with P = diag(√v̂ + ε) is the Hessian Adam's stability depends on.
  /// - Complexity: O(P).
  public var preconditionerDiagonal: [Float] {
    guard stepCount > 0 else { return [] }
    let c2 = Float(1 / (1 - beta2Power))
    return secondMoment.map { ($0 * c2).squareRoot() + epsilon }
  }

  public func snapshot() -> OptimizerState {
    OptimizerState(
      kind: "Adam",
      scalars: [
        "learningRate": Double(learningRate), "beta1": Double(beta1), "beta2": Double(beta2),
        "epsilon": Double(epsilon), "weightDecay": Double(weightDecay),
        "decoupledWeightDecay": decoupledWeightDecay ? 1 : 0, "stepCount": Double(stepCount),
        "beta1Power": beta1Power, "beta2Power": beta2Power,
      ],
      arrays: ["firstMoment": firstMoment, "secondMoment": secondMoment])
  }

  public mutating func restore(_ state: OptimizerState) throws {
    try state.expect(kind: "Adam")
    var a = Adam(
      learningRate: try state.float("learningRate"), beta1: try state.float("beta1"),
      beta2: try state.float("beta2"), epsilon: try state.float("epsilon"),
      weightDecay: try state.float("weightDecay"),
      decoupledWeightDecay: try state.scalar("decoupledWeightDecay") != 0)
    a.stepCount = try state.integer("stepCount")
    a.beta1Power = try state.scalar("beta1Power")
    a.beta2Power = try state.scalar("beta2Power")
    a.firstMoment = try state.array("firstMoment", count: nil)
    a.secondMoment = try state.array("secondMoment", count: nil)
    try a.validate(parameterCount: a.firstMoment.count)
    self = a
  }
}
