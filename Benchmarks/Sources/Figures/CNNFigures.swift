import Curvature
import CurvatureModels
import Foundation

/// The CNN's product timings on all 1,797 digits (1×8×8), ReLU, channels `channels`.
///
///   swift run -c release Figures models --only cnn [--channels 16,32] [--reps N] [--export DIR]
///
/// `--export DIR` also writes the images, labels, weights, probe direction, our loss, gradient,
/// HVP and timings as `.npy`/JSON for `Peers/jax_cnn.py`.
func cnnFigures(channels: [Int], export: String?, reps: Int) throws {
  let data = try ClassificationData.digits()
  let model = try CNN(
    channels: channels, classCount: 10, imageShape: .init(channels: 1, height: 8, width: 8),
    data: data)
  let w = model.initialParameters(seed: 0)
  let w2 = model.initialParameters(seed: 1)
  let all = SampleSet.all(data.count)
  let shapes = model.featureMapShapes.map(\.description).joined(separator: " → ")
  print(
    "\n## CNN \(channels.map(String.init).joined(separator: ",")),10 ReLU (\(shapes) → 10), "
      + "all \(data.count) digits, P = \(model.parameterCount)")
  let t = try ProductTimings(model, w: w, w2: w2, samples: all, reps: reps)
  t.printTable(name: "CNN")
  guard let dir = export else { return }
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  try data.save(inputs: dir + "/cnn_inputs.npy", labels: dir + "/cnn_labels.npy")
  try exportForPeer(
    model, at: w, samples: all,
    results: [
      "gradient_ms": t.gradient, "hvp_ms": t.hvpFresh, "hvp_cached_ms": t.hvpCached,
      "block8_ms": t.block8Cached, "gauss_newton_ms": t.gaussNewton, "channels": channels,
      "classes": 10, "image_shape": [1, 8, 8], "activation": model.activation.rawValue,
      "reps": reps,
    ],
    to: dir,
    files: .init(
      parameters: "cnn_parameters.npy", direction: "cnn_direction.npy",
      gradient: "cnn_swift_gradient.npy", hvp: "cnn_swift_hvp.npy", results: "cnn_results.json"))
}
