/// The result of one optimizer in an ``OptimizerComparison``: values a test can check.
public struct ComparisonRun: Sendable {
  /// How a run ended.
  public enum Status: Sendable, Hashable {
    /// Every step was taken.
    case completed
    /// The run stopped at `step` (0-based) without taking it: the loss or the gradient there
    /// was not finite, the loss exceeded the comparison's divergence threshold, or the
    /// optimizer refused a non-finite update. `losses` holds the steps before it and the loss
    /// at `step` when it was computed.
    case diverged(step: Int, reason: String)
  }

  /// The contender's name.
  public var name: String
  /// How the run ended.
  public var status: Status
  /// The minibatch loss of every step, in order.
  public var losses: [Double]
  /// The loss over the comparison's evaluation samples at the final parameters (for a diverged
  /// run: at the parameters where it stopped, which may be non-finite).
  public var finalLoss: Double
  /// Hessian-vector products spent by the run's tracker (0 without tracking).
  public var hessianVectorProducts: Int
  /// Refreshes of the run's tracker (0 without tracking).
  public var refreshes: Int
  /// The tracker's top-k eigenvalues at the end (empty without tracking).
  public var eigenvalues: [Double]
  /// Wall time of the training steps (without the final evaluation), in seconds.
  public var seconds: Double
  /// The final parameters.
  public var parameters: [Float]
  /// The optimizer's final state (checkpointable).
  public var optimizerState: OptimizerState
  /// The tracker's final state, if the run was tracked.
  public var trackerState: OptimizerState?

  /// Whether the run diverged. - Complexity: O(1).
  public var diverged: Bool {
    if case .diverged = status { return true }
    return false
  }

  /// The number of steps taken. - Complexity: O(1).
  public var stepsTaken: Int {
    if case .diverged(let step, _) = status { return step }
    return losses.count
  }
}
