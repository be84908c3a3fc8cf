import Curvature
import CurvatureModels
import Foundation
import Testing

@testable import CurvatureCLI

/// Convolutional networks from the commands: the grammar's shapes, images from `.npy`, and the
/// inputs they refuse.
@Suite struct CNNCommandTests {
  static let dir: String = {
    let d = NSTemporaryDirectory() + "curvature-cnn-cli-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }()

  /// `cnn:16,32,10` on the 8×8 digits is 1×8×8 → 16×4×4 → 32×2×2 → 10 with the layout of
  /// PyTorch's state_dict: 16·9 + 16, 32·16·9 + 32, then 10·128 + 10 parameters.
  @Test func digitsCNNHasTheDocumentedShapes() throws {
    let w = try Workload(model: .parse("cnn:16,32,10"), dataset: .digits, seed: 1)
    let cnn = try #require(w.objective as? CNN)
    #expect(cnn.imageShape == ImageShape(channels: 1, height: 8, width: 8))
    #expect(cnn.featureMapShapes.map { [$0.channels, $0.height, $0.width] } == [[1, 8, 8], [16, 4, 4], [32, 2, 2]])
    #expect(cnn.parameterCount == 16 * 9 + 16 + 32 * 16 * 9 + 32 + 10 * 128 + 10)
    #expect(w.summary.contains("1×8×8 → 16×4×4 → 32×2×2 → 10"))
    // Digits pixels reach the CNN row-major: image pixel (r, c) is feature 8r + c.
    #expect(cnn.data.inputs == (try ClassificationData.digits()).inputs)
  }

  @Test func trainsOnDigitsAndReportsHeldOutAccuracy() throws {
    let r = CommandTests.run([
      "train", "--model", "cnn:4,10", "--dataset", "digits", "--steps", "15", "--batch-size",
      "16", "--optimizer", "bulk-sgd", "--k", "3", "--refresh-every", "10", "--hessian-batch",
      "32", "--json", "--quiet",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let accuracy = try #require(o["test_accuracy"] as? Double)
    #expect(accuracy >= 0 && accuracy <= 1)
    let losses = try #require(o["losses"] as? [Double])
    #expect(try #require(o["final_loss"] as? Double) < losses[0])
    #expect(o["refreshes"] as? Int == 2)
  }

  /// N×C×H×W images from `.npy` for `train` and `spectrum`; the spectrum is the library's
  /// Lanczos on the same CNN's Hessian.
  @Test func imagesFromNpyInTrainAndSpectrum() throws {
    var rng = SeededGenerator(seed: 3)
    let n = 24
    let x = (0..<(n * 2 * 4 * 4)).map { _ in Float(rng.nextGaussian()) }
    let y = (0..<n).map { Int64($0 % 3) }
    let xPath = "\(Self.dir)/images.npy"
    let yPath = "\(Self.dir)/labels.npy"
    try NpyFile.write(NpyArray(shape: [n, 2, 4, 4], elements: .float32(x)), to: xPath)
    try NpyFile.write(NpyArray(shape: [n], elements: .int64(y)), to: yPath)
    let train = CommandTests.run([
      "train", "--model", "cnn:3,3:tanh", "--dataset", "npy:\(xPath),\(yPath)", "--steps", "3",
      "--batch-size", "8", "--quiet",
    ])
    #expect(train.status == 0, "\(train.stderr)")
    let data = try ClassificationData(
      inputs: x, labels: y.map { Int($0) }, featureCount: 32, classCount: 3)
    let cnn = try CNN(
      channels: [3], classCount: 3, activation: .tanh,
      imageShape: ImageShape(channels: 2, height: 4, width: 4), data: data)
    let w = cnn.initialParameters(seed: 5)
    let wPath = "\(Self.dir)/w.npy"
    try NpyFile.write(vector: w, to: wPath)
    let r = CommandTests.run([
      "spectrum", "--model", "cnn:3,3:tanh", "--inputs", xPath, "--labels", yPath,
      "--parameters", wPath, "--k", "2", "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let values = try #require(o["eigenvalues"] as? [Double])
    let expected = try Lanczos(configuration: LanczosConfiguration(tolerance: 1e-4, seed: 1))
      .eigenpairs(
        of: ObjectiveHessian(objective: cnn, at: w, samples: .range(0..<n)), count: 2)
    for i in 0..<2 {
      #expect(abs(values[i] - expected.eigenvalues[i]) <= 1e-3 * abs(expected.eigenvalues[0]))
    }
    // Flat inputs, a wrong class count and too many blocks: one line, exit 2.
    let flat = "\(Self.dir)/flat.npy"
    try NpyFile.write(NpyArray(shape: [n, 32], elements: .float32(x)), to: flat)
    for (model, dataset, phrase) in [
      ("cnn:3,3", "npy:\(flat),\(yPath)", "images"),
      ("cnn:3,5", "digits", "10"),
      ("cnn:3,3,3,3", "npy:\(xPath),\(yPath)", "4×4"),
    ] {
      let bad = CommandTests.run(["train", "--model", model, "--dataset", dataset, "--steps", "1"])
      #expect(bad.status == 2, "\(model) \(dataset): \(bad.stderr)")
      #expect(bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
      #expect(bad.stderr.contains(phrase), "\(bad.stderr)")
    }
  }
}
