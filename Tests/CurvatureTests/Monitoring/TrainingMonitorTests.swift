import Testing

@testable import Curvature

@Suite struct TrainingMonitorTests {
  @Test func decisionsCombineDeterministically() throws {
    let m = try TrainingMonitor()
    var seen: [Double] = []
    m.register { _, s in
      seen.append(s.learningRate)
      return .scaleLearningRate(0.5)
    }
    m.register { _, s in
      seen.append(s.learningRate)
      return .stop(reason: "first")
    }
    m.register { _, s in
      seen.append(s.learningRate)
      return .setLearningRate(0.1)
    }
    m.register(for: [.stepObserved]) { _, s in
      seen.append(s.learningRate)
      return .scaleLearningRate(0.5)
    }
    m.register { _, _ in .extendWarmup(steps: 100) }
    m.register { _, _ in .extendWarmup(steps: 30) }
    m.register { _, _ in .switchProjection(.bulkOnly) }
    m.register { _, _ in .switchProjection(.dominantOnly) }
    m.register { _, _ in .stop(reason: "second") }
    m.register { _, _ in .refreshSubspace }
    m.register(for: [.diverged]) { _, _ in .setLearningRate(99) }
    let r = m.observe(step: 3, loss: 1.0, learningRate: 0.4)
    #expect(r.events.count == 1)
    #expect(r.shouldStop && r.stopReason == "first")
    // 0.4 → ×0.5 → set 0.1 → ×0.5; callbacks see the rate after earlier callbacks' changes.
    #expect(r.learningRate == 0.05)
    #expect(seen == [0.4, 0.2, 0.2, 0.1])
    #expect(r.warmupExtension == 100)
    #expect(r.projection == .dominantOnly)
    #expect(r.refreshSubspace)
    #expect(r.decisions.count == 10)
    #expect(r.decisions.first == .scaleLearningRate(0.5))
    var opt = SGD(learningRate: 1)
    try r.apply(to: &opt)
    #expect(opt.learningRate == 0.05)
  }

  @Test func noDecisionsLeaveEverythingUnchanged() throws {
    let m = try TrainingMonitor()
    m.register { _, _ in .continue }
    let r = m.observe(step: 0, loss: 2, learningRate: 0.1)
    #expect(!r.shouldStop && r.learningRate == nil && r.decisions.isEmpty && r.projection == nil)
  }

  @Test func divergenceDetection() throws {
    let m = try TrainingMonitor(configuration: .init(divergenceFactor: 10))
    _ = m.observe(step: 0, loss: 2, gradient: [1, 2], learningRate: 0.1)
    var r = m.observe(step: 1, loss: 19.9, learningRate: 0.1)
    #expect(r.events.count == 1)
    r = m.observe(step: 2, loss: 20.5, learningRate: 0.1)
    guard case .diverged(let d) = r.events.last else {
      Issue.record("no divergence")
      return
    }
    #expect(d.reason == .lossGrowth(reference: 2, factor: 10) && !d.isFatal)
    r = m.observe(step: 3, loss: 1, gradient: [0, .infinity], learningRate: 0.1)
    guard case .diverged(let d2) = r.events.last else {
      Issue.record("no divergence")
      return
    }
    #expect(d2.reason == .nonFiniteGradient(index: 1) && d2.isFatal)
    m.register(StopOnDivergence())
    r = m.observe(step: 4, loss: .nan, learningRate: 0.1)
    #expect(r.shouldStop)
    #expect(throws: CurvatureError.self) {
      try TrainingMonitor(configuration: .init(divergenceFactor: 1))
    }
    #expect(throws: CurvatureError.self) {
      try TrainingMonitor(configuration: .init(stabilizedChecks: 0))
    }
  }

  func curve(_ last: Double) -> StabilizationCurve {
    StabilizationCurve(
      method: .gaussianMoment, sigma: 1e-3, subspaceDimension: 2, sampleCounts: [8, 16],
      mean: [4 * last, last], standardError: [0, 0], perOrder: [[4 * last, last]],
      monteCarloStandardError: [[0, 0]], productCount: 0, sampleLossCount: 0)
  }

  @Test func stabilisedAfterConsecutiveChecksThenStop() throws {
    let m = try TrainingMonitor(
      configuration: .init(stabilizationEpsilon: 1e-4, stabilizedChecks: 2))
    m.register(StopWhenStabilized())
    var r = m.recordStabilization(curve(5e-5), step: 0, learningRate: 0.1)
    #expect(r.events.map(\.kind) == [.stabilizationMeasured] && !r.shouldStop)
    guard case .stabilizationMeasured(let s) = r.events[0] else { return }
    #expect(abs(s.slope! + 2) < 1e-12 && s.delta == 5e-5)
    r = m.recordStabilization(curve(2e-4), step: 1, learningRate: 0.1)  // resets the count
    r = m.recordStabilization(curve(5e-5), step: 2, learningRate: 0.1)
    #expect(!r.shouldStop)
    r = m.recordStabilization(curve(5e-5), step: 3, learningRate: 0.1)
    #expect(r.events.map(\.kind) == [.stabilizationMeasured, .stabilized] && r.shouldStop)
  }

  @Test func sharpnessEventsAndGuard() throws {
    let m = try TrainingMonitor()
    m.register(try LearningRateGuard(safetyFactor: 0.9))
    var r = try m.recordSharpness(30, step: 0, learningRate: 0.05, rule: .gradientDescent)  // r = 0.75
    #expect(r.events.map(\.kind) == [.sharpnessMeasured] && r.learningRate == nil)
    r = try m.recordSharpness(50, step: 1, learningRate: 0.05, rule: .gradientDescent)  // r = 1.25
    #expect(r.events.map(\.kind) == [.sharpnessMeasured, .stabilityThresholdExceeded])
    #expect(abs(r.learningRate! - 0.9 * 2 / 50) < 1e-15)
    r = try m.recordSharpness(50, step: 2, learningRate: 0.05, rule: .adam(beta1: 0.9))  // r ≈ 0.066
    #expect(r.learningRate == nil)
    #expect(throws: CurvatureError.self) {
      try m.recordSharpness(.nan, step: 3, learningRate: 0.05, rule: .gradientDescent)
    }
    #expect(throws: CurvatureError.self) {
      try m.recordSharpness(1, step: 3, learningRate: 0, rule: .gradientDescent)
    }
    #expect(throws: CurvatureError.self) { try LearningRateGuard(safetyFactor: 1.5) }
  }

  /// λ₁ by Lanczos against a dense eigendecomposition, plain and Adam-preconditioned.
  @Test func measuredSharpnessMatchesDense() throws {
    let obj = LeastSquaresObjective(parameters: 10, samples: 30, outputs: 2, seed: 2)
    let w = [Float](repeating: 0.1, count: 10)
    let m = try TrainingMonitor()
    let lanczos = LanczosConfiguration(tolerance: 1e-6, maxProducts: 100)
    var r = try m.measureSharpness(
      of: obj, at: w, samples: .all(30), step: 0, learningRate: 0.01, rule: .gradientDescent,
      lanczos: lanczos)
    guard case .sharpnessMeasured(let s) = r.events[0] else { return }
    let h = obj.denseHessian(Array(0..<30))
    let exact = try SymmetricEigensolver.decompose(h, order: 10).values[0]
    #expect(abs(s.sharpness - exact) <= 1e-4 * exact)
    let pre: [Float] = (0..<10).map { 0.5 + Float($0) * 0.3 }
    r = try m.measureSharpness(
      of: obj, at: w, samples: .all(30), step: 1, learningRate: 0.01, rule: .adam(beta1: 0.9),
      preconditioner: pre, lanczos: lanczos)
    guard case .sharpnessMeasured(let sa) = r.events[0] else { return }
    var hp = h
    for i in 0..<10 {
      for j in 0..<10 { hp[i * 10 + j] /= (Double(pre[i]) * Double(pre[j])).squareRoot() }
    }
    let exactP = try SymmetricEigensolver.decompose(hp, order: 10).values[0]
    #expect(abs(sa.sharpness - exactP) <= 1e-4 * exactP)
    #expect(throws: CurvatureError.self) {
      try m.measureSharpness(
        of: obj, at: w, samples: .all(30), step: 2, learningRate: 0.01, rule: .adam(beta1: 0.9))
    }
  }

  @Test func alignmentModeSwitchHasHysteresis() throws {
    let m = try TrainingMonitor()
    let policy = try AlignmentModeSwitch(upper: 0.9, lower: 0.5)
    m.register(policy)
    func refresh(_ f: Double) -> ProjectionWeights? {
      m.recordSubspaceRefresh(
        SubspaceRefresh(step: 0, eigenvalues: [1], gradientAlignment: f), learningRate: 0.1
      ).projection
    }
    #expect(refresh(0.7) == nil)
    #expect(refresh(0.95) == .bulkOnly)
    #expect(refresh(0.97) == nil)
    #expect(refresh(0.7) == nil)
    #expect(refresh(0.4) == .full)
    #expect(throws: CurvatureError.self) { try AlignmentModeSwitch(upper: 0.5, lower: 0.6) }
  }
}
