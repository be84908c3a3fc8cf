/// When a ``DominantSubspaceTracker`` recomputes its basis. Triggers combine with "or"; the
/// first step always computes a basis, and ``DominantSubspaceTracker/requestRefresh()``
/// forces one at the next step.
public struct RefreshPolicy: Sendable, Hashable, Codable {
  /// Refresh every `interval` steps (steps 0, N, 2N, …); `nil` disables the periodic trigger.
  public var interval: Int?
  /// Refresh when the gradient alignment χ_k with the current basis falls below this value
  /// (in [0, 1]); `nil` disables the trigger.
  public var minimumAlignment: Double?
  /// Refresh when the relative parameter drift ‖w − w_ref‖/‖w_ref‖ since the last refresh
  /// exceeds this value (> 0); `nil` disables the trigger.
  public var maximumDrift: Double?
  /// Refresh on an interval that adapts to how fast the basis moves (counted from the step the
  /// last refresh was due); `nil` disables the trigger. Excludes ``interval``.
  public var adaptiveInterval: AdaptiveInterval?

  /// Creates a policy. - Complexity: O(1).
  public init(
    interval: Int? = nil, minimumAlignment: Double? = nil, maximumDrift: Double? = nil,
    adaptiveInterval: AdaptiveInterval? = nil
  ) {
    self.interval = interval
    self.minimumAlignment = minimumAlignment
    self.maximumDrift = maximumDrift
    self.adaptiveInterval = adaptiveInterval
  }

  /// Refresh every `n` steps. - Complexity: O(1).
  public static func every(_ n: Int) -> RefreshPolicy { RefreshPolicy(interval: n) }

  /// Refresh on an ``AdaptiveInterval`` of `minimum…maximum` steps that doubles while
  /// consecutive bases overlap by at least `targetOverlap` and halves otherwise.
  /// - Complexity: O(1).
  public static func adaptive(
    minimum: Int = 1, maximum: Int, targetOverlap: Double = 0.99
  ) -> RefreshPolicy {
    RefreshPolicy(
      adaptiveInterval: AdaptiveInterval(
        minimum: minimum, maximum: maximum, targetOverlap: targetOverlap))
  }

  /// Refresh only on demand (and at the first step).
  public static let onDemand = RefreshPolicy()

  /// Checks the settings.
  /// - Throws: `CurvatureError.outOfRange` naming the bad setting.
  /// - Complexity: O(1).
  public func validate() throws(CurvatureError) {
    if let n = interval, n < 1 {
      throw .outOfRange(name: "refresh interval", value: Double(n), range: "[1, ∞)")
    }
    if let a = minimumAlignment, !(a >= 0 && a <= 1) {
      throw .outOfRange(name: "minimumAlignment", value: a, range: "[0, 1]")
    }
    if let d = maximumDrift, !(d > 0) || !d.isFinite {
      throw .outOfRange(name: "maximumDrift", value: d, range: "(0, ∞)")
    }
    if let adaptive = adaptiveInterval {
      try adaptive.validate()
      if interval != nil {
        throw .invalidArgument(
          name: "refresh policy", reason: "set either a fixed interval or an adaptive one, not both"
        )
      }
    }
  }
}

/// Why a refresh happened.
public enum RefreshReason: String, Sendable, Hashable, Codable {
  /// No basis yet.
  case initial
  /// The periodic (fixed or adaptive) interval came round.
  case interval
  /// The gradient alignment fell below the threshold.
  case alignment
  /// The parameters drifted past the threshold.
  case drift
  /// Requested by the caller.
  case requested
}
