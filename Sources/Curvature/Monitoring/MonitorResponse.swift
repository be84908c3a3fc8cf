/// The combined answer of every callback to the events of one monitor call.
///
/// Combination rules (deterministic):
/// - Events are handled in the order they are emitted; for each event the callbacks run in
///   registration order. ``decisions`` lists every non-`continue` answer in that order.
/// - **Stop wins**: if any callback returns `stop`, ``shouldStop`` is true and ``stopReason``
///   is the first reason; the loop must end without applying the other changes.
/// - **Learning rate**: starting from the learning rate the call was made with, each
///   `setLearningRate(x)` replaces it with x and each `scaleLearningRate(f)` multiplies it by f,
///   in the order above. ``learningRate`` is the result, or `nil` if no callback asked.
///   Example: registered callbacks answering `scale(0.5)` then `set(0.1)` give 0.1;
///   `set(0.1)` then `scale(0.5)` give 0.05.
/// - **Warm-up**: ``warmupExtension`` is the largest requested extension (two policies asking
///   for 100 more steps give 100, not 200).
/// - **Projection**: the last requested weights win.
/// - **Refresh**: requested if any callback asks.
public struct MonitorResponse: Sendable {
  /// The events emitted by the call, in order.
  public var events: [TrainingEvent] = []
  /// Every decision other than `continue`, in event then registration order.
  public var decisions: [TrainingDecision] = []
  /// The first stop reason, if any callback asked to stop.
  public var stopReason: String? = nil
  /// The combined learning rate, if any callback changed it.
  public var learningRate: Double? = nil
  /// The largest requested warm-up extension in steps (0 if none).
  public var warmupExtension: Int = 0
  /// The last requested projection weights, if any.
  public var projection: ProjectionWeights? = nil
  /// Whether any callback asked for a subspace refresh.
  public var refreshSubspace: Bool = false

  /// Creates an empty response.
  /// - Complexity: O(1).
  public init() {}

  /// Whether the loop must stop.
  /// - Complexity: O(1).
  public var shouldStop: Bool { stopReason != nil }

  /// Folds `decision` into the response, with `current` the learning rate before it.
  mutating func fold(_ decision: TrainingDecision, current: Double) {
    switch decision {
    case .continue: return
    case .stop(let reason): if stopReason == nil { stopReason = reason }
    case .setLearningRate(let x): learningRate = x
    case .scaleLearningRate(let f): learningRate = (learningRate ?? current) * f
    case .extendWarmup(let n): warmupExtension = max(warmupExtension, n)
    case .switchProjection(let p): projection = p
    case .refreshSubspace: refreshSubspace = true
    }
    decisions.append(decision)
  }

  /// Appends the response of a later monitor call, made after this one was applied (so its
  /// learning rate already started from ours): a later learning rate replaces ours, the other
  /// fields combine by the rules above.
  /// - Complexity: O(events and decisions in `later`).
  public mutating func merge(_ later: MonitorResponse) {
    events += later.events
    decisions += later.decisions
    if stopReason == nil { stopReason = later.stopReason }
    if let lr = later.learningRate { learningRate = lr }
    warmupExtension = max(warmupExtension, later.warmupExtension)
    if let p = later.projection { projection = p }
    refreshSubspace = refreshSubspace || later.refreshSubspace
  }

}
