/// What a callback asks the training loop to do in response to an event.
public enum TrainingDecision: Sendable, Equatable {
  /// Nothing to change.
  case `continue`
  /// End training now, for `reason`.
  case stop(reason: String)
  /// Set the (base) learning rate to the value.
  case setLearningRate(Double)
  /// Multiply the (base) learning rate by the factor.
  case scaleLearningRate(Double)
  /// Extend the learning-rate warm-up by this many steps.
  case extendWarmup(steps: Int)
  /// Switch the update's projection to these weights (see ``ProjectionWeights``).
  case switchProjection(ProjectionWeights)
  /// Recompute the dominant subspace before the next update.
  case refreshSubspace
}

/// The weights of the interpolated update α_dom·P_dom g + α_bulk·P_bulk g.
/// (1, 1) is plain SGD, (1, 0) Dom-SGD, (0, 1) Bulk-SGD.
public struct ProjectionWeights: Sendable, Hashable {
  /// α_dom, the weight of the dominant-subspace component.
  public var dominant: Float
  /// α_bulk, the weight of the bulk component.
  public var bulk: Float

  /// Creates weights.
  /// - Complexity: O(1).
  public init(dominant: Float, bulk: Float) {
    self.dominant = dominant
    self.bulk = bulk
  }

  /// Plain SGD: (1, 1).
  public static let full = ProjectionWeights(dominant: 1, bulk: 1)
  /// Dom-SGD: (1, 0).
  public static let dominantOnly = ProjectionWeights(dominant: 1, bulk: 0)
  /// Bulk-SGD: (0, 1).
  public static let bulkOnly = ProjectionWeights(dominant: 0, bulk: 1)
}
