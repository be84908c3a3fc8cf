/// What one refresh of the dominant basis found and cost.
public struct RefreshReport: Sendable {
  /// The tracker step at which the refresh was due (its parameters are w at that step).
  public var step: Int
  /// The step from which its basis is used: ``step`` for a synchronous refresh, ``step`` plus
  /// the lag for an asynchronous one (``RefreshExecution``).
  public var installStep: Int
  /// Why it ran.
  public var reason: RefreshReason
  /// The top-k eigenvalues, descending.
  public var eigenvalues: [Double]
  /// Residual norms ‖H u − λ u‖ of the pairs.
  public var residuals: [Double]
  /// Whether each pair met the solver tolerance.
  public var converged: [Bool]
  /// Hessian-vector products spent by this refresh.
  public var productCount: Int
  /// Whether the solver was warm-started from the previous basis.
  public var warmStarted: Bool
  /// ‖UᵀV‖_F²/k between the previous basis U and the new one V (`nil` at the first refresh).
  public var overlapWithPrevious: Double?
  /// The interval of an adaptive policy after this refresh, in steps (`nil` without
  /// ``RefreshPolicy/adaptiveInterval``): the next periodic refresh is due this many steps after
  /// ``step``.
  public var refreshInterval: Int? = nil
  /// The relative residual tolerance the solver ran with: the configured one, raised for
  /// objectives with inexact products (``HessianProductAccuracy``) and after a refresh that
  /// could not certify its pairs (``DominantSubspaceTracker/toleranceFloor``); 0 if unknown.
  public var tolerance: Double = 0
  /// The product cap the solver ran with (0 if unknown).
  public var productCap: Int = 0
  /// Whether the refresh stopped at its product cap without certifying every pair: its
  /// eigenpairs are the best the products allowed, and it cost the whole cap.
  public var reachedProductCap: Bool {
    !allConverged && productCap > 0 && productCount >= productCap
  }
  /// Error bars for ``eigenvalues`` — sampling error of the Hessian batch apart from the solver's
  /// residual bound — when the tracker's ``DominantSubspaceTracker/Configuration/uncertainty``
  /// is set (`nil` otherwise). Its products are counted in its own `productCount`, not in
  /// ``productCount``.
  public var eigenvalueUncertainty: EigenvalueUncertainty? = nil
  /// λ₁/λ₂ (`nil` when k = 1 or λ₂ = 0).
  public var spectralRatio: Double? {
    guard eigenvalues.count >= 2, eigenvalues[1] != 0 else { return nil }
    return eigenvalues[0] / eigenvalues[1]
  }
  /// Whether every pair converged.
  public var allConverged: Bool { converged.allSatisfy { $0 } }
}

/// The cheap per-step measurements of a ``DominantSubspaceTracker``.
public struct TrackerStepReport: Sendable {
  /// The tracker step (0-based).
  public var step: Int
  /// Gradient alignment χ_k = ‖U Uᵀ g‖/‖g‖ with the current basis (0 for a zero gradient).
  public var alignment: Double
  /// f_top = χ_k², the fraction of ‖g‖² in the dominant subspace (chance level k/P).
  public var topFraction: Double { alignment * alignment }
  /// The refresh whose basis is used from this step on (computed now, or launched `lag`
  /// steps ago by an asynchronous tracker), if any.
  public var refresh: RefreshReport?
  /// Why an asynchronous refresh was launched at this step (`nil` if none was).
  public var launched: RefreshReason?
  /// The exponential moving average of χ_k (the switch rule's statistic), if a rule is set.
  public var alignmentAverage: Double?
  /// Whether the switch rule fired at this step.
  public var switched: Bool
}
