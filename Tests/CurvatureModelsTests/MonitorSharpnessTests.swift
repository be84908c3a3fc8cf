import Curvature
import CurvatureModels
import Testing

/// The monitor takes λ₁ from every tracker refresh, and measures it for untracked optimizers in
/// one call, against the optimizer's own stability rule and next learning rate.
@Suite struct MonitorSharpnessTests {
  static func mlp() throws -> MLP {
    let data = try ClassificationData.digits().subset(Array(0..<300))
    return try MLP(layerSizes: [64, 16, 10], activation: .tanh, data: data)
  }

  @Test func everyRefreshRecordsSharpnessAgainstTheOptimizersRule() throws {
    let model = try Self.mlp()
    let tracker = try DominantSubspaceTracker(
      objective: model,
      configuration: .init(k: 3, hessianBatch: .subset(count: 100, seed: 1), refresh: .every(5)))
    let monitor = try TrainingMonitor()
    var optimizer = ScheduledOptimizer(
      base: SGD(learningRate: 0.2, momentum: 0.9), schedule: .linearWarmup(steps: 20)
    ).projected(.bulk)
    var w = model.initialParameters(seed: 1)
    var sharpness: [SharpnessMeasurement] = []
    var refreshes: [RefreshReport] = []
    for step in 0..<12 {
      let (_, g) = try model.lossAndGradient(at: w, samples: .range(0..<64))
      let eta = Double(optimizer.effectiveLearningRate)
      let report = try tracker.step(&optimizer, parameters: &w, gradient: g)
      let response = monitor.recordTrackerStep(report, optimizer: optimizer)
      for case .sharpnessMeasured(let m) in response.events { sharpness.append(m) }
      if let r = report.refresh {
        refreshes.append(r)
        #expect(sharpness.last?.step == step)
        #expect(sharpness.last?.sharpness == r.eigenvalues[0])
        #expect(sharpness.last?.rule == .heavyBall(momentum: Double(Float(0.9))))
        // The rate of the next step, after the schedule: not the base rate.
        #expect(sharpness.last?.learningRate == Double(optimizer.effectiveLearningRate))
        #expect(Double(optimizer.effectiveLearningRate) != eta || step == 0)
      }
    }
    #expect(refreshes.count == 3 && sharpness.count == 3, "one measurement per refresh, no more")
  }

  @Test func oneCallMeasuresAdamsPreconditionedSharpness() throws {
    let model = try Self.mlp()
    let monitor = try TrainingMonitor()
    var adam = Adam(learningRate: 1e-2).projected(.full)
    var w = model.initialParameters(seed: 2)
    #expect(throws: CurvatureError.self) {
      try monitor.measureSharpness(
        of: model, at: w, samples: .range(0..<100), step: 0, optimizer: adam)
    }
    let (_, g) = try model.lossAndGradient(at: w, samples: .range(0..<100))
    try adam.step(parameters: &w, gradient: g)
    let response = try monitor.measureSharpness(
      of: model, at: w, samples: .range(0..<100), step: 1, optimizer: adam)
    guard case .sharpnessMeasured(let m) = response.events.first else {
      Issue.record("no sharpness event")
      return
    }
    #expect(m.rule == .adam(beta1: Double(Float(0.9))))
    // Against the preconditioned Hessian measured by hand.
    let h = try ObjectiveHessian(objective: model, at: w, samples: .range(0..<100))
    let base = adam.base
    let op = try PreconditionedOperator(h, diagonal: base.preconditionerDiagonal)
    let reference = try Lanczos(
      configuration: LanczosConfiguration(tolerance: 1e-6, maxProducts: 400)
    ).eigenpairs(of: op, count: 1).eigenvalues[0]
    #expect(abs(m.sharpness - reference) <= 1e-2 * reference)
  }
}
