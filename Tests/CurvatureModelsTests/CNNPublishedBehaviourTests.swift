import Testing

@testable import Curvature
@testable import CurvatureModels

/// Song, Ahn & Yun (2024) on the CNN: Bulk-SGD (the gradient projected off the top-k Hessian
/// eigenspace) trains about as well as SGD, Dom-SGD (projected onto it) stalls. The same seeded
/// setup as the MLP's ``DigitsScenario`` — the first 500 digits, minibatch 32, η = 0.1, k = 10,
/// a fixed seeded 256-sample Hessian batch, a warm refresh every 25 steps, 300 steps, all three
/// optimizers from one initialisation — on `cnn:8,16,10` (1×8×8 → 8×4×4 → 16×2×2 → 10,
/// P = 1,898, ReLU).
///
/// Measured: SGD 0.110, Bulk-SGD 0.078 (0.71× SGD), Dom-SGD 2.303 (20.9× SGD, the loss at
/// initialisation). Dom-SGD stalls as published. Bulk-SGD does not merely match SGD here, it
/// trains faster: the two-sided "within 10 % of SGD" that holds on the MLP (``DigitsScenario``)
/// does not hold on the CNN, and the test asserts what does — Bulk-SGD ends no more than 10 %
/// above SGD — with the ratio printed. (Song, Ahn & Yun report Bulk-SGD as effective as SGD;
/// removing the sharp directions, along which SGD at this η oscillates, speeds it up here.)
///
/// A sweep of the same setup (`cd Benchmarks && swift run -c release Figures song`: three
/// seeds; η = 0.1, 0.05, 0.02; with and without a 200-step SGD phase before the switch, as the
/// paper switches once the alignment has settled) finds no short setup with both: where Dom-SGD stalls (η ≥ 0.05) Bulk-SGD ends 0.52–0.82× SGD's loss;
/// where Bulk-SGD matches SGD (η = 0.02, 0.92–1.00×) Dom-SGD ends only 1.06–2.57× SGD's. The
/// two-sided form holds in the full-size run, `curvature reproduce song2024` (`cnn:16,32,10`,
/// 1,500 steps: Bulk-SGD 0.959×, Dom-SGD 113× SGD's loss), which is too slow for the suite.
@Suite struct CNNPublishedBehaviourTests {
  static let sampleCount = 500

  static func finalLoss<O: Optimizer>(_ optimizer: O) throws -> Double {
    let data = try ClassificationData.digits().subset(Array(0..<sampleCount))
    let model = try CNN(
      channels: [8, 16], classCount: 10, imageShape: .init(channels: 1, height: 8, width: 8),
      data: data)
    var w = model.initialParameters(seed: 1)
    var opt = optimizer
    let tracker = try DominantSubspaceTracker(
      objective: model,
      configuration: .init(k: 10, hessianBatch: .subset(count: 256, seed: 3), refresh: .every(25)))
    var rng = SeededGenerator(seed: 9)
    for _ in 0..<300 {
      let batch = SampleSet.indices((0..<32).map { _ in rng.nextInt(below: sampleCount) })
      let (_, g) = try model.lossAndGradient(at: w, samples: batch)
      try tracker.step(&opt, parameters: &w, gradient: g, minibatch: batch)
    }
    return try model.loss(at: w, samples: .all(sampleCount))
  }

  @Test func bulkTrainsDominantStalls() throws {
    let sgd = try Self.finalLoss(SGD(learningRate: 0.1).projected(.full))
    let bulk = try Self.finalLoss(SGD(learningRate: 0.1).projected(.bulk))
    let dom = try Self.finalLoss(SGD(learningRate: 0.1).projected(.dominant))
    print(
      "CNN final loss: SGD \(sgd), Bulk-SGD \(bulk) (×\(bulk / sgd)), Dom-SGD \(dom) (×\(dom / sgd))"
    )
    #expect(bulk <= 1.10 * sgd)
    #expect(dom >= 2 * sgd)
  }
}
