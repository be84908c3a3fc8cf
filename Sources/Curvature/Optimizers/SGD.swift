/// Stochastic gradient descent with optional heavy-ball or Nesterov momentum and (coupled)
/// L2 weight decay, in PyTorch's convention:
///
/// g′ = g + λ w,  v ← μ v + g′,  d = g′ + μ v (Nesterov) or v (heavy ball) or g′ (μ = 0),
/// w ← w − η d.
///
/// The velocity starts at zero, so the first step is w ← w − η g′ for every variant.
public struct SGD: Optimizer, Sendable, Equatable {
  /// The learning rate η > 0.
  public var learningRate: Float
  /// The momentum coefficient μ ∈ [0, 1).
  public var momentum: Float
  /// Whether to use Nesterov momentum (requires μ > 0).
  public var nesterov: Bool
  /// The L2 weight-decay coefficient λ ≥ 0 (added to the gradient).
  public var weightDecay: Float
  /// The velocity v (empty until the first step with μ > 0).
  public private(set) var velocity: [Float] = []
  public private(set) var stepCount = 0

  /// Creates an SGD optimizer. Settings are validated at the first step (and by
  /// ``validate(parameterCount:)``).
  /// - Complexity: O(1).
  public init(
    learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0
  ) {
    self.learningRate = learningRate
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
  }

  public func validate(parameterCount: Int) throws(CurvatureError) {
    try Validate.learningRate(learningRate)
    if !(momentum >= 0 && momentum < 1) {
      throw .outOfRange(name: "momentum", value: Double(momentum), range: "[0, 1)")
    }
    if nesterov && momentum == 0 {
      throw .invalidArgument(name: "nesterov", reason: "Nesterov momentum needs momentum > 0")
    }
    if !(weightDecay >= 0) || !weightDecay.isFinite {
      throw .outOfRange(name: "weightDecay", value: Double(weightDecay), range: "[0, ∞)")
    }
    if !velocity.isEmpty && velocity.count != parameterCount {
      throw .dimensionMismatch(name: "velocity", expected: parameterCount, actual: velocity.count)
    }
  }

  /// Heavy ball with β = ``momentum`` when it is positive, else plain gradient descent.
  public var stabilityRule: StabilityRule {
    momentum > 0 ? .heavyBall(momentum: Double(momentum)) : .gradientDescent
  }

  /// - Complexity: O(P), one pass over parameters, gradient and velocity.
  ///
  /// - Throws: `CurvatureError` for mismatched sizes or NaN/Inf input, and
  ///   `CurvatureError.diverged` when the update could leave the `Float` range (a bound from
  ///   the largest |w|, |g| and |velocity|, checked before anything is written): the parameters
  ///   and the optimizer state are then unchanged.
  public mutating func step(parameters: inout [Float], gradient: [Float]) throws {
    try Validate.count("gradient", gradient.count, parameters.count)
    try validate(parameterCount: parameters.count)
    guard let gMax = gradient.withUnsafeBufferPointer({ Validate.largestMagnitude($0) }) else {
      try Validate.finite("gradient", gradient)
      return
    }
    guard let wMax = parameters.withUnsafeBufferPointer({ Validate.largestMagnitude($0) }) else {
      try Validate.finite("parameters", parameters)
      return
    }
    var vMax: Float = 0
    if momentum != 0 && !velocity.isEmpty {
      vMax = velocity.withUnsafeBufferPointer { Validate.largestMagnitude($0) } ?? .infinity
    }
    // |w − η(μv + g + λw)| ≤ |w| + η(μ|v| + |g| + λ|w|), in Double so the bound cannot overflow.
    let step =
      Double(learningRate)
      * (Double(momentum) * Double(vMax) + Double(gMax) + Double(weightDecay) * Double(wMax))
    if !(Double(wMax) + step <= Double(Float.greatestFiniteMagnitude))
      || !(Double(momentum) * Double(vMax) + Double(gMax) <= Double(Float.greatestFiniteMagnitude))
    {
      throw CurvatureError.diverged(
        reason:
          "SGD step \(stepCount): learning rate \(learningRate) × largest gradient \(gMax) "
          + "would take the parameters (largest \(wMax)) out of the Float range; nothing changed")
    }
    let lr = learningRate
    gradient.withUnsafeBufferPointer { g in
      parameters.withUnsafeMutableBufferPointer { w in
        if momentum == 0 {
          if weightDecay == 0 {
            for i in 0..<w.count { w[i] -= lr * g[i] }
          } else {
            let wd = weightDecay
            for i in 0..<w.count { w[i] -= lr * (g[i] + wd * w[i]) }
          }
        } else {
          advance(gradient: g, parameters: UnsafeBufferPointer(w)) { i, d in w[i] -= lr * d }
        }
      }
    }
    stepCount += 1
  }

  /// The projected step of ``ProjectedOptimizer`` in one pass, for plain SGD (no momentum, no
  /// weight decay): w ← w − η·(α·U c + β·(g − U c)) with c = Uᵀg given, without storing the
  /// projected gradient. `largest` holds max|w_i| and max|g_i| (inputs already checked finite).
  /// - Returns: `false` (nothing done) when momentum or weight decay is set.
  /// - Throws: `CurvatureError.diverged` when the step could leave the `Float` range; nothing
  ///   changes then.
  /// - Complexity: O(P k), one pass over U, g and w.
  mutating func stepProjected(
    parameters: inout [Float], gradient: [Float], basis: Basis,
    coefficients c: UnsafeBufferPointer<Double>, dominantWeight a: Float, bulkWeight b: Float,
    largest: (parameters: Float, gradient: Float)
  ) throws -> Bool {
    guard momentum == 0, weightDecay == 0 else { return false }
    // |(α U c + β (g − U c))_i| ≤ |β| max|g| + |α − β| Σ|c_j| max|U_ij|, with |U_ij| ≤ 1 for unit
    // columns (1.001 covers their rounding and a binary16 copy).
    var sum = 0.0
    for j in 0..<c.count { sum += abs(c[j]) }
    let direction = Double(abs(b)) * Double(largest.gradient) + Double(abs(a - b)) * sum * 1.001
    let bound = Double(largest.parameters) + Double(learningRate) * direction
    if !(bound <= Double(Float.greatestFiniteMagnitude)) {
      throw CurvatureError.diverged(
        reason:
          "SGD step \(stepCount): learning rate \(learningRate) × projected gradient (up to "
          + "\(direction)) could take the parameters (largest \(largest.parameters)) out of the "
          + "Float range; nothing changed")
    }
    gradient.withUnsafeBufferPointer { g in
      parameters.withUnsafeMutableBufferPointer { w in
        basis.descend(
          w, along: g, learningRate: learningRate, dominantWeight: a, bulkWeight: b,
          knownCoefficients: c)
      }
    }
    stepCount += 1
    return true
  }

  /// - Complexity: O(P).
  public mutating func computeUpdate(
    gradient g: UnsafeBufferPointer<Float>, parameters w: UnsafeBufferPointer<Float>,
    into update: UnsafeMutableBufferPointer<Float>
  ) {
    let lr = learningRate
    if momentum == 0 {
      let wd = weightDecay
      if wd == 0 {
        for i in 0..<g.count { update[i] = -(lr * g[i]) }
      } else {
        for i in 0..<g.count { update[i] = -(lr * (g[i] + wd * w[i])) }
      }
    } else {
      advance(gradient: g, parameters: w) { i, d in update[i] = -(lr * d) }
    }
    stepCount += 1
  }

  /// Updates the velocity and hands each coordinate's direction d to `emit`.
  @inline(__always)
  private mutating func advance(
    gradient g: UnsafeBufferPointer<Float>, parameters w: UnsafeBufferPointer<Float>,
    _ emit: (Int, Float) -> Void
  ) {
    if velocity.count != g.count { velocity = [Float](repeating: 0, count: g.count) }
    let mu = momentum
    let wd = weightDecay
    let nest = nesterov
    velocity.withUnsafeMutableBufferPointer { v in
      for i in 0..<g.count {
        let gi = wd == 0 ? g[i] : g[i] + wd * w[i]
        let vi = mu * v[i] + gi
        v[i] = vi
        emit(i, nest ? gi + mu * vi : vi)
      }
    }
  }

  public func snapshot() -> OptimizerState {
    OptimizerState(
      kind: "SGD",
      scalars: [
        "learningRate": Double(learningRate), "momentum": Double(momentum),
        "nesterov": nesterov ? 1 : 0, "weightDecay": Double(weightDecay),
        "stepCount": Double(stepCount),
      ],
      arrays: ["velocity": velocity])
  }

  public mutating func restore(_ state: OptimizerState) throws {
    try state.expect(kind: "SGD")
    var s = SGD(
      learningRate: try state.float("learningRate"), momentum: try state.float("momentum"),
      nesterov: try state.scalar("nesterov") != 0, weightDecay: try state.float("weightDecay"))
    s.stepCount = try state.integer("stepCount")
    s.velocity = try state.array("velocity", count: nil)
    try s.validate(parameterCount: s.velocity.count)
    self = s
  }
}
