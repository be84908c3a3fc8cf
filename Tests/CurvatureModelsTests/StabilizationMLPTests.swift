import Curvature
import CurvatureModels
import Foundation
import Testing

/// A small MLP trained on 400 digits, shared by the model-based stabilisation tests.
func trainedDigitsMLP(samples: Int = 400, steps: Int = 150) throws -> (MLP, [Float]) {
  let all = try ClassificationData.digits()
  var g = SeededGenerator(seed: 21)
  let data = try all.subset(Array(g.permutation(count: all.count).prefix(samples)))
  let model = try MLP(layerSizes: [64, 16, 10], activation: .tanh, data: data)
  var w = model.initialParameters(seed: 3)
  var opt = SGD(learningRate: 0.5, momentum: 0.9)
  for _ in 0..<steps {
    let (_, grad) = try model.lossAndGradient(at: w, samples: .all(samples))
    try opt.step(parameters: &w, gradient: grad)
  }
  return (model, w)
}

/// The curvature-aligned estimators on a trained MLP at σ = 1e-3 (the paper's regime).
@Suite struct StabilizationMLPTests {
  /// The closed form is within 10% of direct Monte Carlo (S = 256) for D ∈ {1, 10}, and the
  /// curvature-aligned signal matches the full-space one: Δ₂^(D)/Δ₂ ∈ [0.5, 2].
  @Test func closedFormAgreesWithDirectAndFullSpace() throws {
    let (model, w) = try trainedDigitsMLP()
    let grid = [64]
    let full = try StabilizationEstimator(
      configuration: .init(sigma: 1e-3, probeCount: 256, orderCount: 1, seed: 1)
    ).curve(of: model, at: w, sampleCounts: grid, method: .fullSpace)
    for d in [1, 10] {
      let est = try StabilizationEstimator(
        configuration: .init(
          sigma: 1e-3, subspaceDimension: d, probeCount: 256, orderCount: 1, seed: 1))
      let gm = try est.curve(of: model, at: w, sampleCounts: grid, method: .gaussianMoment)
      let direct = try est.curve(of: model, at: w, sampleCounts: grid, method: .direct)
      #expect(gm.mean[0] > 0 && direct.mean[0] > 0)
      #expect(abs(gm.mean[0] - direct.mean[0]) <= 0.1 * direct.mean[0], "D = \(d)")
      let ratio = gm.mean[0] / full.mean[0]
      #expect(ratio >= 0.5 && ratio <= 2, "D = \(d): ratio \(ratio)")
    }
  }

  /// Averaged over 16 seeded orders, log Δ₂^(D) against log k has slope near −2.
  @Test func closedFormCurveHasSlopeNearMinusTwo() throws {
    let (model, w) = try trainedDigitsMLP()
    let est = try StabilizationEstimator(
      configuration: .init(sigma: 1e-3, subspaceDimension: 1, orderCount: 16, seed: 1))
    let c = try est.curve(
      of: model, at: w, sampleCounts: [8, 16, 32, 64, 128, 256], method: .gaussianMoment)
    let s = try #require(c.slope)
    #expect(s >= -2.5 && s <= -1.5, "slope \(s)")
    #expect(c.standardError.allSatisfy { $0 > 0 })
    let mStar = try c.sufficientSampleSize(epsilon: c.mean[2])
    #expect(mStar != nil && mStar! <= 32)
  }
}
