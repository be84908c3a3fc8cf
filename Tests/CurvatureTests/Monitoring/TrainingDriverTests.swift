import Testing

@testable import Curvature

@Suite struct TrainingDriverTests {
  let objective = LeastSquaresObjective(parameters: 10, samples: 30, outputs: 2, seed: 4)

  func start() -> [Float] { [Float](repeating: 0.3, count: 10) }

  @Test func stopCallbackEndsTheLoopAtThatStep() throws {
    let m = try TrainingMonitor()
    m.register(for: [.stepObserved]) { e, _ in e.step == 4 ? .stop(reason: "enough") : .continue }
    let d = try TrainingDriver(
      objective: objective, optimizer: SGD(learningRate: 0.01), monitor: m,
      configuration: DriverConfiguration(steps: 20))
    var w = start()
    let report = try d.run(parameters: &w)
    #expect(report.completedSteps == 4)
    #expect(report.losses.count == 5)
    #expect(report.stopReason == "enough")
    // The stopping step's update was not applied: w equals four plain steps.
    var w4 = start()
    let d4 = try TrainingDriver(
      objective: objective, optimizer: SGD(learningRate: 0.01),
      monitor: try TrainingMonitor(), configuration: DriverConfiguration(steps: 4))
    _ = try d4.run(parameters: &w4)
    #expect(w == w4)
  }

  /// scaleLearningRate(s) at step t: that step's update is w_{t+1} = w_t − s·η·g_t exactly, and
  /// later steps keep the scaled rate.
  @Test func scaleCallbackChangesTheNextStepExactly() throws {
    let eta: Float = 0.02
    let m = try TrainingMonitor()
    m.register(for: [.stepObserved]) { e, _ in e.step == 3 ? .scaleLearningRate(0.25) : .continue }
    let d = try TrainingDriver(
      objective: objective, optimizer: SGD(learningRate: eta), monitor: m,
      configuration: DriverConfiguration(steps: 4))
    var w = start()
    let report = try d.run(parameters: &w)
    #expect(report.learningRates.map { Float($0) } == [eta, eta, eta, eta * 0.25])
    var w3 = start()
    _ = try TrainingDriver(
      objective: objective, optimizer: SGD(learningRate: eta),
      monitor: try TrainingMonitor(), configuration: DriverConfiguration(steps: 3)
    ).run(parameters: &w3)
    let g3 = try objective.lossAndGradient(at: w3, samples: .all(30)).gradient
    let scaled = Float(Double(eta) * 0.25)
    let expected = zip(w3, g3).map { $0 - scaled * $1 }
    #expect(w == expected)
  }

  /// Gradient descent with η above 2/λ₁ blows up on a quadratic; the learning-rate guard
  /// brings it back below the edge and the loss decreases.
  @Test func learningRateGuardPreventsDivergenceOnQuadratic() throws {
    let h = objective.denseHessian(Array(0..<30))
    let lambda = try SymmetricEigensolver.decompose(h, order: 10).values[0]
    let eta = Float(3 / lambda)
    var config = DriverConfiguration(steps: 60)
    config.sharpnessInterval = 10
    config.hessianSampleCount = 0
    let plain = try TrainingMonitor()
    var w = start()
    let bad = try TrainingDriver(
      objective: objective, optimizer: SGD(learningRate: eta), monitor: plain,
      configuration: config
    ).run(parameters: &w)
    #expect(bad.losses.last! > 1e3 * bad.losses.first!)
    let guarded = try TrainingMonitor()
    guarded.register(try LearningRateGuard())
    var w2 = start()
    let good = try TrainingDriver(
      objective: objective, optimizer: SGD(learningRate: eta), monitor: guarded,
      configuration: config
    ).run(parameters: &w2)
    #expect(good.completedSteps == 60 && !good.diverged)
    #expect(abs(good.learningRates.last! - 0.9 * 2 / lambda) <= 1e-3 * good.learningRates.last!)
    #expect(good.losses.last! < good.losses.first!)
    #expect(good.losses.suffix(40).allSatisfy { $0.isFinite })
  }

  /// With Adam, the sharpness is that of P^{-1/2} H P^{-1/2} against 38/η (β₁ = 0.9), from
  /// the second step on.
  @Test func adamSharpnessUsesThePreconditioner() throws {
    var c = DriverConfiguration(steps: 3)
    c.sharpnessInterval = 1
    c.hessianSampleCount = 0
    c.stabilityRule = .adam(beta1: 0.9)
    let m = try TrainingMonitor()
    var adam = Adam(learningRate: 0.01)
    var w = start()
    let g = try objective.lossAndGradient(at: w, samples: .all(30)).gradient
    let d = try TrainingDriver(
      objective: objective, optimizer: adam, monitor: m, configuration: c)
    let r = try d.run(parameters: &w)
    let measured = r.events.compactMap { e -> SharpnessMeasurement? in
      if case .sharpnessMeasured(let s) = e { return s }
      return nil
    }
    #expect(measured.map(\.step) == [1, 2])
    // Step 1's preconditioner is that of Adam after one step on the same gradient.
    var w0 = start()
    try adam.step(parameters: &w0, gradient: g)
    let p = adam.preconditionerDiagonal
    var h = objective.denseHessian(Array(0..<30))
    for i in 0..<10 {
      for j in 0..<10 { h[i * 10 + j] /= (Double(p[i]) * Double(p[j])).squareRoot() }
    }
    let exact = try SymmetricEigensolver.decompose(h, order: 10).values[0]
    #expect(abs(measured[0].sharpness - exact) <= 2e-3 * exact)
    #expect(abs(measured[0].threshold - 38 / Double(Float(0.01))) <= 1e-9 * 3800)
  }

  @Test func warmupRampAndExtension() throws {
    let m = try TrainingMonitor()
    m.register(for: [.stepObserved]) { e, _ in e.step == 1 ? .extendWarmup(steps: 2) : .continue }
    var config = DriverConfiguration(steps: 5)
    config.warmupSteps = 2
    let d = try TrainingDriver(
      objective: objective, optimizer: SGD(learningRate: 0.04), monitor: m,
      configuration: config)
    var w = start()
    let r = try d.run(parameters: &w)
    // Warm-up 2 → 4 steps from step 1: rates 0.04·(1/2, 2/4, 3/4, 1, 1).
    let expected = [0.5, 0.5, 0.75, 1, 1].map { $0 * Double(Float(0.04)) }
    for (a, b) in zip(r.learningRates, expected) { #expect(abs(a - b) < 1e-12) }
  }

  @Test func nonFiniteLossEndsTheRunAndInputsAreValidated() throws {
    var w = start()
    let d = try TrainingDriver(
      objective: objective, optimizer: SGD(learningRate: 1e12),
      monitor: try TrainingMonitor(), configuration: DriverConfiguration(steps: 50))
    let r = try d.run(parameters: &w)
    #expect(r.diverged && r.completedSteps < 50)
    #expect(r.events.contains { $0.kind == .diverged })
    var short = [Float](repeating: 0, count: 3)
    #expect(throws: CurvatureError.self) { try d.run(parameters: &short) }
    var c = DriverConfiguration(steps: -1)
    #expect(throws: CurvatureError.self) {
      try TrainingDriver(
        objective: objective, optimizer: SGD(learningRate: 0.01),
        monitor: try TrainingMonitor(), configuration: c)
    }
    c = DriverConfiguration(steps: 1)
    c.stabilizationInterval = 1
    #expect(throws: CurvatureError.self) {
      try TrainingDriver(
        objective: objective, optimizer: SGD(learningRate: 0.01),
        monitor: try TrainingMonitor(), configuration: c)
    }
  }

  @Test func bulkProjectionRemovesTheDominantComponent() throws {
    let m = try TrainingMonitor()
    var c = DriverConfiguration(steps: 1)
    c.projection = .bulkOnly
    c.subspaceDimension = 2
    c.hessianSampleCount = 0
    let d = try TrainingDriver(
      objective: objective, optimizer: SGD(learningRate: 0.01), monitor: m,
      configuration: c)
    var w = start()
    let w0 = w
    let r = try d.run(parameters: &w)
    guard case .subspaceRefreshed(let s) = r.events.first(where: { $0.kind == .subspaceRefreshed })
    else {
      Issue.record("no refresh")
      return
    }
    #expect(s.eigenvalues.count == 2 && s.gradientAlignment! > 0)
    let h = objective.denseHessian(Array(0..<30))
    let eig = try SymmetricEigensolver.decompose(h, order: 10)
    let step = zip(w0, w).map { Double($0 - $1) }
    for i in 0..<2 {
      let u = eig.vector(i)
      let along = zip(u, step).reduce(0) { $0 + $1.0 * $1.1 }
      #expect(abs(along) <= 1e-4 * step.map { $0 * $0 }.reduce(0, +).squareRoot())
    }
  }
}
