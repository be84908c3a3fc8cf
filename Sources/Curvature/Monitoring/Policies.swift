import Foundation

/// Stops training when the monitor reports ``TrainingEvent/stabilized(_:)``: more data no
/// longer moves the local loss landscape.
public final class StopWhenStabilized: TrainingPolicy {
  /// Creates the policy.
  /// - Complexity: O(1).
  public init() {}

  /// - Complexity: O(1).
  public func decide(_ event: TrainingEvent, state: TrainingState) -> TrainingDecision {
    guard case .stabilized(let m) = event else { return .continue }
    var reason =
      "stabilised: Δ₂^(D) = \(m.delta) ≤ ε = \(m.epsilon) for \(m.consecutiveBelowEpsilon) checks"
    if let d = m.relativeLossDecrease {
      reason +=
        ", loss plateaued (mean fell \(String(format: "%.2f", 100 * d)) % over the last window)"
    }
    return .stop(reason: reason)
  }
}

/// Stops training on divergence (by default only on non-finite loss or gradient; with
/// `includeLossGrowth`, also when the loss grows beyond the monitor's factor).
public final class StopOnDivergence: TrainingPolicy {
  /// Whether loss growth (not only non-finite values) stops training.
  public let includeLossGrowth: Bool

  /// Creates the policy.
  /// - Complexity: O(1).
  public init(includeLossGrowth: Bool = true) { self.includeLossGrowth = includeLossGrowth }

  /// - Complexity: O(1).
  public func decide(_ event: TrainingEvent, state: TrainingState) -> TrainingDecision {
    guard case .diverged(let d) = event else { return .continue }
    if !d.isFatal && !includeLossGrowth { return .continue }
    return .stop(reason: "diverged at step \(d.step): \(d.reason)")
  }
}

/// The learning-rate guard: when a sharpness measurement has r > 1, set
/// η ← c · C/λ₁ (= c·η/r; C = 2, 2 + 2β or (2 + 2β₁)/(1 − β₁)), so λ₁ sits at c times the
/// threshold of the new step size. Default c = 0.9.
public final class LearningRateGuard: TrainingPolicy {
  /// The safety factor c ∈ (0, 1].
  public let safetyFactor: Double
  /// How many consecutive exceedances trigger the guard (default 1: at once).
  public let patience: Int

  /// Creates the guard.
  /// - Throws: `CurvatureError` if c is not in (0, 1] or patience < 1.
  /// - Complexity: O(1).
  public init(safetyFactor: Double = 0.9, patience: Int = 1) throws(CurvatureError) {
    if !(safetyFactor > 0 && safetyFactor <= 1) {
      throw .outOfRange(name: "safetyFactor", value: safetyFactor, range: "(0, 1]")
    }
    if patience < 1 {
      throw .outOfRange(name: "patience", value: Double(patience), range: "[1, ∞)")
    }
    self.safetyFactor = safetyFactor
    self.patience = patience
  }

  /// - Complexity: O(1).
  public func decide(_ event: TrainingEvent, state: TrainingState) -> TrainingDecision {
    guard case .sharpnessMeasured(let m) = event, m.ratio > 1, m.consecutiveExceedances >= patience,
      m.sharpness > 0
    else { return .continue }
    return .setLearningRate(
      m.rule.guardedLearningRate(sharpness: m.sharpness, safetyFactor: safetyFactor))
  }
}

/// The alignment-based mode switch: when the gradient concentrates in the dominant subspace
/// (f_top ≥ `upper` at a refresh), the dominant component mostly drives oscillation along the
/// sharp directions and little descent, so switch to Bulk-SGD; switch back to SGD when f_top
/// falls to `lower` or below. Decisions are emitted only when the mode changes.
public final class AlignmentModeSwitch: TrainingPolicy {
  /// Switch to Bulk-SGD at or above this alignment.
  public let upper: Double
  /// Switch back to SGD at or below this alignment.
  public let lower: Double
  /// The weights used while switched.
  public let switchedWeights: ProjectionWeights
  /// Whether the bulk mode is on.
  public private(set) var isSwitched = false

  /// Creates the policy.
  /// - Throws: `CurvatureError` unless 0 ≤ lower ≤ upper ≤ 1.
  /// - Complexity: O(1).
  public init(
    upper: Double = 0.9, lower: Double = 0.5, switchedWeights: ProjectionWeights = .bulkOnly
  )
    throws(CurvatureError)
  {
    if !(upper >= 0 && upper <= 1) {
      throw .outOfRange(name: "upper", value: upper, range: "[0, 1]")
    }
    if !(lower >= 0 && lower <= upper) {
      throw .outOfRange(name: "lower", value: lower, range: "[0, \(upper)]")
    }
    self.upper = upper
    self.lower = lower
    self.switchedWeights = switchedWeights
  }

  /// - Complexity: O(1).
  public func decide(_ event: TrainingEvent, state: TrainingState) -> TrainingDecision {
    guard case .subspaceRefreshed(let r) = event, let f = r.gradientAlignment else {
      return .continue
    }
    if !isSwitched && f >= upper {
      isSwitched = true
      return .switchProjection(switchedWeights)
    }
    if isSwitched && f <= lower {
      isSwitched = false
      return .switchProjection(.full)
    }
    return .continue
  }
}
