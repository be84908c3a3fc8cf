/// The shape of one image sample: channels × height × width.
///
/// A sample's features are stored channel-major (C, H, W), as a PyTorch or NumPy array of shape
/// N × C × H × W flattened per sample: feature index c·H·W + y·W + x.
public struct ImageShape: Hashable, Sendable, CustomStringConvertible {
  /// The number of channels C.
  public var channels: Int
  /// The height H in pixels.
  public var height: Int
  /// The width W in pixels.
  public var width: Int

  /// Creates a shape (not validated here; models that take one validate it).
  /// - Complexity: O(1).
  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// The number of features C·H·W of one sample. - Complexity: O(1).
  public var featureCount: Int { channels * height * width }

  /// "C×H×W", e.g. "1×8×8".
  public var description: String { "\(channels)×\(height)×\(width)" }
}
