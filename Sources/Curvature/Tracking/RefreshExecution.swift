/// Where and when a ``DominantSubspaceTracker`` computes its refreshes.
///
/// With ``synchronous`` a refresh runs on the calling thread at the step it is due, and the new
/// basis is used from that step on. With ``asynchronous(lag:objective:firstRefreshInBackground:)`` a refresh due at step
/// t is computed on a background thread from the parameters w_t while training continues with
/// the previous basis, and the new basis is installed at step t + `lag` exactly (the calling
/// thread waits there if the result is not ready yet). Install steps, inputs and random seeds
/// are fixed by the step count alone, so the trajectory is bit-identical whatever the timing
/// and scheduling of the threads; only wall time changes.
///
/// The first refresh (no basis yet) is synchronous by default, so a projected optimizer never
/// runs without a basis; with `firstRefreshInBackground` it is launched in the background at
/// the first step like the others, and until it is installed at step `lag` the tracker has no
/// basis (a projection is then the identity: the first `lag` steps are plain steps of the base
/// optimizer, as under a ``SwitchRule`` that has not fired). While a refresh is in flight, no
/// other trigger starts one: a pending ``DominantSubspaceTracker/requestRefresh()`` waits until
/// it has been installed.
///
/// With an adaptive interval (``RefreshPolicy/adaptiveInterval``) any lag ≥ 1 is valid: while
/// the current interval is shorter than the lag, refreshes are computed synchronously (a
/// background one would arrive after the next is due), and from an interval of `lag` on in the
/// background (the first refresh too: `firstRefreshInBackground` applies only once the minimum
/// interval is at least `lag`); a step that installs a background refresh leaves a synchronous
/// one to the next step, so one step installs at most one basis.
public enum RefreshExecution: Sendable {
  /// Makes an independent instance of the tracked objective for the background thread.
  ///
  /// It must compute exactly what the tracked objective computes (same model, data and sample
  /// numbering); the instance is used by one background refresh at a time and by nothing else,
  /// so objectives that cache their forward pass (and are not thread-safe) are fine. For a
  /// reference model: `{ try MLP(layerSizes: sizes, activation: .relu, data: data) }`.
  public typealias ObjectiveFactory = @Sendable () throws -> any DifferentiableObjective

  /// Each refresh runs on the calling thread when it is due.
  case synchronous
  /// Each refresh after the first (and the first too with `firstRefreshInBackground`) is
  /// computed on a background thread by an objective from `objective` and installed `lag` steps
  /// after it was due (1 ≤ `lag`, and `lag` ≤ the refresh interval when the policy has a fixed
  /// one; with an adaptive one, refreshes due while the interval is below `lag` run
  /// synchronously).
  case asynchronous(
    lag: Int, objective: ObjectiveFactory, firstRefreshInBackground: Bool = false)

  /// The install lag in steps (0 for synchronous refreshes). - Complexity: O(1).
  public var lag: Int {
    switch self {
    case .synchronous: return 0
    case .asynchronous(let lag, _, _): return lag
    }
  }

  /// Checks the lag against `policy`.
  /// - Throws: `CurvatureError.outOfRange` for a lag below 1 or above the refresh interval.
  /// - Complexity: O(1).
  public func validate(policy: RefreshPolicy) throws(CurvatureError) {
    guard case .asynchronous(let lag, _, _) = self else { return }
    let upper = policy.interval ?? Int.max
    if lag < 1 || lag > upper {
      throw .outOfRange(
        name: "refresh lag", value: Double(lag),
        range: policy.interval.map { "[1, \($0)] (the refresh interval)" } ?? "[1, ∞)")
    }
  }
}
