/// Settings of a ``TrainingDriver``.
public struct DriverConfiguration: Sendable {
  /// The number of optimizer steps.
  public var steps: Int
  /// Minibatch size (0 or ≥ N: full batch). Minibatches walk seeded permutations (epochs).
  public var batchSize: Int = 0
  /// Seed for minibatches and the eigensolvers.
  public var seed: UInt64 = 0
  /// Linear warm-up length: the step-t learning rate is η·min(1, (t + 1)/warmupSteps).
  public var warmupSteps: Int = 0
  /// Measure the sharpness every this many steps (0: never).
  public var sharpnessInterval: Int = 0
  /// The stability rule for the sharpness threshold.
  public var stabilityRule: StabilityRule = .gradientDescent
  /// The number of samples in the Hessian batch (a fixed seeded subset; 0: all).
  public var hessianSampleCount: Int = 256
  /// Measure stabilisation every this many steps (0: never).
  public var stabilizationInterval: Int = 0
  /// The sample-count grid of the stabilisation measurements.
  public var stabilizationSampleCounts: [Int] = []
  /// The stabilisation estimator's settings (the closed form is used).
  public var stabilization: StabilizationConfiguration = StabilizationConfiguration(orderCount: 2)
  /// Recompute the dominant subspace every this many steps (0: only when asked).
  public var subspaceInterval: Int = 0
  /// The dominant subspace dimension k.
  public var subspaceDimension: Int = 10
  /// The initial projection weights ((1, 1): plain updates).
  public var projection: ProjectionWeights = .full

  /// Creates a configuration for `steps` steps.
  /// - Complexity: O(1).
  public init(steps: Int) { self.steps = steps }
}

/// What a ``TrainingDriver`` run did.
public struct TrainingReport: Sendable {
  /// Steps whose update was applied.
  public var completedSteps: Int
  /// The loss observed at each step (before its update), including a final stopping step.
  public var losses: [Double]
  /// The learning rate each applied update used.
  public var learningRates: [Double]
  /// Why the run stopped early, if it did.
  public var stopReason: String?
  /// Whether the run ended on a non-finite loss or gradient.
  public var diverged: Bool
  /// Every event the monitor emitted.
  public var events: [TrainingEvent]
}

/// A small training loop for users without one, built only on public pieces a custom loop
/// uses: ``DifferentiableObjective/lossAndGradient(at:samples:)``, ``TrainingMonitor``,
/// ``Lanczos``, ``Basis/project(_:dominantWeight:bulkWeight:into:)`` and ``Optimizer``.
///
/// Each step t:
/// 1. the minibatch loss and gradient at w_t; ``TrainingMonitor/observe(step:loss:gradient:learningRate:)``;
/// 2. when due, the sharpness, the stabilisation curve and the dominant subspace (or when a
///    callback asked for a refresh), each recorded with the monitor;
/// 3. after every monitor call its ``MonitorResponse`` is applied at once: `stop` ends the run
///    **before** step t's update; a learning-rate change sets the rate step t's update uses
///    (so `scaleLearningRate(s)` at step t makes that update w_{t+1} = w_t − s·η·g_t for SGD);
///    during warm-up it is the rate of the current step and the ramp continues proportionally;
///    `extendWarmup(n)` lengthens the ramp by n steps (same peak rate, reached later);
///    `switchProjection` changes the weights;
/// 4. the (projected) gradient goes to the optimizer's `step`.
///
/// A non-finite loss or gradient always ends the run (``TrainingReport/diverged``).
public final class TrainingDriver<O: Optimizer> {
  /// The optimizer (its learning rate is managed by the driver during ``run(parameters:)``).
  public var optimizer: O
  /// The monitor whose callbacks steer the run.
  public let monitor: TrainingMonitor
  /// The settings.
  public let configuration: DriverConfiguration
  /// For ``StabilityRule/adam(beta1:)``: returns √v̂ + ε from the optimizer. When `nil` and the
  /// optimizer is ``Adam``, its ``Adam/preconditionerDiagonal`` is used; sharpness is not
  /// measured before the first step (no second moments yet).
  public var preconditioner: ((O) -> [Float])?
  private let objective: any DifferentiableObjective

  /// Creates a driver.
  /// - Throws: `CurvatureError` for a negative step count, batch size, interval or warm-up,
  ///   a bad stability rule, or k outside [1, P − 1] when subspaces are used from the start
  ///   (a later refresh with a bad k throws from ``run(parameters:)``).
  /// - Complexity: O(1).
  public init(
    objective: any DifferentiableObjective, optimizer: O, monitor: TrainingMonitor,
    configuration: DriverConfiguration
  ) throws(CurvatureError) {
    let c = configuration
    for (name, v) in [
      ("steps", c.steps), ("batchSize", c.batchSize), ("warmupSteps", c.warmupSteps),
      ("sharpnessInterval", c.sharpnessInterval),
      ("stabilizationInterval", c.stabilizationInterval),
      ("subspaceInterval", c.subspaceInterval), ("hessianSampleCount", c.hessianSampleCount),
    ] where v < 0 {
      throw .outOfRange(name: name, value: Double(v), range: "[0, ∞)")
    }
    try c.stabilityRule.validate()
    let usesSubspace = c.subspaceInterval > 0 || c.projection != .full
    if usesSubspace && (c.subspaceDimension < 1 || c.subspaceDimension >= objective.parameterCount)
    {
      throw .outOfRange(
        name: "subspaceDimension", value: Double(c.subspaceDimension),
        range: "[1, \(objective.parameterCount - 1)]")
    }
    if c.stabilizationInterval > 0 {
      try c.stabilization.validate()
      if c.stabilizationSampleCounts.isEmpty {
        throw .invalidArgument(name: "stabilizationSampleCounts", reason: "the grid is empty")
      }
    }
    self.objective = objective
    self.optimizer = optimizer
    self.monitor = monitor
    self.configuration = configuration
  }

  /// Trains `parameters` in place (they are replaced when the run returns, so on throw they are
  /// unchanged; the optimizer and monitor keep the state they reached).
  /// - Throws: `CurvatureError` for a wrong parameter count or NaN/Inf parameters, or errors
  ///   from the objective, eigensolver or optimizer.
  /// - Complexity: per step one minibatch gradient, plus the measurements when due.
  public func run(parameters: inout [Float]) throws -> TrainingReport {
    var w = parameters
    let c = configuration
    let n = objective.sampleCount
    let p = objective.parameterCount
    try Validate.count("parameters", w.count, p)
    try Validate.finite("parameters", w)
    var rng = SeededGenerator(seed: c.seed)
    let hessianBatch: SampleSet =
      c.hessianSampleCount == 0 || c.hessianSampleCount >= n
      ? .range(0..<n) : .indices(Array(rng.permutation(count: n).prefix(c.hessianSampleCount)))
    let estimator = try StabilizationEstimator(configuration: c.stabilization)
    var base = Double(optimizer.learningRate)
    var warmup = c.warmupSteps
    var weights = c.projection
    var basis: Basis? = nil
    var perm: [Int] = []
    var cursor = n
    var report = TrainingReport(
      completedSteps: 0, losses: [], learningRates: [], stopReason: nil, diverged: false,
      events: [])
    let firstEvent = monitor.history.count

    func factor(_ t: Int) -> Double { warmup > 0 ? min(1, Double(t + 1) / Double(warmup)) : 1 }

    stepLoop: for t in 0..<c.steps {
      let batch: SampleSet
      if c.batchSize == 0 || c.batchSize >= n {
        batch = .range(0..<n)
      } else {
        if cursor + c.batchSize > n {
          perm = rng.permutation(count: n)
          cursor = 0
        }
        batch = .indices(Array(perm[cursor..<(cursor + c.batchSize)]))
        cursor += c.batchSize
      }
      let (loss, g) = try objective.lossAndGradient(at: w, samples: batch)
      report.losses.append(loss)

      // Applies a response; returns false when the run must stop.
      func apply(_ r: MonitorResponse) -> Bool {
        if let lr = r.learningRate { base = lr / factor(t) }
        if r.warmupExtension > 0 { warmup += r.warmupExtension }
        if let pw = r.projection { weights = pw }
        if let reason = r.stopReason {
          report.stopReason = reason
          return false
        }
        return true
      }

      var response = monitor.observe(
        step: t, loss: loss, gradient: g, learningRate: base * factor(t))
      if !apply(response) { break stepLoop }
      if !loss.isFinite || g.contains(where: { !$0.isFinite }) {
        report.diverged = true
        report.stopReason = "non-finite loss or gradient at step \(t)"
        break stepLoop
      }
      var pre: [Float]? = nil
      if c.stabilityRule.isPreconditioned {
        pre = preconditioner?(optimizer) ?? (optimizer as? Adam)?.preconditionerDiagonal
        if pre?.isEmpty == true { pre = nil }
      }
      // The preconditioned sharpness needs Adam's second moments (none before the first step).
      if c.sharpnessInterval > 0 && t % c.sharpnessInterval == 0
        && (!c.stabilityRule.isPreconditioned || pre != nil)
      {
        response = try monitor.measureSharpness(
          of: objective, at: w, samples: hessianBatch, step: t, learningRate: base * factor(t),
          rule: c.stabilityRule, preconditioner: pre,
          lanczos: LanczosConfiguration(
            tolerance: 1e-3, maxProducts: 200, seed: c.seed &+ UInt64(t)))
        if !apply(response) { break stepLoop }
      }
      if c.stabilizationInterval > 0 && t % c.stabilizationInterval == 0 {
        response = try monitor.measureStabilization(
          of: objective, at: w, sampleCounts: c.stabilizationSampleCounts, estimator: estimator,
          step: t, learningRate: base * factor(t))
        if !apply(response) { break stepLoop }
      }
      if (c.subspaceInterval > 0 && t % c.subspaceInterval == 0) || response.refreshSubspace
        || (weights != .full && basis == nil)
      {
        let h = try ObjectiveHessian(objective: objective, at: w, samples: hessianBatch)
        let eig = try Lanczos(
          configuration: LanczosConfiguration(
            tolerance: 1e-3, maxProducts: 400, seed: c.seed &+ UInt64(t))
        ).eigenpairs(of: h, count: c.subspaceDimension, warmStart: basis)
        var overlap: Double? = nil
        if let old = basis {
          var s = 0.0
          for j in 0..<old.count {
            for x in eig.vectors.coefficients(of: old.column(j)) { s += x * x }
          }
          overlap = s / Double(old.count)
        }
        basis = eig.vectors
        let gn = Kernels.norm(g)
        var align: Double? = nil
        if gn > 0 {
          let cf = eig.vectors.coefficients(of: g)
          align = cf.reduce(0) { $0 + $1 * $1 } / (gn * gn)
        }
        response = monitor.recordSubspaceRefresh(
          SubspaceRefresh(
            step: t, eigenvalues: eig.eigenvalues, gradientAlignment: align, overlap: overlap,
            productCount: eig.productCount), learningRate: base * factor(t))
        if !apply(response) { break stepLoop }
      }
      var update = g
      if weights != .full, let u = basis {
        g.withUnsafeBufferPointer { gp in
          update.withUnsafeMutableBufferPointer {
            u.project(gp, dominantWeight: weights.dominant, bulkWeight: weights.bulk, into: $0)
          }
        }
      }
      let eta = base * factor(t)
      optimizer.learningRate = Float(eta)
      try optimizer.step(parameters: &w, gradient: update)
      report.learningRates.append(eta)
      report.completedSteps += 1
    }
    report.events = Array(monitor.history[firstEvent...])
    parameters = w
    return report
  }
}
