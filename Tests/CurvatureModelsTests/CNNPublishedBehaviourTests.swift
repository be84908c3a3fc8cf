import Testing

@testable import Curvature
@testable import CurvatureModels

/// Song, Ahn & Yun (2024) on the CNN: Bulk-SGD (the gradient projected off the top-k Hessian
/// eigenspace) trains about as well as SGD, Dom-SGD (projected onto it) stalls. `cnn:8,16,10`
/// (1×8×8 → 8×4×4 → 16×2×2 → 10, P = 1,898, ReLU) on the first 500 digits, minibatch 32, k = 10,
/// a fixed seeded 256-sample Hessian batch, a warm refresh every 25 steps, all three optimizers
/// from one point on the same minibatches.
///
/// Where the two-sided form holds: a sweep (`cd Benchmarks && swift run -c release Figures
/// song`, three seeds, recorded in Benchmarks/README.md) finds it needs an SGD phase before the
/// switch, as in the paper, and a learning rate at which SGD does not oscillate along the sharp
/// directions. From initialisation at η = 0.1 (300 steps) Dom-SGD stalls (20.9× SGD's loss) but
/// Bulk-SGD trains *faster* than SGD (0.71×): removing the directions along which SGD oscillates
/// speeds it up. With 300 projected steps, where Dom-SGD stalls (η ≥ 0.05) Bulk-SGD ends
/// 0.52–0.82× SGD's loss and where Bulk-SGD matches SGD (η = 0.02) Dom-SGD ends only 1.06–2.57×
/// SGD's. With a 200-step SGD phase and 600 projected steps at η = 0.015, every seed has both
/// (Bulk-SGD 0.96, 0.97, 0.91×; Dom-SGD 3.07, 2.81, 4.65×). The full-size run, `curvature
/// reproduce song2024` (`cnn:16,32,10`, 1,500 steps), gives Bulk-SGD 0.959× and Dom-SGD 113×.
@Suite struct CNNPublishedBehaviourTests {
  static let sampleCount = 500

  /// Song, Ahn & Yun's protocol on the CNN: 200 steps of SGD at η = 0.015, then 600 steps of
  /// each optimizer from the same parameters on the same minibatches (seed 1 of `Figures
  /// song`: initial parameters seed 1, minibatch stream seed 10). Measured: Bulk-SGD 0.96×,
  /// Dom-SGD 3.07× SGD's final loss; the published behaviour in its two-sided form.
  @Test func publishedRatiosAfterAnSGDPhase() throws {
    let data = try ClassificationData.digits().subset(Array(0..<Self.sampleCount))
    let model = try CNN(
      channels: [8, 16], classCount: 10, imageShape: .init(channels: 1, height: 8, width: 8),
      data: data)
    let eta: Float = 0.015
    var w0 = model.initialParameters(seed: 1)
    var rng = SeededGenerator(seed: 10)
    func batch() -> SampleSet {
      .indices((0..<32).map { _ in rng.nextInt(below: Self.sampleCount) })
    }
    var sgd = SGD(learningRate: eta)
    for _ in 0..<200 {
      let b = batch()
      try sgd.step(parameters: &w0, gradient: model.lossAndGradient(at: w0, samples: b).gradient)
    }
    let batches = (0..<600).map { _ in batch() }
    func finalLoss(_ mode: SubspaceProjection.Mode) throws -> Double {
      var w = w0
      var opt = SGD(learningRate: eta).projected(mode)
      let tracker = try DominantSubspaceTracker(
        objective: model,
        configuration: .init(
          k: 10, hessianBatch: .subset(count: 256, seed: 3), refresh: .every(25)))
      for b in batches {
        let g = try model.lossAndGradient(at: w, samples: b).gradient
        try tracker.step(&opt, parameters: &w, gradient: g, minibatch: b)
      }
      return try model.loss(at: w, samples: .all(Self.sampleCount))
    }
    let full = try finalLoss(.full)
    let bulk = try finalLoss(.bulk)
    let dom = try finalLoss(.dominant)
    print("CNN after an SGD phase: SGD \(full), Bulk-SGD ×\(bulk / full), Dom-SGD ×\(dom / full)")
    #expect(abs(bulk / full - 1) <= 0.10)
    #expect(dom >= 2 * full)
  }
}
