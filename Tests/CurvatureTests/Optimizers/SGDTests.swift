import Testing

@testable import Curvature

/// Reference SGD in Double (PyTorch's formulas, written out independently).
private func referenceSGD(
  w0: [Float], gradients: [[Float]], lr: Double, mu: Double, nesterov: Bool, wd: Double
) -> [Double] {
  var w = w0.map(Double.init)
  var v = [Double](repeating: 0, count: w.count)
  for g in gradients {
    for i in 0..<w.count {
      let gi = Double(g[i]) + wd * w[i]
      v[i] = mu * v[i] + gi
      let d = mu == 0 ? gi : (nesterov ? gi + mu * v[i] : v[i])
      w[i] -= lr * d
    }
  }
  return w
}

@Suite struct SGDTests {
  static func data(seed: UInt64, p: Int = 37, steps: Int = 6) -> ([Float], [[Float]]) {
    var rng = SeededGenerator(seed: seed)
    return (rng.gaussianVector(count: p), (0..<steps).map { _ in rng.gaussianVector(count: p) })
  }

  @Test(arguments: [(0.0, false, 0.0), (0.9, false, 0.0), (0.9, true, 0.0), (0.5, true, 0.01)])
  func matchesReference(mu: Double, nesterov: Bool, wd: Double) throws {
    let (w0, gs) = Self.data(seed: 11)
    var opt = SGD(
      learningRate: 0.05, momentum: Float(mu), nesterov: nesterov, weightDecay: Float(wd))
    var w = w0
    for g in gs { try opt.step(parameters: &w, gradient: g) }
    let ref = referenceSGD(
      w0: w0, gradients: gs, lr: Double(Float(0.05)), mu: Double(Float(mu)), nesterov: nesterov,
      wd: Double(Float(wd)))
    for i in 0..<w.count { #expect(abs(Double(w[i]) - ref[i]) <= 2e-6 * max(1, abs(ref[i]))) }
    #expect(opt.stepCount == gs.count)
  }

  @Test func computeUpdateMatchesStepBitwise() throws {
    let (w0, gs) = Self.data(seed: 12)
    var a = SGD(learningRate: 0.1, momentum: 0.8, nesterov: true, weightDecay: 0.02)
    var b = a
    var wa = w0
    var wb = w0
    for g in gs {
      try a.step(parameters: &wa, gradient: g)
      var u = [Float](repeating: 0, count: wb.count)
      wb.withUnsafeBufferPointer { w in
        g.withUnsafeBufferPointer { gp in
          u.withUnsafeMutableBufferPointer {
            b.computeUpdate(gradient: gp, parameters: w, into: $0)
          }
        }
      }
      for i in 0..<wb.count { wb[i] += u[i] }
    }
    #expect(wa == wb)
  }

  @Test func badInputLeavesEverythingUnchanged() throws {
    let (w0, gs) = Self.data(seed: 13)
    var opt = SGD(learningRate: 0.1, momentum: 0.9)
    var w = w0
    try opt.step(parameters: &w, gradient: gs[0])
    let before = opt.snapshot()
    let wBefore = w
    var bad = gs[1]
    bad[5] = .nan
    #expect(throws: CurvatureError.nonFinite(name: "gradient", index: 5)) {
      try opt.step(parameters: &w, gradient: bad)
    }
    #expect(throws: CurvatureError.dimensionMismatch(name: "gradient", expected: 37, actual: 36)) {
      try opt.step(parameters: &w, gradient: Array(gs[1].dropLast()))
    }
    for lr in [Float(0), -1, .nan, .infinity] {
      var o = opt
      o.learningRate = lr
      #expect(throws: CurvatureError.self) { try o.step(parameters: &w, gradient: gs[1]) }
      #expect(o.stepCount == 1)
    }
    var o = opt
    o.momentum = 1
    #expect(throws: CurvatureError.outOfRange(name: "momentum", value: 1, range: "[0, 1)")) {
      try o.step(parameters: &w, gradient: gs[1])
    }
    #expect(opt.snapshot() == before)
    #expect(w == wBefore)
  }

  @Test func snapshotRestoreContinuesBitwise() throws {
    let (w0, gs) = Self.data(seed: 14, steps: 8)
    var a = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.001)
    var w = w0
    for g in gs.prefix(4) { try a.step(parameters: &w, gradient: g) }
    var b = SGD(learningRate: 1)
    try b.restore(a.snapshot())
    #expect(b == a)
    var wa = w
    var wb = w
    for g in gs.dropFirst(4) {
      try a.step(parameters: &wa, gradient: g)
      try b.step(parameters: &wb, gradient: g)
    }
    #expect(wa == wb)
    #expect(throws: CurvatureError.self) { try b.restore(Adam().snapshot()) }
  }

  @Test func learningRateControls() throws {
    var opt: any Optimizer = SGD(learningRate: 0.2)
    try opt.scaleLearningRate(by: 0.5)
    #expect(opt.learningRate == 0.1)
    #expect(throws: CurvatureError.self) { try opt.scaleLearningRate(by: -1) }
    try opt.setEffectiveLearningRate(0.3)
    #expect(opt.effectiveLearningRate == 0.3)
    let extended = opt.extendWarmup(by: 10)
    let hasProjection = opt.updateProjection { _ in }
    #expect(!extended && !hasProjection)
  }
}
