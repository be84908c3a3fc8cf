/// Keeps the top-k Hessian eigenbasis of a training objective fresh during training.
///
/// Call ``step(_:parameters:gradient:minibatch:)-(O,_,_,_)`` once per training step in place of the
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
/// With ``RefreshExecution/asynchronous(lag:objective:firstRefreshInBackground:)`` refreshes run
/// on a background thread (with their own objective instance) and are installed a fixed number
/// of steps after they were due, bit-identically whatever the timing.
///
/// The whole state (basis, eigenvalues, counters, random stream, and the inputs of a refresh in
/// flight) round-trips through ``snapshot()`` / ``restore(_:)`` for bit-identical resumption. A
/// tracker is used from one thread at a time (its background refreshes are its own business).
public final class DominantSubspaceTracker {
  /// Settings of a tracker.
  public struct Configuration: Sendable {
    /// The recommended tracking settings, shared with the `curvature` command line (its
    /// `--k`, `--refresh-every`, `--refresh-method`, `--hessian-batch` and
    /// `--refresh-averaging` defaults read them): the one place to change them.
    ///
    /// They are the settings measured to keep tracking cheap at a million parameters: each
    /// refresh takes the Hessian of the current minibatch (no extra sample work), warm
    /// refreshes are one subspace-iteration step (k HVPs) and average the noisy minibatch
    /// Hessians over refreshes with weight ``refreshAveraging``.
    public enum Defaults {
      /// The number of eigenpairs k.
      public static let k = 10
      /// Steps between refreshes.
      public static let refreshInterval = 100
      /// The size of a seeded subset Hessian batch, where one is used (capped at the sample
      /// count).
      public static let hessianBatchSize = 512
      /// The Hessian batch of the recommended settings: each refresh's minibatch.
      public static let hessianBatch = HessianBatch.minibatch
      /// How warm refreshes are computed: one subspace-iteration step of k HVPs.
      public static let refreshMethod = RefreshMethod.subspaceIteration
      /// The weight β of the previous estimate in a subspace-iteration refresh
      /// (``Configuration/refreshAveraging``).
      public static let refreshAveraging = 0.5
      /// The solver tolerance (relative residual ‖H u − θ u‖ ≤ tolerance·|θ|) of the recommended
      /// settings. A minibatch Hessian differs from the full-data Hessian far more than 10⁻³,
      /// so the first refresh (a cold Lanczos solve, the single largest cost of tracking) stops
      /// at 0.1: at P ≈ 1.1M it then takes about 20 HVPs instead of 46, and the averaged warm
      /// refreshes that follow refine the estimate (the end-of-training overlap with the exact
      /// full-data top-k space is within 0.02 of the tighter solve's; see the training-loop
      /// article).
      public static let refreshTolerance = 0.1
      /// The precision in which the basis is read by χ_k and the projected steps: a
      /// block-scaled int8 copy (``BasisPrecision/int8``), a quarter of the bytes of the
      /// `Float` basis. At P ≈ 1.1M and k = 10 it stays in a 32 MiB last-level cache beside
      /// the parameters and the gradient, and a projected step costs about half what it costs
      /// through a binary16 copy (see the training-loop article). Its error, ε ≈ 0.017 at
      /// k = 10 (``Basis/precisionError``), is far below that of a basis tracked on minibatch
      /// Hessians.
      public static let projectionPrecision = BasisPrecision.int8
      /// The matrix refreshes follow: the Gauss–Newton matrix (``CurvatureMatrix/gaussNewton``)
      /// for objectives that provide its products, the Hessian for the others. Its products
      /// cost about 0.7 of HVPs, and for classification losses its top eigenspace is
      /// the Hessian's (see ``CurvatureMatrix``).
      public static let curvature = CurvatureMatrix.gaussNewton
    }

    /// The recommended settings (``Defaults``): k eigenpairs, a refresh every
    /// ``Defaults/refreshInterval`` steps on the Hessian batch ``Defaults/hessianBatch`` (a
    /// subset batch is capped at `sampleCount`) to the tolerance ``Defaults/refreshTolerance``,
    /// warm refreshes by ``Defaults/refreshMethod`` averaged with weight
    /// ``Defaults/refreshAveraging``.
    /// - Complexity: O(1).
    public static func recommended(
      sampleCount: Int, k: Int = Defaults.k, seed: UInt64 = 0
    ) -> Configuration {
      var batch = Defaults.hessianBatch
      if case .subset(let count, _) = batch {
        batch = .subset(count: Swift.max(1, Swift.min(count, sampleCount)), seed: seed &+ 1)
      }
      return Configuration(
        k: k, hessianBatch: batch, refresh: .every(Defaults.refreshInterval),
        lanczos: LanczosConfiguration(tolerance: Defaults.refreshTolerance, maxProducts: 2000),
        method: Defaults.refreshMethod, seed: seed,
        refreshAveraging: Defaults.refreshAveraging,
        projectionPrecision: Defaults.projectionPrecision, curvature: Defaults.curvature)
    }

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
    /// Whether refreshes run on the calling thread or in the background (``RefreshExecution``).
    public var execution: RefreshExecution
    /// The weight β ∈ [0, 1) of the previous estimate in a ``RefreshMethod/subspaceIteration``
    /// refresh: Y = (1 − β) H U + β U Λ, an exponentially weighted average over refreshes of
    /// the Hessians they saw (about (1 + β)/(1 − β) batches). Use it with a small or
    /// ``HessianBatch/minibatch`` Hessian batch; 0 (the default) is plain subspace iteration.
    public var refreshAveraging: Double
    /// Error bars on every refresh's eigenvalues (``BatchJackknife``, for the Hessian over all
    /// the objective's samples), reported in ``RefreshReport/eigenvalueUncertainty``; `nil` (the
    /// default) computes none. With a subset or minibatch Hessian batch each refresh costs G · k
    /// extra HVP directions on sub-batches (the sample work of k HVPs over the batch); with
    /// ``HessianBatch/full`` the sampling error is 0 and nothing extra is computed.
    public var uncertainty: SamplingUncertaintyConfiguration? = nil
    /// The precision in which ``DominantSubspaceTracker/basis`` is read by χ_k and by the
    /// projections it is pushed into (``BasisPrecision``): ``BasisPrecision/single`` by default,
    /// ``Defaults/projectionPrecision`` in ``recommended(sampleCount:k:seed:)``. Refreshes,
    /// warm starts and checkpoints always use the `Float` columns.
    public var projectionPrecision = BasisPrecision.single
    /// The matrix whose top-k eigenspace the refreshes follow: ``CurvatureMatrix/hessian`` by
    /// default, ``Defaults/curvature`` in ``recommended(sampleCount:k:seed:)``.
    /// ``CurvatureMatrix/gaussNewton`` falls back to the Hessian for an objective that does not
    /// provide Gauss–Newton products (``DominantSubspaceTracker/curvature`` says which is used).
    public var curvature = CurvatureMatrix.hessian

    /// Creates a configuration. The defaults are cheap and work with every way of calling the
    /// tracker: k = ``Defaults/k``, a fixed seeded subset Hessian batch of
    /// ``Defaults/hessianBatchSize`` samples (every sample when there are fewer) and a Lanczos
    /// refresh every ``Defaults/refreshInterval`` steps. ``recommended(sampleCount:k:seed:)``
    /// (what the command line uses) is cheaper still for loops that pass their minibatch to
    /// ``step(_:parameters:gradient:minibatch:)-(O,_,_,_)``: minibatch Hessians, one
    /// subspace-iteration step per warm refresh, averaged over refreshes. Pass
    /// `hessianBatch: .full` and `refresh: .every(1)` to follow the full-data Hessian at every
    /// step.
    /// - Complexity: O(1).
    public init(
      k: Int = Defaults.k,
      hessianBatch: HessianBatch = .subset(count: Defaults.hessianBatchSize, seed: 1),
      refresh: RefreshPolicy = .every(Defaults.refreshInterval),
      lanczos: LanczosConfiguration = LanczosConfiguration(tolerance: 1e-3, maxProducts: 2000),
      warmStart: Bool = true, method: RefreshMethod = .lanczos, switchRule: SwitchRule? = nil,
      seed: UInt64 = 0, execution: RefreshExecution = .synchronous, refreshAveraging: Double = 0,
      uncertainty: SamplingUncertaintyConfiguration? = nil,
      projectionPrecision: BasisPrecision = .single, curvature: CurvatureMatrix = .hessian
    ) {
      self.curvature = curvature
      self.projectionPrecision = projectionPrecision
      self.uncertainty = uncertainty
      self.execution = execution
      self.refreshAveraging = refreshAveraging
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
  /// The matrix the refreshes follow: ``Configuration/curvature`` resolved for ``objective``
  /// (``CurvatureMatrix/gaussNewton`` only when the objective provides its products).
  public var curvature: CurvatureMatrix { configuration.curvature.resolved(for: objective) }
  /// The fixed Hessian batch (`nil` for ``HessianBatch/minibatch``).
  public let fixedBatch: SampleSet?
  /// Storage that synchronous refreshes reuse (``RefreshBuffers``).
  private let refreshBuffers = RefreshBuffers()
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
  /// The current interval of an adaptive policy in steps (`nil` without
  /// ``RefreshPolicy/adaptiveInterval``); the next periodic refresh is due this many steps
  /// after the last one was.
  public private(set) var refreshInterval: Int?
  /// The step at which the adaptive interval's next refresh is due.
  private var nextIntervalStep: Int? = nil
  /// The smallest solver tolerance of the next refresh (0 until a refresh with inexact
  /// products stops without certifying its pairs: then 1.5 times the largest relative
  /// residual it reached, at most 0.5), so that the next refresh does not chase the same
  /// noise to its product cap.
  public private(set) var toleranceFloor = 0.0
  private var generator: SeededGenerator
  private var refreshRequested = false
  private var referenceParameters: [Float] = []
  private var pending: PendingRefresh? = nil

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
    try configuration.execution.validate(policy: configuration.refresh)
    try configuration.switchRule?.validate()
    try configuration.uncertainty?.validate()
    try Validate.positive("lanczos.tolerance", configuration.lanczos.tolerance)
    try objective.hessianProductAccuracy.validate()
    if !(configuration.refreshAveraging >= 0 && configuration.refreshAveraging < 1) {
      throw CurvatureError.outOfRange(
        name: "refreshAveraging", value: configuration.refreshAveraging, range: "[0, 1)")
    }
    if case .blockRitz(let iterations) = configuration.method, iterations < 1 {
      throw CurvatureError.outOfRange(
        name: "blockRitz iterations", value: Double(iterations), range: "[1, ∞)")
    }
    self.objective = objective
    self.configuration = configuration
    self.fixedBatch = try configuration.hessianBatch.fixedSamples(
      sampleCount: objective.sampleCount)
    self.generator = SeededGenerator(seed: configuration.seed)
    self.refreshInterval = configuration.refresh.adaptiveInterval?.minimum
  }

  /// Forces a refresh at the next step (or, while an asynchronous refresh is in flight, at the
  /// first step after it has been installed).
  /// - Complexity: O(1).
  public func requestRefresh() { refreshRequested = true }

  /// Whether an asynchronous refresh is in flight.
  public var refreshInFlight: Bool { pending != nil }

  /// The total time the training thread has spent in ``step(_:parameters:gradient:minibatch:)-(O,_,_,_)``
  /// and ``observe(parameters:gradient:minibatch:)`` waiting for asynchronous refreshes that were
  /// not ready at their install step (a timing diagnostic: not part of the checkpointed state).
  public private(set) var backgroundWaitTime: Duration = .zero

  /// Uᵀg of the current step's gradient and the basis U it was computed with (set by the χ_k
  /// measurement, reused by the projected step of ``step(_:parameters:gradient:minibatch:)``).
  private var stepCoefficients: [Double] = []
  private var stepCoefficientsBasis: Basis? = nil

  /// The step at which the refresh in flight will be installed (`nil` if none is in flight).
  public var pendingInstallStep: Int? { pending?.installStep }

  /// χ_k = ‖U Uᵀg‖/‖g‖ = ‖Uᵀg‖/‖g‖ for the current basis (0 without a basis or for g = 0).
  /// - Complexity: O(P k), one pass over U.
  public func alignment(of gradient: [Float]) throws(CurvatureError) -> Double {
    try Validate.count("gradient", gradient.count, objective.parameterCount)
    try Validate.finiteVector("gradient", gradient)
    return Self.alignment(gradient, basis)
  }

  /// χ_k of `g` against `basis`, without checks or allocations.
  private static func alignment(_ g: [Float], _ basis: Basis?) -> Double {
    guard let basis, basis.count > 0 else { return 0 }
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: basis.count) { c in
      alignment(g, basis, coefficients: c)
    }
  }

  /// ‖g‖ as χ_k measures it (the sum of squares of ``Kernels/magnitudes(_:count:)``, which the
  /// step's input check computes anyway). - Complexity: O(P), one pass.
  private static func gradientNorm(_ g: [Float]) -> Double {
    g.withUnsafeBufferPointer { gp in
      gp.baseAddress.map { Kernels.magnitudes($0, count: gp.count).sumOfSquares.squareRoot() } ?? 0
    }
  }

  /// χ_k of `g` against `basis`, writing Uᵀg into `c` (k entries; untouched when g = 0); `norm`
  /// is ‖g‖ when the caller has it (from ``gradientNorm(_:)``'s computation).
  private static func alignment(
    _ g: [Float], _ basis: Basis, coefficients c: UnsafeMutableBufferPointer<Double>,
    norm: Double? = nil
  ) -> Double {
    g.withUnsafeBufferPointer { gp in
      let gn = norm ?? gradientNorm(g)
      guard gn > 0 else { return 0 }
      basis.coefficients(of: gp, into: c)
      var s = 0.0
      for j in 0..<c.count { s += c[j] * c[j] }
      return min(1, s.squareRoot() / gn)
    }
  }

  /// χ_k of this step's gradient against `basis`, keeping Uᵀg (and the basis it belongs to)
  /// for the projected step that follows in ``step(_:parameters:gradient:minibatch:)``.
  private func stepAlignment(_ g: [Float], _ basis: Basis?, norm: Double?) -> Double {
    stepCoefficientsBasis = nil
    guard let basis, basis.count > 0 else { return 0 }
    if stepCoefficients.count != basis.count {
      stepCoefficients = [Double](repeating: 0, count: basis.count)
    }
    let chi = stepCoefficients.withUnsafeMutableBufferPointer {
      Self.alignment(g, basis, coefficients: $0, norm: norm)
    }
    if chi > 0 { stepCoefficientsBasis = basis }
    return chi
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

  /// Recomputes the basis now at `parameters` (on-demand refresh, always synchronous),
  /// warm-started from the previous basis if the configuration says so. An asynchronous
  /// refresh in flight is waited for and discarded.
  /// - Throws: `CurvatureError` for bad parameters or samples, or a solver failure; the tracker
  ///   is then unchanged.
  /// - Complexity: the solver's HVPs (typically a few times k) plus O(P k²) vector work.
  @discardableResult
  public func refresh(parameters: [Float], minibatch: SampleSet? = nil) throws -> RefreshReport {
    try Validate.count("parameters", parameters.count, objective.parameterCount)
    try Validate.finiteVector("parameters", parameters)
    let samples = try batch(minibatch: minibatch)
    var rng = generator
    let outcome = try Self.compute(
      objective: objective, parameters: parameters, samples: samples, previous: basis,
      previousEigenvalues: eigenvalues, seed: rng.next(), configuration: configuration,
      toleranceFloor: toleranceFloor, buffers: refreshBuffers)
    if let job = pending {
      _ = job.wait()
      pending = nil
    }
    generator = rng
    return install(
      outcome, step: stepCount, installStep: stepCount, reason: .requested,
      parameters: parameters)
  }

  /// One refresh: the solver on the Hessian at `parameters`, warm-started from `previous` when
  /// configured. Depends only on its arguments (no tracker state), so it can run on any thread.
  private static func compute(
    objective: any DifferentiableObjective, parameters: [Float], samples: SampleSet,
    previous: Basis?, previousEigenvalues: [Double], seed: UInt64, configuration: Configuration,
    toleranceFloor: Double, buffers: RefreshBuffers? = nil
  ) throws -> RefreshOutcome {
    let op: any HessianOperator =
      configuration.curvature.resolved(for: objective) == .gaussNewton
      ? try ObjectiveGaussNewton(objective: objective, at: parameters, samples: samples)
      : try ObjectiveHessian(objective: objective, at: parameters, samples: samples)
    var cfg = objective.hessianProductAccuracy.solverSettings(
      requested: configuration.lanczos, eigenvalues: previousEigenvalues, k: configuration.k)
    cfg.tolerance = max(cfg.tolerance, toleranceFloor)
    cfg.target = .largest
    cfg.seed = seed
    let warm = configuration.warmStart ? previous : nil
    let result: EigenResult
    if let warm, case .blockRitz(let iterations) = configuration.method {
      result = try Self.blockRitz(
        op: op, start: warm, k: configuration.k, iterations: iterations, tolerance: cfg.tolerance)
    } else if let warm, warm.count == configuration.k,
      configuration.method == .subspaceIteration
    {
      result = try Self.subspaceIteration(
        op: op, start: warm, k: configuration.k, tolerance: cfg.tolerance,
        previousEigenvalues: previousEigenvalues, averaging: configuration.refreshAveraging,
        buffers: buffers)
    } else {
      result = try Lanczos(configuration: cfg).eigenpairs(
        of: op, count: configuration.k, warmStart: warm)
    }
    let overlap = try previous.map { b throws(CurvatureError) in
      try SubspaceMetrics.overlap(b, result.vectors)
    }
    let uncertainty = try configuration.uncertainty.map { settings in
      try BatchJackknife(
        objective: objective, at: parameters, samples: samples, configuration: settings,
        matrix: configuration.curvature.resolved(for: objective)
      ).eigenvalues(of: result)
    }
    return RefreshOutcome(
      result: result, productCount: op.productCount, overlap: overlap, warmStarted: warm != nil,
      tolerance: cfg.tolerance, productCap: cfg.maxProducts, uncertainty: uncertainty)
  }

  /// The interval of `adaptive` after installing `outcome` (a refresh due at step `dueAt`) and
  /// the step at which the next refresh is then due; the interval is unchanged for a refresh
  /// without a previous basis to compare with.
  private func adapted(
    _ adaptive: AdaptiveInterval, by outcome: RefreshOutcome, dueAt step: Int
  ) -> (interval: Int, next: Int) {
    let current = refreshInterval ?? adaptive.minimum
    let interval = outcome.overlap.map { adaptive.next(after: current, overlap: $0) } ?? current
    let (next, overflow) = step.addingReportingOverflow(interval)
    return (interval, overflow ? Int.max : next)
  }

  /// ``toleranceFloor`` once `outcome` (if any) is installed.
  private func toleranceFloorAfter(_ outcome: RefreshOutcome?) -> Double {
    guard let outcome, !outcome.result.allConverged,
      !objective.hessianProductAccuracy.isExact
    else { return toleranceFloor }
    let result = outcome.result
    let reached =
      zip(result.residuals, result.eigenvalues).map { r, l in l != 0 ? r / abs(l) : .infinity }
      .max() ?? 0
    return max(toleranceFloor, min(0.5, 1.5 * reached))
  }

  /// Makes `outcome` the current basis (commit; cannot fail).
  private func install(
    _ outcome: RefreshOutcome, step: Int, installStep: Int, reason: RefreshReason,
    parameters: [Float], clearsRequest: Bool = true
  ) -> RefreshReport {
    let result = outcome.result
    if let adaptive = configuration.refresh.adaptiveInterval {
      (refreshInterval, nextIntervalStep) = adapted(adaptive, by: outcome, dueAt: step)
    }
    let report = RefreshReport(
      step: step, installStep: installStep, reason: reason, eigenvalues: result.eigenvalues,
      residuals: result.residuals, converged: result.converged,
      productCount: outcome.productCount, warmStarted: outcome.warmStarted,
      overlapWithPrevious: outcome.overlap, refreshInterval: refreshInterval,
      tolerance: outcome.tolerance, productCap: outcome.productCap,
      eigenvalueUncertainty: outcome.uncertainty)
    toleranceFloor = toleranceFloorAfter(outcome)
    let replaced = basis
    basis = result.vectors.withPrecision(
      configuration.projectionPrecision,
      reusing: refreshBuffers.takeRetiredCopy())
    refreshBuffers.retire(replaced)
    eigenvalues = result.eigenvalues
    refreshCount += 1
    productCount += outcome.productCount
    if clearsRequest { refreshRequested = false }
    if configuration.refresh.maximumDrift != nil { referenceParameters = parameters }
    lastRefresh = report
    return report
  }

  /// One tracker step: installs an asynchronous refresh that is due, refreshes the basis (or
  /// launches an asynchronous refresh) if the policy says so, then measures χ_k and updates the
  /// switch rule. Call it with the parameters and gradient of the coming step.
  /// - Throws: `CurvatureError` for bad input, a solver failure, or the failure of an
  ///   asynchronous refresh due at this step (that refresh is then discarded); everything else
  ///   in the tracker is unchanged.
  /// - Complexity: O(P k) without a refresh (one pass over U, plus one over w for the drift
  ///   trigger); a synchronous refresh adds the solver's HVPs, an asynchronous one O(P) to copy
  ///   w (plus any wait for its result at the install step).
  public func observe(parameters: [Float], gradient: [Float], minibatch: SampleSet? = nil)
    throws -> TrackerStepReport
  {
    let p = objective.parameterCount
    try Validate.count("parameters", parameters.count, p)
    try Validate.count("gradient", gradient.count, p)
    try Validate.finiteVector("gradient", gradient)
    try Validate.finiteVector("parameters", parameters)
    return try observeValidated(
      parameters: parameters, gradient: gradient, minibatch: minibatch, gradientNorm: nil)
  }

  /// ``observe(parameters:gradient:minibatch:)`` for inputs already checked (‖g‖ given when the
  /// check computed it). Everything that can throw runs before the first change of state.
  private func observeValidated(
    parameters: [Float], gradient: [Float], minibatch: SampleSet?, gradientNorm: Double?
  ) throws -> TrackerStepReport {
    stepCoefficientsBasis = nil
    // An asynchronous refresh due now.
    var due: (job: PendingRefresh, outcome: RefreshOutcome)? = nil
    if let job = pending, job.installStep <= stepCount {
      let clock = ContinuousClock()
      let began = clock.now
      let outcome = job.wait()
      backgroundWaitTime += clock.now - began
      switch outcome {
      case .success(let outcome): due = (job, outcome)
      case .failure(let error):
        pending = nil
        throw error
      }
    }
    let current = due?.outcome.result.vectors ?? basis
    // The adaptive interval after the install due now, if any. While it is shorter than the
    // lag of asynchronous execution, refreshes run synchronously: a background one would
    // arrive after the next is due.
    let afterDue = configuration.refresh.adaptiveInterval.flatMap { adaptive in
      due.map { adapted(adaptive, by: $0.outcome, dueAt: $0.job.launchStep) }
    }
    let lag = configuration.execution.lag
    let synchronousInterval =
      lag > 0 && (afterDue?.interval ?? refreshInterval).map { $0 < lag } ?? false
    // Triggers (none while a refresh stays in flight, and none at an install step whose next
    // refresh would run synchronously: one step installs at most one basis).
    var reason: RefreshReason? = nil
    var measured: Double? = nil
    if current == nil {
      if pending == nil { reason = .initial }
    } else if pending == nil || (due != nil && !synchronousInterval) {
      if refreshRequested {
        reason = .requested
      } else if let n = configuration.refresh.interval, stepCount % n == 0 {
        reason = .interval
      } else if configuration.refresh.adaptiveInterval != nil,
        stepCount >= (afterDue?.next ?? nextIntervalStep ?? stepCount)
      {
        reason = .interval
      } else if let d = configuration.refresh.maximumDrift,
        Self.relativeDrift(parameters, from: due?.job.parameters ?? referenceParameters) > d
      {
        reason = .drift
      } else if let a = configuration.refresh.minimumAlignment {
        let chi = stepAlignment(gradient, current, norm: gradientNorm)
        measured = chi
        if chi < a { reason = .alignment }
      }
    }
    // Compute (synchronous) or prepare (asynchronous) the refresh: may throw, changes nothing.
    var computed: RefreshOutcome? = nil
    var launch: PendingRefresh? = nil
    var rng = generator
    if let reason {
      let samples = try batch(minibatch: minibatch)
      let seed = rng.next()
      if case .asynchronous(let lag, _, let firstInBackground) = configuration.execution,
        reason != .initial || firstInBackground, !synchronousInterval
      {
        let job = PendingRefresh(
          launchStep: stepCount, installStep: stepCount + lag, reason: reason,
          parameters: parameters, seed: seed, samples: samples)
        launch = job
      } else {
        computed = try Self.compute(
          objective: objective, parameters: parameters, samples: samples, previous: current,
          previousEigenvalues: due?.outcome.result.eigenvalues ?? eigenvalues, seed: seed,
          configuration: configuration, toleranceFloor: toleranceFloorAfter(due?.outcome),
          buffers: refreshBuffers)
      }
    }
    // Commit.
    var report: RefreshReport? = nil
    if let due {
      pending = nil
      report = install(
        due.outcome, step: due.job.launchStep, installStep: stepCount, reason: due.job.reason,
        parameters: due.job.parameters, clearsRequest: false)
    }
    if let computed, let reason {
      generator = rng
      report = install(
        computed, step: stepCount, installStep: stepCount, reason: reason, parameters: parameters)
    }
    if let launch {
      generator = rng
      refreshRequested = false
      start(launch)
    }
    // χ_k with the basis of this step (measured above unless a refresh replaced it).
    let chi =
      computed == nil
      ? measured ?? stepAlignment(gradient, basis, norm: gradientNorm)
      : stepAlignment(gradient, basis, norm: gradientNorm)
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
      step: stepCount, alignment: chi, refresh: report, launched: launch?.reason,
      alignmentAverage: alignmentAverage, switched: switched)
    stepCount += 1
    return out
  }

  /// Starts `job` on a background thread with its own objective from the configured factory,
  /// warm-started from the current basis, and makes it the pending refresh.
  private func start(_ job: PendingRefresh) {
    guard case .asynchronous(_, let factory, _) = configuration.execution else { return }
    let previous = basis
    let previousEigenvalues = eigenvalues
    let configuration = configuration
    let floor = toleranceFloor
    let p = objective.parameterCount
    let n = objective.sampleCount
    pending = job
    job.start {
      // One core for the refresh, the others stay with the training loop.
      try SerialScope.run {
        let copy = try factory()
        try Validate.count("background objective parameterCount", copy.parameterCount, p)
        try Validate.count("background objective sampleCount", copy.sampleCount, n)
        return try Self.compute(
          objective: copy, parameters: job.parameters, samples: job.samples, previous: previous,
          previousEigenvalues: previousEigenvalues, seed: job.seed, configuration: configuration,
          toleranceFloor: floor)
      }
    }
  }

  /// One training step: ``observe(parameters:gradient:minibatch:)``, then pushes a refreshed
  /// basis into the optimizer's projection, applies the switch rule (projection mode ←
  /// rule's target) and steps the optimizer.
  /// - Throws: `CurvatureError` for bad input; nothing changes on throw (except that a failed
  ///   asynchronous refresh due at this step is discarded).
  /// - Complexity: that of `observe` plus the optimizer step.
  @discardableResult
  public func step<O: Optimizer>(
    _ optimizer: inout O, parameters: inout [Float], gradient: [Float],
    minibatch: SampleSet? = nil
  ) throws -> TrackerStepReport {
    try step(&optimizer, parameters: &parameters, gradient: gradient, minibatch: minibatch) {
      optimizer, parameters, gradient, _ in
      // A projecting optimizer reuses Uᵀg from the χ_k measurement (the fast path of
      // ProjectedOptimizer, found through the protocol so generic code takes it too).
      if let used = stepCoefficientsBasis {
        let done = try stepCoefficients.withUnsafeBufferPointer {
          try optimizer.stepReusingCoefficients(
            parameters: &parameters, gradient: gradient, coefficients: $0, basis: used)
        }
        if done { return }
      }
      try optimizer.step(parameters: &parameters, gradient: gradient)
    }
  }

  /// ``step(_:parameters:gradient:minibatch:)`` for a ``ProjectedOptimizer``: when its
  /// projection acts on the gradient with the tracker's basis, the projection reuses Uᵀg from
  /// the χ_k measurement, so a step reads U twice instead of three times. The result is the
  /// same, bit for bit.
  /// - Complexity: that of `observe` plus one pass over U and the base optimizer's step.
  @discardableResult
  public func step<Base: Optimizer>(
    _ optimizer: inout ProjectedOptimizer<Base>, parameters: inout [Float], gradient: [Float],
    minibatch: SampleSet? = nil
  ) throws -> TrackerStepReport {
    try step(&optimizer, parameters: &parameters, gradient: gradient, minibatch: minibatch) {
      optimizer, parameters, gradient, largest in
      if optimizer.projection.placement == .gradient, let used = stepCoefficientsBasis,
        let current = optimizer.projection.basis, used.sharesStorage(with: current)
      {
        try stepCoefficients.withUnsafeBufferPointer {
          // `step` below has checked parameters and gradient already.
          try optimizer.step(
            parameters: &parameters, gradient: gradient, gradientCoefficients: $0,
            largest: largest)
        }
      } else {
        try optimizer.step(parameters: &parameters, gradient: gradient)
      }
    }
  }

  /// The shared body of the `step` methods; `stepOptimizer` takes the optimizer step, given
  /// max|w_i| and max|g_i| of the inputs just checked.
  private func step<O: Optimizer>(
    _ optimizer: inout O, parameters: inout [Float], gradient: [Float], minibatch: SampleSet?,
    stepOptimizer:
      (inout O, inout [Float], [Float], (parameters: Float, gradient: Float)) throws -> Void
  ) throws -> TrackerStepReport {
    let scan = try Validate.stepScan(parameters: parameters, gradient: gradient)
    try optimizer.validate(parameterCount: parameters.count)
    try Validate.count("parameters", parameters.count, objective.parameterCount)
    let report = try observeValidated(
      parameters: parameters, gradient: gradient, minibatch: minibatch,
      gradientNorm: scan.gradientSquaredNorm.squareRoot())
    if report.refresh != nil || report.switched {
      let newBasis = basis
      let target = configuration.switchRule?.target
      _ = optimizer.updateProjection {
        $0.basis = newBasis
        if report.switched, let target { $0.mode = target }
      }
    }
    try stepOptimizer(&optimizer, &parameters, gradient, scan.largest)
    return report
  }

  /// ‖w − w_ref‖/‖w_ref‖ (‖w − w_ref‖ for w_ref = 0; ∞ without a reference).
  private static func relativeDrift(_ w: [Float], from reference: [Float]) -> Double {
    guard reference.count == w.count else { return .infinity }
    return w.withUnsafeBufferPointer { wp in
      reference.withUnsafeBufferPointer { rp in
        var d = 0.0
        var r = 0.0
        for i in 0..<wp.count {
          let x = Double(wp[i]) - Double(rp[i])
          d += x * x
          r += Double(rp[i]) * Double(rp[i])
        }
        return r > 0 ? (d / r).squareRoot() : d.squareRoot()
      }
    }
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
    if toleranceFloor > 0 { s.scalars["toleranceFloor"] = toleranceFloor }
    if let n = refreshInterval { s.scalars["refreshInterval"] = Double(n) }
    if let n = nextIntervalStep { s.scalars["nextIntervalStep"] = Double(n) }
    if let b = basis {
      s.arrays["basis"] = b.storage
      s.scalars["basis.count"] = Double(b.count)
      for (i, e) in eigenvalues.enumerated() { s.scalars["eigenvalue.\(i)"] = e }
    }
    if !referenceParameters.isEmpty { s.arrays["referenceParameters"] = referenceParameters }
    if let job = pending {
      // The inputs of the refresh in flight (its warm start is the current basis): a restored
      // tracker recomputes it, with the same result.
      s.scalars["pending.step"] = Double(job.launchStep)
      s.scalars["pending.installStep"] = Double(job.installStep)
      s.strings["pending.reason"] = job.reason.rawValue
      s.strings["pending.seed"] = String(job.seed, radix: 16)
      s.arrays["pending.parameters"] = job.parameters
      s.strings["pending.samples"] = job.samples.checkpointText
    }
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
      newBasis = Basis(uncheckedStorage: storage, dimension: p, count: k).withPrecision(
        configuration.projectionPrecision)
      values = try (0..<k).map { i throws(CurvatureError) in try state.scalar("eigenvalue.\(i)") }
    }
    let reference = try state.array("referenceParameters", count: p)
    let steps = try state.integer("stepCount")
    let refreshes = try state.integer("refreshCount")
    let products = try state.integer("productCount")
    let floor = state.scalars["toleranceFloor"] ?? 0
    guard floor >= 0, floor <= 0.5 else {
      throw CurvatureError.invalidArgument(
        name: "state", reason: "tolerance floor \(floor) is outside [0, 0.5]")
    }
    // The adaptive interval (absent from states of trackers without one: start afresh).
    var interval = configuration.refresh.adaptiveInterval?.minimum
    var nextStep: Int? = nil
    if let adaptive = configuration.refresh.adaptiveInterval {
      if state.scalars["refreshInterval"] != nil {
        let n = try state.integer("refreshInterval")
        guard n >= adaptive.minimum, n <= adaptive.maximum else {
          throw CurvatureError.invalidArgument(
            name: "state",
            reason: "refresh interval \(n) is outside this tracker's adaptive range "
              + "\(adaptive.minimum)…\(adaptive.maximum)")
        }
        interval = n
      }
      if state.scalars["nextIntervalStep"] != nil {
        nextStep = try state.integer("nextIntervalStep")
      }
    }
    var job: PendingRefresh? = nil
    if let launch = state.scalars["pending.step"] {
      guard case .asynchronous(_, _, let firstInBackground) = configuration.execution,
        newBasis != nil || firstInBackground
      else {
        throw CurvatureError.invalidArgument(
          name: "state",
          reason: "the state has an asynchronous refresh in flight that this tracker's "
            + "configuration cannot take over")
      }
      let install = try state.integer("pending.installStep")
      guard launch.isFinite, launch == launch.rounded(), Int(exactly: launch) != nil,
        Int(launch) < steps, install >= steps,
        let reason = RefreshReason(rawValue: try state.string("pending.reason")),
        let seed = UInt64(try state.string("pending.seed"), radix: 16),
        let samples = SampleSet(checkpointText: try state.string("pending.samples"))
      else {
        throw CurvatureError.invalidArgument(
          name: "state", reason: "malformed asynchronous refresh in flight")
      }
      let w = try state.array("pending.parameters", count: p, allowEmpty: false)
      guard w.count == p, w.allSatisfy({ $0.isFinite }) else {
        throw CurvatureError.invalidArgument(
          name: "state", reason: "parameters of the refresh in flight have the wrong size")
      }
      try samples.validate(sampleCount: objective.sampleCount)
      job = PendingRefresh(
        launchStep: Int(launch), installStep: install, reason: reason, parameters: w, seed: seed,
        samples: samples)
    }
    // Commit.
    if let old = pending {
      _ = old.wait()
      pending = nil
    }
    generator = gen
    basis = newBasis
    eigenvalues = values
    stepCount = steps
    refreshCount = refreshes
    productCount = products
    toleranceFloor = floor
    hasSwitched = state.scalars["hasSwitched"] == 1
    refreshRequested = state.scalars["refreshRequested"] == 1
    alignmentAverage = state.scalars["alignmentAverage"]
    referenceParameters = reference
    refreshInterval = interval
    nextIntervalStep = nextStep
    lastRefresh = nil
    if let job { start(job) }
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
