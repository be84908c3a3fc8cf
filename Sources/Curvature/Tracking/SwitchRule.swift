/// Song, Ahn and Yun's switch: train as plain SGD until an exponential moving average of the
/// gradient alignment χ_k exceeds `threshold`, then switch the optimizer's projection to
/// `target` (e.g. ``SubspaceProjection/Mode/bulk``).
///
/// EMA: a ← χ at the first step, then a ← `decay`·a + (1 − `decay`)·χ.
public struct SwitchRule: Sendable, Hashable, Codable {
  /// The EMA level at which to switch, in [0, 1].
  public var threshold: Double
  /// The EMA decay in [0, 1).
  public var decay: Double
  /// The projection mode to switch to.
  public var target: SubspaceProjection.Mode

  /// Creates a rule. - Complexity: O(1).
  public init(threshold: Double, decay: Double = 0.9, target: SubspaceProjection.Mode = .bulk) {
    self.threshold = threshold
    self.decay = decay
    self.target = target
  }

  /// Checks the settings.
  /// - Throws: `CurvatureError.outOfRange` naming the bad setting.
  /// - Complexity: O(1).
  public func validate() throws(CurvatureError) {
    if !(threshold >= 0 && threshold <= 1) {
      throw .outOfRange(name: "switch threshold", value: threshold, range: "[0, 1]")
    }
    if !(decay >= 0 && decay < 1) {
      throw .outOfRange(name: "switch decay", value: decay, range: "[0, 1)")
    }
  }
}
