/// The subspace projection in front of an optimizer (MATH.md §1): with U the current top-k
/// Hessian eigenbasis, a vector x becomes α·U(Uᵀx) + β·(x − U(Uᵀx)).
///
/// (α, β) = (1, 1) is plain SGD, (1, 0) Dom-SGD, (0, 1) Bulk-SGD. The projection acts on the
/// gradient before the base optimizer, or on the base optimizer's update Δw (Song, Ahn and
/// Yun's convention for momentum and Adam); for plain SGD the two coincide. Until a basis is
/// set (usually by a ``DominantSubspaceTracker``) the projection is the identity.
public struct SubspaceProjection: Sendable, Equatable {
  /// Which part of a vector is kept.
  public enum Mode: Sendable, Hashable, Codable {
    /// The identity (plain SGD): weights (1, 1).
    case full
    /// Only the dominant part U(Uᵀx): weights (1, 0) (Dom-SGD).
    case dominant
    /// Only the bulk part x − U(Uᵀx): weights (0, 1) (Bulk-SGD).
    case bulk
    /// α·dominant + β·bulk with α, β in ``SubspaceProjection/weightRange``.
    case interpolated(dominant: Float, bulk: Float)

    /// The weights (α, β) of the dominant and bulk parts.
    public var weights: (dominant: Float, bulk: Float) {
      switch self {
      case .full: return (1, 1)
      case .dominant: return (1, 0)
      case .bulk: return (0, 1)
      case .interpolated(let a, let b): return (a, b)
      }
    }
  }

  /// Where the projection acts.
  public enum Placement: String, Sendable, Hashable, Codable {
    /// On the gradient, before the base optimizer (its state sees projected gradients).
    case gradient
    /// On the base optimizer's update Δw (its state sees raw gradients).
    case update
  }

  /// A linear ramp of (α, β) from `start` to `end` over steps `startStep..<endStep`
  /// (constant outside), overriding the mode's weights.
  public struct Schedule: Sendable, Hashable, Codable {
    /// Weights before `startStep`.
    public var startDominant: Float
    /// Weights before `startStep`.
    public var startBulk: Float
    /// Weights from `endStep` on.
    public var endDominant: Float
    /// Weights from `endStep` on.
    public var endBulk: Float
    /// First step of the ramp.
    public var startStep: Int
    /// Step at which the end weights are reached.
    public var endStep: Int

    /// Creates a ramp from `start` to `end` weights.
    /// - Complexity: O(1).
    public init(
      from start: (dominant: Float, bulk: Float), to end: (dominant: Float, bulk: Float),
      startStep: Int, endStep: Int
    ) {
      startDominant = start.dominant
      startBulk = start.bulk
      endDominant = end.dominant
      endBulk = end.bulk
      self.startStep = startStep
      self.endStep = endStep
    }

    /// The weights at step `t`. - Complexity: O(1).
    public func weights(at t: Int) -> (dominant: Float, bulk: Float) {
      if t <= startStep { return (startDominant, startBulk) }
      if t >= endStep { return (endDominant, endBulk) }
      let s = Float(Double(t - startStep) / Double(endStep - startStep))
      return (
        startDominant + s * (endDominant - startDominant), startBulk + s * (endBulk - startBulk)
      )
    }
  }

  /// The documented range of the weights α and β.
  public static let weightRange: ClosedRange<Float> = 0...10

  /// The mode (used when ``schedule`` is `nil`).
  public var mode: Mode
  /// Where the projection acts.
  public var placement: Placement
  /// An optional schedule for (α, β), overriding ``mode``.
  public var schedule: Schedule?
  /// The current basis U (P × k, orthonormal); `nil` means "no basis yet": the identity.
  public var basis: Basis?

  /// Creates a projection.
  /// - Complexity: O(1).
  public init(
    mode: Mode, placement: Placement = .gradient, schedule: Schedule? = nil, basis: Basis? = nil
  ) {
    self.mode = mode
    self.placement = placement
    self.schedule = schedule
    self.basis = basis
  }

  /// The weights (α, β) used at step `t`. - Complexity: O(1).
  public func weights(at t: Int) -> (dominant: Float, bulk: Float) {
    schedule?.weights(at: t) ?? mode.weights
  }

  /// Checks the weights and the basis against `dimension` (P).
  /// - Throws: `CurvatureError` for weights outside ``weightRange`` or NaN, a basis of another
  ///   dimension, or a basis with k ≥ P.
  /// - Complexity: O(1).
  public func validate(dimension: Int, step t: Int = 0) throws(CurvatureError) {
    // Checked one by one (no temporary array: this runs at every optimizer step).
    func check(_ name: String, _ v: Float) throws(CurvatureError) {
      if !Self.weightRange.contains(v) {
        throw .outOfRange(name: name, value: Double(v), range: "[0, 10]")
      }
    }
    if let s = schedule {
      if s.endStep < s.startStep {
        throw .invalidArgument(name: "schedule", reason: "endStep precedes startStep")
      }
      try check("startDominant", s.startDominant)
      try check("startBulk", s.startBulk)
      try check("endDominant", s.endDominant)
      try check("endBulk", s.endBulk)
    } else {
      let w = mode.weights
      try check("dominant weight α", w.dominant)
      try check("bulk weight β", w.bulk)
    }
    if let b = basis {
      if b.dimension != dimension {
        throw .dimensionMismatch(name: "basis", expected: dimension, actual: b.dimension)
      }
      if b.count >= dimension {
        throw .outOfRange(name: "k", value: Double(b.count), range: "[0, \(dimension - 1)]")
      }
    }
  }

  /// out ← α·U(Uᵀx) + β·(x − U(Uᵀx)) with the weights of step `t` (unchecked; call
  /// ``validate(dimension:step:)`` first). `out` must not alias `x`.
  /// - Complexity: O(P k): two streaming passes over U (none when α = β or there is no basis).
  public func apply(
    _ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, step t: Int
  ) {
    apply(x, into: out, step: t, knownCoefficients: nil)
  }

  /// ``apply(_:into:step:)`` reusing c = Uᵀx when the caller already computed it for this
  /// basis and this x (one pass over U instead of two; the same bits).
  func apply(
    _ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, step t: Int,
    knownCoefficients known: UnsafeBufferPointer<Double>?
  ) {
    let (a, b) = weights(at: t)
    guard let basis, basis.count > 0, a != b else {
      let s = basis == nil || basis!.count == 0 ? Float(1) : a
      if s == 1 {
        _ = out.update(fromContentsOf: x)
      } else {
        for i in 0..<x.count { out[i] = s * x[i] }
      }
      return
    }
    if let known, known.count == basis.count {
      basis.project(x, dominantWeight: a, bulkWeight: b, into: out, knownCoefficients: known)
      return
    }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: basis.count) { c in
      basis.project(x, dominantWeight: a, bulkWeight: b, into: out, coefficients: c)
    }
  }
}

/// Any optimizer behind a ``SubspaceProjection``: Dom-SGD, Bulk-SGD and their interpolations
/// (with momentum or Adam as the base, acting on the gradient or on Δw).
public struct ProjectedOptimizer<Base: Optimizer>: Optimizer {
  /// The wrapped optimizer.
  public var base: Base
  /// The projection (mode, placement, schedule and the current basis).
  public var projection: SubspaceProjection
  /// Steps taken through this wrapper (the projection schedule's t).
  public private(set) var stepCount = 0
  private var scratch: [Float] = []
  private var scratch2: [Float] = []

  /// Wraps `base`.
  /// - Complexity: O(1).
  public init(base: Base, projection: SubspaceProjection) {
    self.base = base
    self.projection = projection
  }

  public var learningRate: Float {
    get { base.learningRate }
    set { base.learningRate = newValue }
  }
  public var effectiveLearningRate: Float { base.effectiveLearningRate }
  /// The base optimizer's rule.
  public var stabilityRule: StabilityRule { base.stabilityRule }

  public func validate(parameterCount: Int) throws(CurvatureError) {
    try projection.validate(dimension: parameterCount, step: stepCount)
    try base.validate(parameterCount: parameterCount)
  }

  /// The fast path of a tracked step: reuses Uᵀg when the projection acts on the gradient with
  /// the tracker's `basis` (same bits as ``step(parameters:gradient:)``).
  /// - Complexity: one pass over U fewer than ``step(parameters:gradient:)``.
  public mutating func stepReusingCoefficients(
    parameters: inout [Float], gradient: [Float], coefficients: UnsafeBufferPointer<Double>,
    basis: Basis
  ) throws -> Bool {
    guard projection.placement == .gradient, let current = projection.basis,
      basis.sharesStorage(with: current)
    else { return false }
    try step(parameters: &parameters, gradient: gradient, gradientCoefficients: coefficients)
    return true
  }

  /// - Complexity: O(P k) for the projection plus the base step.
  public mutating func step(parameters: inout [Float], gradient: [Float]) throws {
    try step(parameters: &parameters, gradient: gradient, gradientCoefficients: nil)
  }

  /// ``step(parameters:gradient:)`` with c = Uᵀg already computed for the projection's basis
  /// and this gradient (used when the projection acts on the gradient; the same bits).
  /// `largest` (max|w_i|, max|g_i|) comes from a caller that has just checked `parameters` and
  /// `gradient` (a tracker step): the count and NaN/Inf passes are then skipped.
  ///
  /// With plain SGD as the base (no momentum, no weight decay) and the projection on the
  /// gradient, the step is one pass over U, g and w (``SGD`` adds −η times the projected
  /// gradient without storing it); otherwise the projected vector goes to the base optimizer.
  mutating func step(
    parameters: inout [Float], gradient: [Float],
    gradientCoefficients known: UnsafeBufferPointer<Double>?,
    largest: (parameters: Float, gradient: Float)? = nil
  ) throws {
    let magnitudes =
      try largest ?? Validate.stepMagnitudes(parameters: parameters, gradient: gradient)
    try validate(parameterCount: parameters.count)
    if projection.placement == .gradient, var sgd = base as? SGD,
      try fusedStep(
        &sgd, parameters: &parameters, gradient: gradient, known: known, largest: magnitudes)
    {
      base = sgd as! Base
      stepCount += 1
      return
    }
    let n = parameters.count
    if scratch.count != n { scratch = [Float](repeating: 0, count: n) }
    switch projection.placement {
    case .gradient:
      gradient.withUnsafeBufferPointer { g in
        scratch.withUnsafeMutableBufferPointer {
          projection.apply(g, into: $0, step: stepCount, knownCoefficients: known)
        }
      }
      try base.step(parameters: &parameters, gradient: scratch)
    case .update:
      if scratch2.count != n { scratch2 = [Float](repeating: 0, count: n) }
      parameters.withUnsafeBufferPointer { w in
        gradient.withUnsafeBufferPointer { g in
          scratch.withUnsafeMutableBufferPointer {
            base.computeUpdate(gradient: g, parameters: w, into: $0)
          }
        }
      }
      scratch.withUnsafeBufferPointer { u in
        scratch2.withUnsafeMutableBufferPointer { projection.apply(u, into: $0, step: stepCount) }
      }
      scratch2.withUnsafeBufferPointer { d in
        parameters.withUnsafeMutableBufferPointer { w in
          for i in 0..<w.count { w[i] += d[i] }
        }
      }
    }
    stepCount += 1
  }

  /// The one-pass projected step for a plain SGD base (``SGD/stepProjected``), computing
  /// c = Uᵀg unless `known`. - Returns: `false` (nothing done) when it does not apply: no basis,
  /// equal weights, or momentum or weight decay in `sgd`.
  private func fusedStep(
    _ sgd: inout SGD, parameters: inout [Float], gradient: [Float],
    known: UnsafeBufferPointer<Double>?, largest: (parameters: Float, gradient: Float)
  ) throws -> Bool {
    let (a, b) = projection.weights(at: stepCount)
    guard let basis = projection.basis, basis.count > 0, a != b, sgd.momentum == 0,
      sgd.weightDecay == 0
    else { return false }
    if let known, known.count == basis.count {
      return try sgd.stepProjected(
        parameters: &parameters, gradient: gradient, basis: basis, coefficients: known,
        dominantWeight: a, bulkWeight: b, largest: largest)
    }
    return try withUnsafeTemporaryAllocation(of: Double.self, capacity: basis.count) { c in
      gradient.withUnsafeBufferPointer { basis.coefficients(of: $0, into: c) }
      return try sgd.stepProjected(
        parameters: &parameters, gradient: gradient, basis: basis,
        coefficients: UnsafeBufferPointer(c), dominantWeight: a, bulkWeight: b, largest: largest)
    }
  }

  public mutating func computeUpdate(
    gradient: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
    into update: UnsafeMutableBufferPointer<Float>
  ) {
    let n = gradient.count
    if scratch.count != n { scratch = [Float](repeating: 0, count: n) }
    switch projection.placement {
    case .gradient:
      scratch.withUnsafeMutableBufferPointer {
        projection.apply(gradient, into: $0, step: stepCount)
      }
      scratch.withUnsafeBufferPointer {
        base.computeUpdate(gradient: $0, parameters: parameters, into: update)
      }
    case .update:
      scratch.withUnsafeMutableBufferPointer {
        base.computeUpdate(gradient: gradient, parameters: parameters, into: $0)
      }
      scratch.withUnsafeBufferPointer { projection.apply($0, into: update, step: stepCount) }
    }
    stepCount += 1
  }

  public mutating func extendWarmup(by steps: Int) -> Bool { base.extendWarmup(by: steps) }

  /// Calls `body` with this wrapper's projection (the outermost projection wins).
  /// - Complexity: O(1) plus the cost of `body`.
  public mutating func updateProjection(_ body: (inout SubspaceProjection) throws -> Void)
    rethrows -> Bool
  {
    var p = projection
    try body(&p)
    projection = p
    return true
  }

  public func snapshot() -> OptimizerState {
    var s = OptimizerState(
      kind: "Projected",
      scalars: ["stepCount": Double(stepCount)],
      strings: ["placement": projection.placement.rawValue])
    let w = projection.mode.weights
    switch projection.mode {
    case .full: s.strings["mode"] = "full"
    case .dominant: s.strings["mode"] = "dominant"
    case .bulk: s.strings["mode"] = "bulk"
    case .interpolated:
      s.strings["mode"] = "interpolated"
      s.scalars["alpha"] = Double(w.dominant)
      s.scalars["beta"] = Double(w.bulk)
    }
    if let sc = projection.schedule {
      s.scalars["schedule.startDominant"] = Double(sc.startDominant)
      s.scalars["schedule.startBulk"] = Double(sc.startBulk)
      s.scalars["schedule.endDominant"] = Double(sc.endDominant)
      s.scalars["schedule.endBulk"] = Double(sc.endBulk)
      s.scalars["schedule.startStep"] = Double(sc.startStep)
      s.scalars["schedule.endStep"] = Double(sc.endStep)
    }
    if let b = projection.basis {
      s.scalars["basis.dimension"] = Double(b.dimension)
      s.scalars["basis.count"] = Double(b.count)
      s.arrays["basis"] = b.storage
      if b.precision != .single { s.strings["basis.precision"] = b.precision.rawValue }
    }
    return s.merging(base.snapshot(), prefix: "base.")
  }

  public mutating func restore(_ state: OptimizerState) throws {
    try state.expect(kind: "Projected")
    var copy = self
    try copy.base.restore(try state.child(prefix: "base."))
    copy.stepCount = try state.integer("stepCount")
    guard let placement = SubspaceProjection.Placement(rawValue: try state.string("placement"))
    else { throw CurvatureError.invalidArgument(name: "state", reason: "unknown placement") }
    copy.projection.placement = placement
    switch try state.string("mode") {
    case "full": copy.projection.mode = .full
    case "dominant": copy.projection.mode = .dominant
    case "bulk": copy.projection.mode = .bulk
    case "interpolated":
      copy.projection.mode = .interpolated(
        dominant: try state.float("alpha"), bulk: try state.float("beta"))
    default: throw CurvatureError.invalidArgument(name: "state", reason: "unknown projection mode")
    }
    if state.scalars["schedule.startStep"] != nil {
      copy.projection.schedule = SubspaceProjection.Schedule(
        from: (try state.float("schedule.startDominant"), try state.float("schedule.startBulk")),
        to: (try state.float("schedule.endDominant"), try state.float("schedule.endBulk")),
        startStep: try state.integer("schedule.startStep"),
        endStep: try state.integer("schedule.endStep"))
    } else {
      copy.projection.schedule = nil
    }
    if let storage = state.arrays["basis"] {
      let p = try state.integer("basis.dimension")
      let k = try state.integer("basis.count")
      guard p > 0, storage.count == p * k else {
        throw CurvatureError.invalidArgument(name: "state", reason: "basis has the wrong size")
      }
      guard let precision = BasisPrecision(rawValue: state.strings["basis.precision"] ?? "single")
      else {
        throw CurvatureError.invalidArgument(name: "state", reason: "unknown basis precision")
      }
      copy.projection.basis = Basis(uncheckedStorage: storage, dimension: p, count: k)
        .withPrecision(precision)
    } else {
      copy.projection.basis = nil
    }
    try copy.projection.validate(dimension: copy.projection.basis?.dimension ?? Int.max)
    self = copy
  }
}
