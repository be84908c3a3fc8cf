/// Keeps the top-k Hessian eigenbasis of a training objective fresh during training.
///
/// Call ``step(_:parameters:gradient:minibatch:)`` once per training step in place of the
/// optimizer's own step (or ``observe(parameters:gradient:minibatch:)`` and step yourself). At
/// each step the tracker decides, from its ``RefreshPolicy``, whether to recompute the basis
/// with Lanczos on the chosen ``HessianBatch`` — warm-started from the previous basis — and
/// measures the cheap gradient alignment χ_k = ‖U Uᵀg‖/‖g‖ (f_top = χ_k²). Refreshed bases
/// are pushed into the optimizer's ``SubspaceProjection``, and an optional ``SwitchRule``
/// turns plain SGD into a projected mode once χ_k stays high.
///
/// ```swift
/// let tracker = try DominantSubspaceTracker(
///   objective: model, configuration: .init(k: 10, hessianBatch: .subset(count: 512, seed: 1),
///                                          refresh: .every(100)))
/// var optimizer = SGD(learningRate: 0.1).projected(.bulk)
/// for batch in batches {
///   let (_, g) = try model.lossAndGradient(at: w, samples: batch)
///   let report = try tracker.step(&optimizer, parameters: &w, gradient: g, minibatch: batch)
/// }
/// ```
///
/// The whole state (basis, eigenvalues, counters, random stream) round-trips through
/// ``snapshot()`` / ``restore(_:)`` for bit-identical resumption.
public final class DominantSubspaceTracker {
  /// Settings of a tracker.
  public struct Configuration: Sendable {
    /// The number of eigenpairs k (1 ≤ k < P).
    public var k: Int
    /// The samples whose Hessian is followed.
    public var hessianBatch: HessianBatch
    /// When to refresh.
    public var refresh: RefreshPolicy
    /// Solver settings (its seed is replaced by the tracker's own stream at each refresh).
    public var lanczos: LanczosConfiguration
    /// Whether each refresh starts from the previous basis.
    public var warmStart: Bool
    /// How warm refreshes are computed (the first refresh, and every refresh without
    /// `warmStart`, uses Lanczos).
    public var method: RefreshMethod
    /// An optional switch from plain SGD to a projected mode.
    public var switchRule: SwitchRule?
    /// Seed of the tracker's random stream (solver start vectors).
    public var seed: UInt64

    /// Creates a configuration. - Complexity: O(1).
    public init(
      k: Int, hessianBatch: HessianBatch = .full, refresh: RefreshPolicy = .every(1),
      lanczos: LanczosConfiguration = LanczosConfiguration(tolerance: 1e-3, maxProducts: 2000),
      warmStart: Bool = true, method: RefreshMethod = .lanczos, switchRule: SwitchRule? = nil,
      seed: UInt64 = 0
    ) {
      self.method = method
      self.k = k
      self.hessianBatch = hessianBatch
      self.refresh = refresh
      self.lanczos = lanczos
      self.warmStart = warmStart
      self.switchRule = switchRule
      self.seed = seed
    }
  }

  /// The objective whose Hessian is tracked.
  public let objective: any DifferentiableObjective
  /// The settings.
  public let configuration: Configuration
  /// The fixed Hessian batch (`nil` for ``HessianBatch/minibatch``).
  public let fixedBatch: SampleSet?
  /// The current basis U (P × k), `nil` before the first refresh.
  public private(set) var basis: Basis?
  /// The current eigenvalues, descending.
  public private(set) var eigenvalues: [Double] = []
  /// The number of tracker steps so far.
  public private(set) var stepCount = 0
  /// The number of refreshes so far.
  public private(set) var refreshCount = 0
  /// Hessian-vector products spent on refreshes so far.
  public private(set) var productCount = 0
  /// The EMA of χ_k used by the switch rule (`nil` before the first step or without a rule).
  public private(set) var alignmentAverage: Double?
  /// Whether the switch rule has fired.
  public private(set) var hasSwitched = false
  /// The most recent refresh.
  public private(set) var lastRefresh: RefreshReport?
  private var generator: SeededGenerator
  private var refreshRequested = false
  private var referenceParameters: [Float] = []

  /// Creates a tracker (no products are computed until the first step).
  /// - Throws: `CurvatureError` if k is not in 1..<P or a setting is out of range.
  /// - Complexity: O(N) for a subset Hessian batch.
  public init(objective: any DifferentiableObjective, configuration: Configuration) throws {
    let p = objective.parameterCount
    if configuration.k < 1 || configuration.k >= p {
      throw CurvatureError.outOfRange(
        name: "k", value: Double(configuration.k), range: "[1, \(p - 1)]")
    }
    try configuration.refresh.validate()
    try configuration.switchRule?.validate()
    try Validate.positive("lanczos.tolerance", configuration.lanczos.tolerance)
    if case .blockRitz(let iterations) = configuration.method, iterations < 1 {
      throw CurvatureError.outOfRange(
        name: "blockRitz iterations", value: Double(iterations), range: "[1, ∞)")
    }
    self.objective = objective
    self.configuration = configuration
    self.fixedBatch = try configuration.hessianBatch.fixedSamples(
      sampleCount: objective.sampleCount)
    self.generator = SeededGenerator(seed: configuration.seed)
  }

  /// Forces a refresh at the next step.
  /// - Complexity: O(1).
  public func requestRefresh() { refreshRequested = true }

  /// χ_k = ‖U Uᵀg‖/‖g‖ = ‖Uᵀg‖/‖g‖ for the current basis (0 without a basis or for g = 0).
  /// - Complexity: O(P k), one pass over U.
  public func alignment(of gradient: [Float]) throws(CurvatureError) -> Double {
    try Validate.count("gradient", gradient.count, objective.parameterCount)
    try Validate.finite("gradient", gradient)
    return uncheckedAlignment(gradient)
  }

  private func uncheckedAlignment(_ g: [Float]) -> Double {
    guard let basis, basis.count > 0 else { return 0 }
    let gn = Kernels.norm(g)
    guard gn > 0 else { return 0 }
    let c = basis.coefficients(of: g)
    return min(1, c.reduce(0) { $0 + $1 * $1 }.squareRoot() / gn)
  }

  /// The Hessian batch for this step.
  private func batch(minibatch: SampleSet?) throws -> SampleSet {
    if let fixedBatch { return fixedBatch }
    guard let minibatch else {
      throw CurvatureError.invalidArgument(
        name: "minibatch", reason: "the tracker follows the minibatch Hessian: pass the minibatch")
    }
    try minibatch.validate(sampleCount: objective.sampleCount)
    return minibatch
  }

  /// Recomputes the basis now at `parameters` (on-demand refresh), warm-started from the
  /// previous basis if the configuration says so.
  /// - Throws: `CurvatureError` for bad parameters or samples, or a solver failure; the tracker
  ///   is then unchanged.
  /// - Complexity: the solver's HVPs (typically a few times k) plus O(P k²) vector work.
  @discardableResult
  public func refresh(parameters: [Float], minibatch: SampleSet? = nil) throws -> RefreshReport {
    try Validate.count("parameters", parameters.count, objective.parameterCount)
    try Validate.finite("parameters", parameters)
    return try refresh(
      parameters: parameters, samples: batch(minibatch: minibatch), reason: .requested)
  }

  private func refresh(parameters: [Float], samples: SampleSet, reason: RefreshReason) throws
    -> RefreshReport
  {
    let op = try ObjectiveHessian(objective: objective, at: parameters, samples: samples)
    var rng = generator
    var cfg = configuration.lanczos
    cfg.target = .largest
    cfg.seed = rng.next()
    let warm = configuration.warmStart ? basis : nil
    let result: EigenResult
    if let warm, case .blockRitz(let iterations) = configuration.method {
      result = try Self.blockRitz(
        op: op, start: warm, k: configuration.k, iterations: iterations, tolerance: cfg.tolerance)
    } else {
      result = try Lanczos(configuration: cfg).eigenpairs(
        of: op, count: configuration.k, warmStart: warm)
    }
    let overlap = try basis.map { b throws(CurvatureError) in
      try SubspaceMetrics.overlap(b, result.vectors)
    }
    let report = RefreshReport(
      step: stepCount, reason: reason, eigenvalues: result.eigenvalues,
      residuals: result.residuals, converged: result.converged, productCount: op.productCount,
      warmStarted: warm != nil, overlapWithPrevious: overlap)
    // Commit.
    generator = rng
    basis = result.vectors
    eigenvalues = result.eigenvalues
    refreshCount += 1
    productCount += op.productCount
    refreshRequested = false
    if configuration.refresh.maximumDrift != nil { referenceParameters = parameters }
    lastRefresh = report
    return report
  }

  /// One tracker step: refreshes the basis if the policy says so, then measures χ_k and
  /// updates the switch rule. Call it with the parameters and gradient of the coming step.
  /// - Throws: `CurvatureError` for bad input or a solver failure; the tracker is unchanged.
  /// - Complexity: O(P k) without a refresh (one pass over U, plus one over w for the drift
  ///   trigger); a refresh adds the solver's HVPs.
  public func observe(parameters: [Float], gradient: [Float], minibatch: SampleSet? = nil)
    throws -> TrackerStepReport
  {
    let p = objective.parameterCount
    try Validate.count("parameters", parameters.count, p)
    try Validate.count("gradient", gradient.count, p)
    try Validate.finite("gradient", gradient)
    try Validate.finite("parameters", parameters)
    return try observeValidated(parameters: parameters, gradient: gradient, minibatch: minibatch)
  }

  /// ``observe(parameters:gradient:minibatch:)`` for inputs already checked.
  private func observeValidated(parameters: [Float], gradient: [Float], minibatch: SampleSet?)
    throws -> TrackerStepReport
  {
    var reason: RefreshReason? = nil
    if basis == nil {
      reason = .initial
    } else if refreshRequested {
      reason = .requested
    } else if let n = configuration.refresh.interval, stepCount % n == 0 {
      reason = .interval
    } else if let d = configuration.refresh.maximumDrift, relativeDrift(parameters) > d {
      reason = .drift
    } else if let a = configuration.refresh.minimumAlignment, uncheckedAlignment(gradient) < a {
      reason = .alignment
    }
    var report: RefreshReport? = nil
    if let reason {
      report = try refresh(
        parameters: parameters, samples: batch(minibatch: minibatch), reason: reason)
    }
    let chi = uncheckedAlignment(gradient)
    var switched = false
    if let rule = configuration.switchRule {
      let ema = alignmentAverage.map { rule.decay * $0 + (1 - rule.decay) * chi } ?? chi
      alignmentAverage = ema
      if !hasSwitched && ema > rule.threshold {
        hasSwitched = true
        switched = true
      }
    }
    let out = TrackerStepReport(
      step: stepCount, alignment: chi, refresh: report, alignmentAverage: alignmentAverage,
      switched: switched)
    stepCount += 1
    return out
  }

  /// One training step: ``observe(parameters:gradient:minibatch:)``, then pushes a refreshed
  /// basis into the optimizer's projection, applies the switch rule (projection mode ←
  /// rule's target) and steps the optimizer.
  /// - Throws: `CurvatureError` for bad input; nothing changes on throw.
  /// - Complexity: that of `observe` plus the optimizer step.
  @discardableResult
  public func step<O: Optimizer>(
    _ optimizer: inout O, parameters: inout [Float], gradient: [Float],
    minibatch: SampleSet? = nil
  ) throws -> TrackerStepReport {
    try Validate.step(parameters: parameters, gradient: gradient)
    try optimizer.validate(parameterCount: parameters.count)
    try Validate.count("parameters", parameters.count, objective.parameterCount)
    let report = try observeValidated(
      parameters: parameters, gradient: gradient, minibatch: minibatch)
    if report.refresh != nil || report.switched {
      let newBasis = basis
      let target = configuration.switchRule?.target
      _ = optimizer.updateProjection {
        $0.basis = newBasis
        if report.switched, let target { $0.mode = target }
      }
    }
    try optimizer.step(parameters: &parameters, gradient: gradient)
    return report
  }

  private func relativeDrift(_ w: [Float]) -> Double {
    guard referenceParameters.count == w.count else { return .infinity }
    var d = 0.0
    var r = 0.0
    for i in 0..<w.count {
      let x = Double(w[i]) - Double(referenceParameters[i])
      d += x * x
      r += Double(referenceParameters[i]) * Double(referenceParameters[i])
    }
    return r > 0 ? (d / r).squareRoot() : d.squareRoot()
  }

  // MARK: Checkpointing

  /// The complete state (basis, eigenvalues, counters, switch statistics, random stream).
  /// - Complexity: O(P k).
  public func snapshot() -> OptimizerState {
    var s = OptimizerState(
      kind: "DominantSubspaceTracker",
      scalars: [
        "k": Double(configuration.k), "dimension": Double(objective.parameterCount),
        "stepCount": Double(stepCount), "refreshCount": Double(refreshCount),
        "productCount": Double(productCount), "hasSwitched": hasSwitched ? 1 : 0,
        "refreshRequested": refreshRequested ? 1 : 0,
      ],
      strings: ["generator": Self.encode(generator)])
    if let a = alignmentAverage { s.scalars["alignmentAverage"] = a }
    if let b = basis {
      s.arrays["basis"] = b.storage
      s.scalars["basis.count"] = Double(b.count)
      for (i, e) in eigenvalues.enumerated() { s.scalars["eigenvalue.\(i)"] = e }
    }
    if !referenceParameters.isEmpty { s.arrays["referenceParameters"] = referenceParameters }
    return s
  }

  /// Restores a state from ``snapshot()`` of a tracker with the same k and P.
  /// - Throws: `CurvatureError.invalidArgument` for a state of another kind or size; the
  ///   tracker is then unchanged.
  /// - Complexity: O(P k).
  public func restore(_ state: OptimizerState) throws {
    try state.expect(kind: "DominantSubspaceTracker")
    let p = objective.parameterCount
    guard try state.integer("k") == configuration.k, try state.integer("dimension") == p else {
      throw CurvatureError.invalidArgument(
        name: "state", reason: "tracker state is for another k or parameter count")
    }
    let gen = try Self.decode(try state.string("generator"))
    var newBasis: Basis? = nil
    var values: [Double] = []
    if let storage = state.arrays["basis"] {
      let k = try state.integer("basis.count")
      guard k >= 1, k < p, storage.count == p * k, storage.allSatisfy({ $0.isFinite }) else {
        throw CurvatureError.invalidArgument(name: "state", reason: "basis has the wrong size")
      }
      newBasis = Basis(uncheckedStorage: storage, dimension: p, count: k)
      values = try (0..<k).map { i throws(CurvatureError) in try state.scalar("eigenvalue.\(i)") }
    }
    let reference = try state.array("referenceParameters", count: p)
    let steps = try state.integer("stepCount")
    let refreshes = try state.integer("refreshCount")
    let products = try state.integer("productCount")
    // Commit.
    generator = gen
    basis = newBasis
    eigenvalues = values
    stepCount = steps
    refreshCount = refreshes
    productCount = products
    hasSwitched = state.scalars["hasSwitched"] == 1
    refreshRequested = state.scalars["refreshRequested"] == 1
    alignmentAverage = state.scalars["alignmentAverage"]
    referenceParameters = reference
    lastRefresh = nil
  }

  static func encode(_ g: SeededGenerator) -> String {
    var words = g.state.map { String($0, radix: 16) }
    if let spare = g.spareGaussian { words.append("s" + String(spare.bitPattern, radix: 16)) }
    return words.joined(separator: ",")
  }

  static func decode(_ text: String) throws(CurvatureError) -> SeededGenerator {
    let parts = text.split(separator: ",")
    var g = SeededGenerator(seed: 0)
    guard parts.count == 4 || parts.count == 5 else {
      throw .invalidArgument(name: "state", reason: "malformed generator state")
    }
    var words: [UInt64] = []
    for w in parts.prefix(4) {
      guard let v = UInt64(w, radix: 16) else {
        throw .invalidArgument(name: "state", reason: "malformed generator state")
      }
      words.append(v)
    }
    g.state = words
    g.spareGaussian = nil
    if parts.count == 5 {
      guard parts[4].hasPrefix("s"), let bits = UInt64(parts[4].dropFirst(), radix: 16) else {
        throw .invalidArgument(name: "state", reason: "malformed generator state")
      }
      g.spareGaussian = Double(bitPattern: bits)
    }
    return g
  }
}
