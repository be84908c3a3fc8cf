import Testing

@testable import Curvature
@testable import CurvatureModels

/// Calibration of the eigenvalue intervals on a real network: a tanh MLP [64, 16, 10] on all
/// 1,797 bundled digits after 200 seeded SGD steps. The reference is the Hessian over all samples.
/// (The larger [64, 32, 10] network with k = 8 is measured by `Figures uncertainty`.)
@Suite(.serialized) struct SamplingCalibrationTests {
  struct Setup {
    var model: MLP
    var parameters: [Float]
    var reference: EigenResult
  }

  static let k = 6
  nonisolated(unsafe) static let setup: Setup = {
    let data = try! ClassificationData.digits()
    let model = try! MLP(layerSizes: [64, 16, 10], activation: .tanh, data: data)
    var w = model.initialParameters(seed: 1)
    var rng = SeededGenerator(seed: 2)
    for _ in 0..<200 {
      let batch = SampleSet.indices((0..<64).map { _ in rng.nextInt(below: data.count) })
      let (_, g) = try! model.lossAndGradient(at: w, samples: batch)
      for i in 0..<w.count { w[i] -= 0.5 * g[i] }
    }
    let reference = try! Lanczos(configuration: .init(tolerance: 1e-5, maxProducts: 3000, seed: 1))
      .eigenpairs(
        of: ObjectiveHessian(objective: model, at: w, samples: .all(data.count)), count: k)
    return Setup(model: model, parameters: w, reference: reference)
  }()

  static func intervals(batch: Int, seed: UInt64) throws -> (EigenResult, EigenvalueUncertainty) {
    let s = setup
    let n = s.model.sampleCount
    let samples = try HessianBatch.subset(count: batch, seed: seed).fixedSamples(sampleCount: n)!
    let pairs = try Lanczos(configuration: .init(tolerance: 1e-4, maxProducts: 3000, seed: 1))
      .eigenpairs(
        of: ObjectiveHessian(objective: s.model, at: s.parameters, samples: samples), count: k)
    let u = try BatchJackknife(
      objective: s.model, at: s.parameters, samples: samples,
      configuration: .init(groups: 16, confidence: 0.95, seed: seed)
    ).eigenvalues(of: pairs)
    return (pairs, u)
  }

  /// 95 % intervals from 40 seeded 128-sample batches contain the all-samples λ₁…λ₅ at least
  /// 36 times each; without the interval (the raw batch value) λ₁ is biased upwards.
  @Test func intervalsFrom128SampleBatchesAreCalibrated() throws {
    let truth = Self.setup.reference
    let converged = truth.allConverged
    #expect(converged)
    var covered = [Int](repeating: 0, count: 5)
    var rawAbove = 0
    for trial in 0..<40 {
      let (pairs, u) = try Self.intervals(batch: 128, seed: UInt64(100 + trial))
      for j in 0..<5 where u.eigenvalues[j].contains(truth.eigenvalues[j]) { covered[j] += 1 }
      if pairs.eigenvalues[0] > truth.eigenvalues[0] { rawAbove += 1 }
      #expect(u.eigenvalues.allSatisfy { $0.degreesOfFreedom == 15 && $0.confidence == 0.95 })
    }
    for j in 0..<5 { #expect(covered[j] >= 36, "λ\(j + 1) covered \(covered[j]) of 40") }
    #expect(rawAbove >= 22, "λ₁ of a 128-sample batch above the truth \(rawAbove) of 40")
  }

  /// The sampling standard error falls like √(1/n − 1/N) (1/√n with the finite-population
  /// correction): its ratio to that law stays within 35 % across n = 128, 512 and 1,024.
  @Test func standardErrorShrinksLikeOneOverRootN() throws {
    let n = Double(Self.setup.model.sampleCount)
    var scaled: [Double] = []
    for batch in [128, 512, 1024] {
      var se = 0.0
      for trial in 0..<4 {
        se +=
          try Self.intervals(batch: batch, seed: UInt64(500 + trial)).1.eigenvalues[0]
          .samplingStandardError / 4
      }
      scaled.append(se / (1 / Double(batch) - 1 / n).squareRoot())
    }
    let lo = scaled.min()!
    let hi = scaled.max()!
    #expect(hi / lo <= 1.35, "s.e. / √(1/n − 1/N) at 128, 512, 1024: \(scaled)")
  }
}
