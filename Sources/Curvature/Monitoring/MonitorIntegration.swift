extension SubspaceRefresh {
  /// The refresh in a ``DominantSubspaceTracker`` step report (`nil` if the step did not
  /// refresh): eigenvalues, f_top = χ_k², the overlap with the previous basis and the cost.
  /// - Complexity: O(k).
  public init?(trackerReport report: TrackerStepReport) {
    guard let r = report.refresh else { return nil }
    self.init(
      step: report.step, eigenvalues: r.eigenvalues, gradientAlignment: report.topFraction,
      overlap: r.overlapWithPrevious, productCount: r.productCount, converged: r.converged,
      reachedProductCap: r.reachedProductCap)
  }
}

extension ProjectionWeights {
  /// The equivalent ``SubspaceProjection/Mode``.
  /// - Complexity: O(1).
  public var mode: SubspaceProjection.Mode {
    switch (dominant, bulk) {
    case (1, 1): return .full
    case (1, 0): return .dominant
    case (0, 1): return .bulk
    default: return .interpolated(dominant: dominant, bulk: bulk)
    }
  }
}

extension TrainingMonitor {
  /// Records a tracker step: when the step refreshed the basis, emits
  /// ``TrainingEvent/subspaceRefreshed(_:)`` (followed by
  /// ``TrainingEvent/refreshUncertified(_:)`` when that refresh stopped at its product cap
  /// without certifying its pairs) and, for a `rule` on the plain Hessian (gradient descent,
  /// heavy ball), records λ₁ = the refresh's top eigenvalue against it
  /// (``recordSharpness(_:step:learningRate:rule:)``). Otherwise returns an empty response.
  /// Pass `rule: nil` to skip the sharpness (Adam's rule needs the preconditioned Hessian: use
  /// ``measureSharpness(of:at:samples:step:optimizer:lanczos:)`` for it).
  /// - Complexity: O(k + callbacks).
  public func recordTrackerStep(
    _ report: TrackerStepReport, learningRate: Double, rule: StabilityRule? = .gradientDescent
  ) -> MonitorResponse {
    guard let refresh = SubspaceRefresh(trackerReport: report) else { return MonitorResponse() }
    var response = recordSubspaceRefresh(refresh, learningRate: learningRate)
    if !refresh.certified && refresh.reachedProductCap {
      response.merge(recordUncertifiedRefresh(refresh, learningRate: learningRate))
    }
    if let rule, !rule.isPreconditioned, let top = refresh.eigenvalues.first, top.isFinite,
      learningRate > 0,
      let sharpness = try? recordSharpness(
        top, step: refresh.step, learningRate: response.learningRate ?? learningRate, rule: rule)
    {
      response.merge(sharpness)
    }
    return response
  }

  /// ``recordTrackerStep(_:learningRate:rule:)`` with the learning rate of the optimizer's next
  /// step (``Optimizer/effectiveLearningRate``) and its ``Optimizer/stabilityRule``: the one
  /// call a tracked loop makes after each tracker step.
  /// - Complexity: O(k + callbacks).
  public func recordTrackerStep(_ report: TrackerStepReport, optimizer: some Optimizer)
    -> MonitorResponse
  {
    recordTrackerStep(
      report, learningRate: Double(optimizer.effectiveLearningRate), rule: optimizer.stabilityRule)
  }

  /// Measures the sharpness of `objective` over `samples` at `w` against `optimizer`'s
  /// stability threshold (its ``Optimizer/stabilityRule`` at its next learning rate) and
  /// records it: the one call for a loop without a tracker. For Adam, λ₁ is that of the
  /// preconditioned Hessian with the optimizer's current √v̂ + ε.
  /// - Throws: `CurvatureError` for bad parameters or samples, or an Adam optimizer that has
  ///   not taken a step yet (no preconditioner).
  /// - Complexity: the Lanczos products for one eigenpair (tens of HVPs).
  public func measureSharpness(
    of objective: some DifferentiableObjective, at w: [Float], samples: SampleSet, step: Int,
    optimizer: some Optimizer,
    lanczos: LanczosConfiguration = LanczosConfiguration(tolerance: 1e-3, maxProducts: 200)
  ) throws -> MonitorResponse {
    let rule = optimizer.stabilityRule
    var preconditioner: [Float]? = nil
    if rule.isPreconditioned {
      guard let adam = Self.adam(in: optimizer), adam.stepCount > 0 else {
        throw CurvatureError.invalidArgument(
          name: "optimizer", reason: "Adam's preconditioner exists only after its first step")
      }
      preconditioner = adam.preconditionerDiagonal
    }
    return try measureSharpness(
      of: objective, at: w, samples: samples, step: step,
      learningRate: Double(optimizer.effectiveLearningRate), rule: rule,
      preconditioner: preconditioner, lanczos: lanczos)
  }

  /// The ``Adam`` inside `optimizer` (itself or a wrapper's base), if any.
  private static func adam(in optimizer: some Optimizer) -> Adam? {
    if let a = optimizer as? Adam { return a }
    let mirror = Mirror(reflecting: optimizer)
    for child in mirror.children where child.label == "base" {
      if let base = child.value as? any Optimizer { return adam(in: base) }
    }
    return nil
  }
}

extension MonitorResponse {
  /// Applies the response to an optimizer — the one way to act on a monitor's answer: the
  /// combined learning rate becomes the rate of the **next** step
  /// (``Optimizer/setEffectiveLearningRate(_:)``, so a schedule's current multiplier and a
  /// warm-up are respected), the warm-up is extended (``Optimizer/extendWarmup(by:)``) and a
  /// projection switch reaches a wrapped ``ProjectedOptimizer``. Stop and refresh requests are
  /// left to the loop (``shouldStop``, ``refreshSubspace``).
  /// - Returns: whether the warm-up extension and the projection switch found a target
  ///   (`true` when nothing was requested).
  /// - Throws: `CurvatureError` for a non-positive or non-finite learning rate; the optimizer
  ///   is then unchanged.
  /// - Complexity: O(1).
  @discardableResult
  public func apply(to optimizer: inout some Optimizer) throws(CurvatureError) -> Bool {
    if let lr = learningRate { try optimizer.setEffectiveLearningRate(Float(lr)) }
    var found = true
    if warmupExtension > 0 { found = optimizer.extendWarmup(by: warmupExtension) && found }
    if let p = projection {
      let mode = p.mode
      found = optimizer.updateProjection { $0.mode = mode } && found
    }
    return found
  }

  /// The former name of ``apply(to:)``.
  @available(*, deprecated, renamed: "apply(to:)")
  @discardableResult
  public func applyHooks(to optimizer: inout some Optimizer) throws(CurvatureError) -> Bool {
    try apply(to: &optimizer)
  }
}
