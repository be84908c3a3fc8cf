import Curvature
import CurvatureModels

/// The classifier the subspace papers (Song et al. 2024, Fort & Ganguli 2019) train: a model on
/// the bundled digits with its initialisation and accuracy.
struct ImageClassifier {
  var objective: any DifferentiableObjective
  var data: ClassificationData
  var initialParameters: (UInt64) -> [Float]
  var accuracy: ([Float]) throws -> Double
  var classCount: Int
  var spec: String

  /// A ReLU CNN on `samples` seeded digits (1×8×8 images): `cnn:8,16,10` (P = 1,898) at quick
  /// size, `cnn:16,32,10` (P = 6,090) at full size.
  static func make(_ s: ExperimentSize, samples: Int, seed: UInt64) throws -> ImageClassifier {
    let data = try Lab.digits(count: samples, seed: seed)
    let channels = s == .quick ? [8, 16] : [16, 32]
    let cnn = try CNN(
      channels: channels, classCount: 10, activation: .relu,
      imageShape: ImageShape(channels: 1, height: 8, width: 8), data: data)
    let maps = cnn.featureMapShapes.map { "\($0.channels)×\($0.height)×\($0.width)" }
    return ImageClassifier(
      objective: cnn, data: data, initialParameters: { cnn.initialParameters(seed: $0) },
      accuracy: { try cnn.accuracy(at: $0, data: data) }, classCount: 10,
      spec:
        "cnn:\(channels.map(String.init).joined(separator: ",")),10 (ReLU, "
        + maps.joined(separator: " → ") + " → 10, P = \(cnn.parameterCount))")
  }
}
