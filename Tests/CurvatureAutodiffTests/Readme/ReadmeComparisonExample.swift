// The Swift Testing example of README.md, verbatim between the markers below
// (ReadmeAutodiffTests checks that the two copies are identical; this one runs).

// README comparison example begin
import Curvature
import CurvatureAutodiff
import Testing

@Test func bulkSGDStaysStableWhereSGDDiverges() throws {
  // ℓᵢ(w) = ½ Σⱼ cⱼ (wⱼ − tᵢⱼ)²: one sharp direction (c₀ = 50) over a flat bulk, with
  // noisy targets around 0 (sharp) and 1 (bulk).
  let curvature: [Float] = [50, 1, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1]
  var rng = SeededGenerator(seed: 1)
  let targets = (0..<(64 * 8)).map { ($0 % 8 == 0 ? 0 : 1) + 0.1 * Float(rng.nextGaussian()) }
  let objective = try AutodiffObjective(
    parameters: [Float](repeating: 0, count: 8), sampleCount: 64,
    loss: { w, i in
      var loss: Float = 0
      for j in 0..<8 {
        let d = w[j] - targets[i * 8 + j]
        loss += 0.5 * curvature[j] * d * d
      }
      return loss
    })
  let comparison = try OptimizerComparison(
    objective: objective,
    configuration: .init(steps: 100, batchSize: 16, seed: 1, divergenceFactor: 1e3))
  let eta: Float = 0.05  // above the stability edge 2/λ₁ = 0.04
  let runs = try comparison.run(
    [
      .init("sgd", SGD(learningRate: eta)),
      .init(
        "bulk-sgd", SGD(learningRate: eta).projected(.bulk),
        tracking: .init(k: 1, refresh: .every(20))),
    ], from: objective.template.flattened)
  #expect(runs[0].diverged)
  #expect(!runs[1].diverged && runs[1].finalLoss < runs[1].losses[0])
  #expect(abs(runs[1].eigenvalues[0] - 50) < 0.5)
}
// README comparison example end
