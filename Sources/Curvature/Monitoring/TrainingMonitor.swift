/// Settings of a ``TrainingMonitor``.
public struct MonitorConfiguration: Sendable, Hashable {
  /// The stabilisation threshold ε on Δ₂^(D) (squared loss units).
  public var stabilizationEpsilon: Double = 1e-6
  /// How many consecutive measurements with Δ ≤ ε emit ``TrainingEvent/stabilized(_:)``.
  public var stabilizedChecks: Int = 3
  /// Divergence when the loss exceeds this factor times the first observed loss.
  public var divergenceFactor: Double = 10
  /// The loss-plateau test that ``TrainingEvent/stabilized(_:)`` also requires: the number of
  /// observed steps (calls of ``TrainingMonitor/observe(step:loss:gradient:learningRate:)``)
  /// in each of the two windows whose mean losses are compared. 0 turns the test off
  /// (Δ alone decides).
  public var lossPlateauWindow: Int = 100
  /// The largest relative decrease of the mean loss from the previous window to the last one
  /// that still counts as a plateau: (mean₋₂ − mean₋₁) ≤ tolerance · |mean₋₂|.
  public var lossPlateauTolerance: Double = 0.02

  /// Creates a configuration.
  ///
  /// The defaults of the loss-plateau test (two windows of 100 observed steps, at most 2 %
  /// decrease) keep ``TrainingEvent/stabilized(_:)`` from firing while the loss is still
  /// falling: a small Δ₂^(D) says more data no longer moves the local landscape, not that
  /// the optimizer has nothing left to gain (the article "Stabilisation signals" shows a run
  /// where Δ alone stopped training with the loss still falling by a third).
  /// - Complexity: O(1).
  public init(
    stabilizationEpsilon: Double = 1e-6, stabilizedChecks: Int = 3, divergenceFactor: Double = 10,
    lossPlateauWindow: Int = 100, lossPlateauTolerance: Double = 0.02
  ) {
    self.stabilizationEpsilon = stabilizationEpsilon
    self.stabilizedChecks = stabilizedChecks
    self.divergenceFactor = divergenceFactor
    self.lossPlateauWindow = lossPlateauWindow
    self.lossPlateauTolerance = lossPlateauTolerance
  }

  /// Checks every field.
  /// - Throws: `CurvatureError` naming the first bad field.
  /// - Complexity: O(1).
  public func validate() throws(CurvatureError) {
    if !(stabilizationEpsilon >= 0) || !stabilizationEpsilon.isFinite {
      throw .outOfRange(name: "stabilizationEpsilon", value: stabilizationEpsilon, range: "[0, ∞)")
    }
    if stabilizedChecks < 1 {
      throw .outOfRange(name: "stabilizedChecks", value: Double(stabilizedChecks), range: "[1, ∞)")
    }
    if !(divergenceFactor > 1) || !divergenceFactor.isFinite {
      throw .outOfRange(name: "divergenceFactor", value: divergenceFactor, range: "(1, ∞)")
    }
    if lossPlateauWindow < 0 || lossPlateauWindow > 1 << 24 {
      throw .outOfRange(
        name: "lossPlateauWindow", value: Double(lossPlateauWindow), range: "[0, 16777216]")
    }
    if !(lossPlateauTolerance >= 0) || !lossPlateauTolerance.isFinite {
      throw .outOfRange(name: "lossPlateauTolerance", value: lossPlateauTolerance, range: "[0, ∞)")
    }
  }
}

/// What a callback sees besides the event: the loop's current state.
public struct TrainingState: Sendable, Equatable {
  /// The step of the monitor call.
  public var step: Int
  /// The learning rate in force when the callback runs (after earlier callbacks' changes).
  public var learningRate: Double
  /// The last observed loss, if any.
  public var lastLoss: Double?
}

/// A callback: answers an event with a decision.
public typealias TrainingCallback = (TrainingEvent, TrainingState) -> TrainingDecision

/// A reusable callback, possibly with state (built-ins: ``StopWhenStabilized``,
/// ``StopOnDivergence``, ``LearningRateGuard``, ``AlignmentModeSwitch``).
public protocol TrainingPolicy: AnyObject {
  /// The answer to `event`.
  func decide(_ event: TrainingEvent, state: TrainingState) -> TrainingDecision
}

/// Watches a training loop that calls it at its own pace, turns measurements into events and
/// asks the registered callbacks what to do.
///
/// A custom loop calls ``observe(step:loss:gradient:learningRate:)`` each step (cheap: the
/// divergence check) and, as often as it likes, ``measureSharpness(of:at:samples:step:learningRate:rule:preconditioner:lanczos:)``,
/// ``measureStabilization(of:at:sampleCounts:estimator:method:step:learningRate:)`` and
/// ``recordSubspaceRefresh(_:learningRate:)``. Every call returns a ``MonitorResponse`` that
/// combines the callbacks' decisions (see its rules); the loop applies it before its next
/// update. The monitor is not thread-safe: call it from the training loop's thread.
public final class TrainingMonitor {
  /// The settings.
  public let configuration: MonitorConfiguration
  private var callbacks: [(kinds: Set<TrainingEvent.Kind>, body: TrainingCallback)] = []
  private var referenceLoss: Double?
  private var lastLoss: Double?
  private var belowEpsilonCount = 0
  /// The last 2 × window observed losses (a ring), for the plateau test.
  private var recentLosses: [Double] = []
  private var recentLossesNext = 0
  private var exceedanceCount = 0
  /// Every event emitted so far, in order.
  public private(set) var history: [TrainingEvent] = []

  /// Creates a monitor.
  /// - Throws: `CurvatureError` for an invalid configuration.
  /// - Complexity: O(1).
  public init(configuration: MonitorConfiguration = MonitorConfiguration()) throws(CurvatureError) {
    try configuration.validate()
    self.configuration = configuration
  }

  /// Registers `callback` for events of `kinds` (all kinds by default). Callbacks answer in
  /// registration order.
  /// - Complexity: O(1).
  public func register(
    for kinds: Set<TrainingEvent.Kind> = Set(TrainingEvent.Kind.allCases),
    _ callback: @escaping TrainingCallback
  ) {
    callbacks.append((kinds, callback))
  }

  /// Registers a policy for all events (it ignores the ones it does not handle).
  /// - Complexity: O(1).
  public func register(_ policy: some TrainingPolicy) {
    callbacks.append((Set(TrainingEvent.Kind.allCases), { policy.decide($0, state: $1) }))
  }

  /// Observes one step: emits ``TrainingEvent/stepObserved(_:)`` and, if the loss or
  /// gradient is non-finite or the loss exceeds ``MonitorConfiguration/divergenceFactor``
  /// times the first observed loss, ``TrainingEvent/diverged(_:)``.
  /// - Complexity: O(P) for the gradient check.
  public func observe(step: Int, loss: Double, gradient: [Float]? = nil, learningRate: Double)
    -> MonitorResponse
  {
    var events: [TrainingEvent] = []
    var norm: Double? = nil
    var bad: Int? = nil
    if let g = gradient {
      bad = g.firstIndex { !$0.isFinite }
      norm = bad == nil ? Kernels.norm(g) : .nan
    }
    events.append(
      .stepObserved(
        StepObservation(step: step, loss: loss, gradientNorm: norm, learningRate: learningRate)))
    if !loss.isFinite {
      events.append(.diverged(DivergenceReport(step: step, loss: loss, reason: .nonFiniteLoss)))
    } else if let i = bad {
      events.append(
        .diverged(DivergenceReport(step: step, loss: loss, reason: .nonFiniteGradient(index: i))))
    } else if let ref = referenceLoss, loss > configuration.divergenceFactor * ref {
      events.append(
        .diverged(
          DivergenceReport(
            step: step, loss: loss,
            reason: .lossGrowth(reference: ref, factor: configuration.divergenceFactor))))
    }
    if referenceLoss == nil && loss.isFinite { referenceLoss = loss }
    lastLoss = loss
    rememberLoss(loss)
    return dispatch(events, step: step, learningRate: learningRate)
  }

  /// Records a sharpness λ₁ measured elsewhere: emits ``TrainingEvent/sharpnessMeasured(_:)``
  /// and, if r > 1, ``TrainingEvent/stabilityThresholdExceeded(_:)``.
  /// - Throws: `CurvatureError` for a non-finite λ₁, a non-positive learning rate or a bad rule.
  /// - Complexity: O(callbacks).
  public func recordSharpness(
    _ sharpness: Double, step: Int, learningRate: Double, rule: StabilityRule
  ) throws(CurvatureError) -> MonitorResponse {
    if !sharpness.isFinite { throw .nonFinite(name: "sharpness", index: 0) }
    try Validate.positive("learningRate", learningRate)
    try rule.validate()
    let r = rule.ratio(sharpness: sharpness, learningRate: learningRate)
    exceedanceCount = r > 1 ? exceedanceCount + 1 : 0
    let m = SharpnessMeasurement(
      step: step, sharpness: sharpness, rule: rule, learningRate: learningRate,
      threshold: rule.threshold(learningRate: learningRate), ratio: r,
      consecutiveExceedances: exceedanceCount)
    var events: [TrainingEvent] = [.sharpnessMeasured(m)]
    if r > 1 { events.append(.stabilityThresholdExceeded(m)) }
    return dispatch(events, step: step, learningRate: learningRate)
  }

  /// Measures λ₁ of the Hessian of `objective` over `samples` at `w` with ``Lanczos`` and
  /// records it. For ``StabilityRule/adam(beta1:)`` pass `preconditioner` = √v̂ + ε (length P,
  /// positive; ``Adam/preconditionerDiagonal``): λ₁ is then that of the
  /// ``PreconditionedOperator`` P^{-1/2} H P^{-1/2}.
  /// - Throws: `CurvatureError` for bad parameters, samples, preconditioner or rule.
  /// - Complexity: the Lanczos products for one eigenpair (tens of HVPs).
  public func measureSharpness(
    of objective: some DifferentiableObjective, at w: [Float], samples: SampleSet, step: Int,
    learningRate: Double, rule: StabilityRule, preconditioner: [Float]? = nil,
    lanczos: LanczosConfiguration = LanczosConfiguration(tolerance: 1e-3, maxProducts: 200)
  ) throws -> MonitorResponse {
    try rule.validate()
    try Validate.positive("learningRate", learningRate)
    let h = try ObjectiveHessian(objective: objective, at: w, samples: samples)
    let lambda: Double
    if rule.isPreconditioned {
      guard let p = preconditioner else {
        throw CurvatureError.invalidArgument(
          name: "preconditioner", reason: "required for the Adam stability rule")
      }
      let op = try PreconditionedOperator(h, diagonal: p)
      lambda = try Lanczos(configuration: lanczos).eigenpairs(of: op, count: 1).eigenvalues[0]
    } else {
      lambda = try Lanczos(configuration: lanczos).eigenpairs(of: h, count: 1).eigenvalues[0]
    }
    return try recordSharpness(lambda, step: step, learningRate: learningRate, rule: rule)
  }

  /// Records a stabilisation curve measured elsewhere: emits
  /// ``TrainingEvent/stabilizationMeasured(_:)`` and, once Δ (the curve's value at its largest
  /// sample count) has been ≤ ε for ``MonitorConfiguration/stabilizedChecks`` consecutive
  /// measurements, ``TrainingEvent/stabilized(_:)`` (again at every further such measurement).
  /// - Complexity: O(grid size + callbacks).
  public func recordStabilization(_ curve: StabilizationCurve, step: Int, learningRate: Double)
    -> MonitorResponse
  {
    let delta = curve.mean.last ?? .infinity
    belowEpsilonCount = delta <= configuration.stabilizationEpsilon ? belowEpsilonCount + 1 : 0
    let decrease = lossDecrease()
    let plateau: Bool
    if configuration.lossPlateauWindow == 0 || recentLosses.isEmpty {
      plateau = true  // the test is off, or the loop reports no losses
    } else if let d = decrease {
      plateau = d <= configuration.lossPlateauTolerance
    } else {
      plateau = false  // fewer than two windows of losses so far
    }
    let m = StabilizationMeasurement(
      step: step, curve: curve, delta: delta, slope: curve.slope,
      epsilon: configuration.stabilizationEpsilon, consecutiveBelowEpsilon: belowEpsilonCount,
      relativeLossDecrease: decrease, lossPlateaued: plateau)
    var events: [TrainingEvent] = [.stabilizationMeasured(m)]
    if belowEpsilonCount >= configuration.stabilizedChecks && plateau {
      events.append(.stabilized(m))
    }
    return dispatch(events, step: step, learningRate: learningRate)
  }

  /// Measures the stabilisation curve of `objective` at `w` with `estimator` (usually the
  /// closed form, ``StabilizationMethod/gaussianMoment``) and records it.
  /// - Throws: `CurvatureError` from the estimator.
  /// - Complexity: that of ``StabilizationEstimator/curve(of:at:sampleCounts:method:)``.
  public func measureStabilization(
    of objective: some DifferentiableObjective, at w: [Float], sampleCounts: [Int],
    estimator: StabilizationEstimator, method: StabilizationMethod = .gaussianMoment, step: Int,
    learningRate: Double
  ) throws -> MonitorResponse {
    let curve = try estimator.curve(
      of: objective, at: w, sampleCounts: sampleCounts, method: method)
    return recordStabilization(curve, step: step, learningRate: learningRate)
  }

  /// Adds an observed loss to the ring of the last 2 × window losses (non-finite losses are
  /// left out: divergence is reported separately).
  private func rememberLoss(_ loss: Double) {
    let w = configuration.lossPlateauWindow
    guard w > 0, loss.isFinite else { return }
    if recentLosses.count < 2 * w {
      recentLosses.append(loss)
    } else {
      recentLosses[recentLossesNext] = loss
      recentLossesNext = (recentLossesNext + 1) % (2 * w)
    }
  }

  /// (mean of the previous window − mean of the last window) ÷ |mean of the previous window|
  /// over the observed losses, or nil before two full windows.
  private func lossDecrease() -> Double? {
    let w = configuration.lossPlateauWindow
    guard w > 0, recentLosses.count == 2 * w else { return nil }
    var older = 0.0
    var newer = 0.0
    for i in 0..<(2 * w) {  // oldest first, starting at the ring's next write position
      let x = recentLosses[(recentLossesNext + i) % (2 * w)]
      if i < w { older += x } else { newer += x }
    }
    older /= Double(w)
    newer /= Double(w)
    return older == 0 ? (newer < 0 ? .infinity : 0) : (older - newer) / abs(older)
  }

  /// Records a subspace refresh (e.g. a tracker's report): emits
  /// ``TrainingEvent/subspaceRefreshed(_:)``.
  /// - Complexity: O(callbacks).
  public func recordSubspaceRefresh(_ refresh: SubspaceRefresh, learningRate: Double)
    -> MonitorResponse
  {
    dispatch([.subspaceRefreshed(refresh)], step: refresh.step, learningRate: learningRate)
  }

  /// Records a refresh that stopped at its product cap without certifying its pairs: emits
  /// ``TrainingEvent/refreshUncertified(_:)``.
  /// - Complexity: O(callbacks).
  public func recordUncertifiedRefresh(_ refresh: SubspaceRefresh, learningRate: Double)
    -> MonitorResponse
  {
    dispatch([.refreshUncertified(refresh)], step: refresh.step, learningRate: learningRate)
  }

  private func dispatch(_ events: [TrainingEvent], step: Int, learningRate: Double)
    -> MonitorResponse
  {
    var response = MonitorResponse()
    response.events = events
    history += events
    for event in events {
      for cb in callbacks where cb.kinds.contains(event.kind) {
        let current = response.learningRate ?? learningRate
        let state = TrainingState(step: step, learningRate: current, lastLoss: lastLoss)
        response.fold(cb.body(event, state), current: current)
      }
    }
    return response
  }
}
