import Curvature
import CurvatureModels
import Testing

/// Plain SGD above the edge of stability on an MLP, with and without the learning-rate guard.
@Suite struct LearningRateGuardTests {
  @Test func guardTurnsAnExplodingRunIntoADecreasingOne() throws {
    let all = try ClassificationData.digits()
    var g = SeededGenerator(seed: 21)
    let data = try all.subset(Array(g.permutation(count: all.count).prefix(300)))
    let model = try MLP(layerSizes: [64, 16, 10], activation: .tanh, data: data)
    let w0 = model.initialParameters(seed: 3)
    let h = try ObjectiveHessian(objective: model, at: w0, samples: .all(300))
    let lambda = try Lanczos(configuration: .init(tolerance: 1e-4)).eigenpairs(of: h, count: 1)
      .eigenvalues[0]
    let eta = Float(3 * 2 / lambda)  // 3× beyond the 2/λ₁ edge
    var config = DriverConfiguration(steps: 40)
    config.sharpnessInterval = 5
    config.hessianSampleCount = 0

    let plain = try TrainingMonitor()
    var w = w0
    let bad = try TrainingDriver(
      objective: model, optimizer: SGD(learningRate: eta), monitor: plain, configuration: config
    ).run(parameters: &w)
    #expect(bad.diverged || bad.losses.max()! > 10 * bad.losses[0])
    #expect(bad.events.contains { $0.kind == .diverged })
    #expect(bad.events.contains { $0.kind == .stabilityThresholdExceeded })

    let guarded = try TrainingMonitor()
    guarded.register(try LearningRateGuard(safetyFactor: 0.9))
    var w2 = w0
    let good = try TrainingDriver(
      objective: model, optimizer: SGD(learningRate: eta), monitor: guarded, configuration: config
    ).run(parameters: &w2)
    #expect(good.completedSteps == 40 && !good.diverged)
    #expect(good.losses.allSatisfy { $0.isFinite && $0 <= good.losses[0] * 1.01 })
    #expect(good.losses.last! < 0.5 * good.losses[0])
    #expect(!good.events.contains { $0.kind == .diverged })
    // The first measurement (step 0) already lowers η to 0.9·2/λ₁.
    #expect(abs(good.learningRates[0] - 0.9 * 2 / lambda) <= 1e-2 * good.learningRates[0])
  }
}
