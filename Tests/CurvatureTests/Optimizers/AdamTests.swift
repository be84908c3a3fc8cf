import Foundation
import Testing

@testable import Curvature

/// Reference Adam / AdamW in Double.
private func referenceAdam(
  w0: [Float], gradients: [[Float]], lr: Double, b1: Double, b2: Double, eps: Double, wd: Double,
  decoupled: Bool
) -> [Double] {
  var w = w0.map(Double.init)
  var m = [Double](repeating: 0, count: w.count)
  var v = m
  for (t, g) in gradients.enumerated() {
    let c1 = 1 - pow(b1, Double(t + 1))
    let c2 = 1 - pow(b2, Double(t + 1))
    for i in 0..<w.count {
      let gi = decoupled ? Double(g[i]) : Double(g[i]) + wd * w[i]
      m[i] = b1 * m[i] + (1 - b1) * gi
      v[i] = b2 * v[i] + (1 - b2) * gi * gi
      var d = (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
      if decoupled { d += wd * w[i] }
      w[i] -= lr * d
    }
  }
  return w
}

@Suite struct AdamTests {
  @Test(arguments: [(0.0, false), (0.01, false), (0.05, true)])
  func matchesReference(wd: Double, decoupled: Bool) throws {
    var rng = SeededGenerator(seed: 21)
    let w0 = rng.gaussianVector(count: 29)
    let gs = (0..<7).map { _ in rng.gaussianVector(count: 29) }
    var opt = Adam(
      learningRate: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-6, weightDecay: Float(wd),
      decoupledWeightDecay: decoupled)
    var w = w0
    for g in gs { try opt.step(parameters: &w, gradient: g) }
    let ref = referenceAdam(
      w0: w0, gradients: gs, lr: Double(Float(0.01)), b1: Double(Float(0.9)),
      b2: Double(Float(0.99)), eps: Double(Float(1e-6)), wd: Double(Float(wd)),
      decoupled: decoupled)
    for i in 0..<w.count { #expect(abs(Double(w[i]) - ref[i]) <= 1e-6 * max(1, abs(ref[i]))) }
  }

  @Test func firstStepIsSignDescent() throws {
    // Bias correction makes the first step −η·g/(|g| + ε) ≈ −η·sign(g) for every coordinate.
    var opt = Adam.adamW(learningRate: 0.001, weightDecay: 0)
    var w: [Float] = [0, 0, 0]
    try opt.step(parameters: &w, gradient: [1e-3, -50, 2])
    for (wi, g) in zip(w, [1e-3, -50, 2.0]) {
      #expect(abs(Double(wi) + 0.001 * g / (abs(g) + 1e-8)) < 1e-9)
    }
    #expect(opt.preconditionerDiagonal.count == 3)
  }

  @Test func restoreIsBitwiseAndRejectsBadStates() throws {
    var rng = SeededGenerator(seed: 22)
    let gs = (0..<6).map { _ in rng.gaussianVector(count: 10) }
    var a = Adam(learningRate: 0.01)
    var w = [Float](repeating: 0.5, count: 10)
    for g in gs.prefix(3) { try a.step(parameters: &w, gradient: g) }
    var b = Adam()
    try b.restore(a.snapshot())
    var wa = w
    var wb = w
    for g in gs.dropFirst(3) {
      try a.step(parameters: &wa, gradient: g)
      try b.step(parameters: &wb, gradient: g)
    }
    #expect(wa == wb)
    var bad = a.snapshot()
    bad.arrays["secondMoment"] = [1, 2]
    let saved = b
    #expect(throws: CurvatureError.self) { try b.restore(bad) }
    #expect(b == saved)
    var wrongLength = wb
    wrongLength.append(0)
    #expect(throws: CurvatureError.self) {
      try b.step(parameters: &wrongLength, gradient: wrongLength)
    }
    #expect(b == saved)
  }
}
