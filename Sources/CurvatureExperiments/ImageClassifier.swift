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

  static func make(_ s: ExperimentSize, samples: Int, seed: UInt64) throws -> ImageClassifier {
    let data = try Lab.digits(count: samples, seed: seed)
    let layers = s == .quick ? [64, 16, 10] : [64, 32, 10]
    let mlp = try MLP(layerSizes: layers, activation: .relu, data: data)
    return ImageClassifier(
      objective: mlp, data: data, initialParameters: { mlp.initialParameters(seed: $0) },
      accuracy: { try mlp.accuracy(at: $0, data: data) }, classCount: 10,
      spec:
        "mlp:\(layers.map(String.init).joined(separator: ",")) (ReLU, P = \(mlp.parameterCount))")
  }
}
