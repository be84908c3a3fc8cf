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
  /// Records a tracker step: emits ``TrainingEvent/subspaceRefreshed(_:)`` when the step
  /// refreshed the basis (followed by ``TrainingEvent/refreshUncertified(_:)`` when that
  /// refresh stopped at its product cap without certifying its pairs), otherwise returns an
  /// empty response.
  /// - Complexity: O(k + callbacks).
  public func recordTrackerStep(_ report: TrackerStepReport, learningRate: Double)
    -> MonitorResponse
  {
    guard let refresh = SubspaceRefresh(trackerReport: report) else { return MonitorResponse() }
    var response = recordSubspaceRefresh(refresh, learningRate: learningRate)
    if !refresh.certified && refresh.reachedProductCap {
      response.merge(recordUncertifiedRefresh(refresh, learningRate: learningRate))
    }
    return response
  }
}

extension MonitorResponse {
  /// Applies the response to an optimizer through its control hooks: the combined learning
  /// rate becomes the rate of the **next** step (``Optimizer/setEffectiveLearningRate(_:)``,
  /// so a schedule's current multiplier is respected), the warm-up is extended
  /// (``Optimizer/extendWarmup(by:)``) and a projection switch reaches a wrapped
  /// ``ProjectedOptimizer``. Stop and refresh requests are left to the loop.
  /// - Returns: whether the warm-up extension and the projection switch found a target
  ///   (`true` when nothing was requested).
  /// - Throws: `CurvatureError` for a non-positive or non-finite learning rate; the optimizer
  ///   is then unchanged.
  /// - Complexity: O(1).
  @discardableResult
  public func applyHooks(to optimizer: inout some Optimizer) throws(CurvatureError) -> Bool {
    if let lr = learningRate { try optimizer.setEffectiveLearningRate(Float(lr)) }
    var found = true
    if warmupExtension > 0 { found = optimizer.extendWarmup(by: warmupExtension) && found }
    if let p = projection {
      let mode = p.mode
      found = optimizer.updateProjection { $0.mode = mode } && found
    }
    return found
  }
}
