import Testing

@testable import Curvature

@Suite struct ClippedOptimizerTests {
  @Test func clipsToTheGlobalNorm() throws {
    var opt = SGD(learningRate: 1).clipped(maxNorm: 1)
    var w: [Float] = [0, 0]
    try opt.step(parameters: &w, gradient: [3, 4])  // norm 5 → scaled to (0.6, 0.8)
    #expect(abs(w[0] + 0.6) < 1e-7 && abs(w[1] + 0.8) < 1e-7)
    #expect(opt.lastGradientNorm == 5 && opt.clippedSteps == 1)
    try opt.step(parameters: &w, gradient: [0.3, 0.4])  // below the threshold: unchanged
    #expect(abs(w[0] + 0.9) < 1e-6 && abs(w[1] + 1.2) < 1e-6)
    #expect(opt.clippedSteps == 1)
  }

  @Test func rejectsBadThresholdWithoutChangingState() throws {
    var opt = SGD(learningRate: 1, momentum: 0.5).clipped(maxNorm: 0)
    var w: [Float] = [1, 2]
    #expect(throws: CurvatureError.outOfRange(name: "maxNorm", value: 0, range: "(0, ∞)")) {
      try opt.step(parameters: &w, gradient: [1, 1])
    }
    #expect(w == [1, 2] && opt.stepCount == 0 && opt.base.velocity.isEmpty)
  }
}
