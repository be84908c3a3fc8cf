/// A refresh interval that follows how fast the dominant subspace moves: after each refresh it
/// doubles when the new basis overlaps the previous one by at least ``targetOverlap``, and halves
/// otherwise, within ``minimum``…``maximum`` steps.
///
/// Early in training the top eigenvectors rotate quickly (on the digits MLP the top-10 basis
/// of step 100 overlaps that of step 0 by only 0.3), and later they barely move. A fixed
/// interval long enough for the late phase leaves the early phase with a stale basis, through
/// which part of the current dominant gradient leaks into a Bulk-SGD step; an adaptive interval
/// refreshes often while the subspace moves and every ``maximum`` steps once it has settled.
/// The interval starts at ``minimum``. Overlap is ``SubspaceMetrics/overlap(_:_:)``, the mean
/// squared cosine of the principal angles between consecutive bases.
public struct AdaptiveInterval: Sendable, Hashable, Codable {
  /// The shortest interval in steps (≥ 1), also the first one.
  public var minimum: Int
  /// The longest interval in steps (≥ `minimum`).
  public var maximum: Int
  /// The overlap between consecutive bases (in (0, 1]) at or above which the interval doubles.
  public var targetOverlap: Double

  /// Creates an adaptive interval. - Complexity: O(1).
  public init(minimum: Int = 1, maximum: Int, targetOverlap: Double = 0.99) {
    self.minimum = minimum
    self.maximum = maximum
    self.targetOverlap = targetOverlap
  }

  /// The interval after a refresh whose basis overlaps the previous one by `overlap`:
  /// `2·interval` (at most ``maximum``) if `overlap ≥` ``targetOverlap``, else `interval / 2`
  /// (at least ``minimum``). - Complexity: O(1).
  public func next(after interval: Int, overlap: Double) -> Int {
    overlap >= targetOverlap
      ? min(interval > maximum / 2 ? maximum : 2 * interval, maximum)
      : max(interval / 2, minimum)
  }

  /// Checks the settings.
  /// - Throws: `CurvatureError.outOfRange` naming the bad setting.
  /// - Complexity: O(1).
  public func validate() throws(CurvatureError) {
    if minimum < 1 {
      throw .outOfRange(name: "adaptive interval minimum", value: Double(minimum), range: "[1, ∞)")
    }
    if maximum < minimum {
      throw .outOfRange(
        name: "adaptive interval maximum", value: Double(maximum), range: "[\(minimum), ∞)")
    }
    if !(targetOverlap > 0 && targetOverlap <= 1) {
      throw .outOfRange(name: "targetOverlap", value: targetOverlap, range: "(0, 1]")
    }
  }
}
