/// What a ``TrainingMonitor`` tells its callbacks.
public enum TrainingEvent: Sendable {
  /// A step's loss (and gradient) was observed.
  case stepObserved(StepObservation)
  /// The dominant subspace was recomputed.
  case subspaceRefreshed(SubspaceRefresh)
  /// A refresh stopped at its product cap without certifying every eigenpair (emitted after
  /// its ``subspaceRefreshed(_:)``): its eigenpairs are uncertain and it cost the whole cap.
  case refreshUncertified(SubspaceRefresh)
  /// A stabilisation curve was measured.
  case stabilizationMeasured(StabilizationMeasurement)
  /// Δ₂^(D) ≤ ε held for the configured number of consecutive measurements.
  case stabilized(StabilizationMeasurement)
  /// The sharpness λ₁ was measured against the optimizer's threshold.
  case sharpnessMeasured(SharpnessMeasurement)
  /// λ₁ exceeded the threshold (r > 1).
  case stabilityThresholdExceeded(SharpnessMeasurement)
  /// The loss or gradient became non-finite, or the loss grew beyond the divergence factor.
  case diverged(DivergenceReport)

  /// The event's kind, for filtering callbacks.
  /// - Complexity: O(1).
  public var kind: Kind {
    switch self {
    case .stepObserved: return .stepObserved
    case .subspaceRefreshed: return .subspaceRefreshed
    case .refreshUncertified: return .refreshUncertified
    case .stabilizationMeasured: return .stabilizationMeasured
    case .stabilized: return .stabilized
    case .sharpnessMeasured: return .sharpnessMeasured
    case .stabilityThresholdExceeded: return .stabilityThresholdExceeded
    case .diverged: return .diverged
    }
  }

  /// The step the event belongs to.
  /// - Complexity: O(1).
  public var step: Int {
    switch self {
    case .stepObserved(let e): return e.step
    case .subspaceRefreshed(let e), .refreshUncertified(let e): return e.step
    case .stabilizationMeasured(let e), .stabilized(let e): return e.step
    case .sharpnessMeasured(let e), .stabilityThresholdExceeded(let e): return e.step
    case .diverged(let e): return e.step
    }
  }

  /// Event kinds.
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    case stepObserved, subspaceRefreshed, stabilizationMeasured, stabilized, sharpnessMeasured
    case stabilityThresholdExceeded, diverged, refreshUncertified
  }
}

/// One observed training step.
public struct StepObservation: Sendable, Equatable {
  /// The step index.
  public var step: Int
  /// The (minibatch) loss.
  public var loss: Double
  /// The gradient norm, if a gradient was given.
  public var gradientNorm: Double?
  /// The learning rate in use.
  public var learningRate: Double
}

/// A recomputed dominant subspace.
public struct SubspaceRefresh: Sendable, Equatable {
  /// The step index.
  public var step: Int
  /// The top eigenvalues of the Hessian (descending).
  public var eigenvalues: [Double]
  /// The fraction of the gradient in the subspace, f_top = ‖P_dom g‖²/‖g‖² ∈ [0, 1], if known.
  public var gradientAlignment: Double?
  /// The overlap ‖U_oldᵀU_new‖_F²/k with the previous subspace, if known.
  public var overlap: Double?
  /// Hessian-vector products spent.
  public var productCount: Int
  /// Whether each eigenpair met the solver tolerance (empty when unknown).
  public var converged: [Bool]
  /// Whether the refresh stopped at its product cap without certifying every pair.
  public var reachedProductCap: Bool

  /// Whether every eigenpair was certified (true when unknown).
  public var certified: Bool { converged.allSatisfy { $0 } }

  /// Creates a refresh report.
  /// - Complexity: O(1).
  public init(
    step: Int, eigenvalues: [Double], gradientAlignment: Double? = nil, overlap: Double? = nil,
    productCount: Int = 0, converged: [Bool] = [], reachedProductCap: Bool = false
  ) {
    self.converged = converged
    self.reachedProductCap = reachedProductCap
    self.step = step
    self.eigenvalues = eigenvalues
    self.gradientAlignment = gradientAlignment
    self.overlap = overlap
    self.productCount = productCount
  }
}

/// A stabilisation measurement: the curve and its summary.
public struct StabilizationMeasurement: Sendable, Equatable {
  /// The step index.
  public var step: Int
  /// The measured curve.
  public var curve: StabilizationCurve
  /// Δ at the largest sample count of the curve (the value compared with ε).
  public var delta: Double
  /// The fitted log–log slope of the curve, if defined.
  public var slope: Double?
  /// The threshold ε.
  public var epsilon: Double
  /// How many consecutive measurements (including this one) had Δ ≤ ε.
  public var consecutiveBelowEpsilon: Int
  /// The relative decrease of the mean observed loss between the last two windows of
  /// ``MonitorConfiguration/lossPlateauWindow`` steps (positive while the loss falls), or nil
  /// before two full windows have been observed or with the test off.
  public var relativeLossDecrease: Double?
  /// Whether the loss-plateau test passed (always true with the test off or when the loop
  /// reports no losses). ``TrainingEvent/stabilized(_:)`` needs it.
  public var lossPlateaued: Bool
}

/// A sharpness measurement against the optimizer's stability threshold.
public struct SharpnessMeasurement: Sendable, Equatable {
  /// The step index.
  public var step: Int
  /// λ₁ (of the preconditioned Hessian for Adam).
  public var sharpness: Double
  /// The rule that defines the threshold.
  public var rule: StabilityRule
  /// The learning rate η the threshold refers to.
  public var learningRate: Double
  /// The threshold C/η.
  public var threshold: Double
  /// r = λ₁ / threshold.
  public var ratio: Double
  /// How many consecutive measurements (including this one) had r > 1.
  public var consecutiveExceedances: Int
}

/// Why the monitor declared divergence.
public struct DivergenceReport: Sendable, Equatable {
  /// The step index.
  public var step: Int
  /// The observed loss.
  public var loss: Double
  /// The cause.
  public var reason: Reason

  /// Causes of divergence.
  public enum Reason: Sendable, Equatable {
    /// The loss is NaN or infinite.
    case nonFiniteLoss
    /// The gradient holds NaN or infinity at `index`.
    case nonFiniteGradient(index: Int)
    /// The loss exceeds `factor` times the first observed loss `reference`.
    case lossGrowth(reference: Double, factor: Double)
  }

  /// Whether training cannot continue (non-finite values).
  /// - Complexity: O(1).
  public var isFatal: Bool {
    if case .lossGrowth = reason { return false }
    return true
  }
}
