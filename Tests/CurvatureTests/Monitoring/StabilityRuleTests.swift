import Testing

@testable import Curvature

@Suite struct StabilityRuleTests {
  @Test func thresholdsRatiosAndGuard() throws {
    let eta = 0.05
    #expect(StabilityRule.gradientDescent.threshold(learningRate: eta) == 2 / eta)
    #expect(
      abs(StabilityRule.heavyBall(momentum: 0.9).threshold(learningRate: eta) - 3.8 / eta) < 1e-12)
    #expect(abs(StabilityRule.adam(beta1: 0.9).threshold(learningRate: eta) - 38 / eta) < 1e-9)
    // r = λ₁ / threshold; the guarded rate puts λ₁ at c times the new threshold.
    let rule = StabilityRule.heavyBall(momentum: 0.5)
    let lambda = 120.0
    let r = rule.ratio(sharpness: lambda, learningRate: eta)
    #expect(abs(r - lambda / rule.threshold(learningRate: eta)) < 1e-12)
    let guarded = rule.guardedLearningRate(sharpness: lambda, safetyFactor: 0.9)
    #expect(abs(rule.ratio(sharpness: lambda, learningRate: guarded) - 0.9) < 1e-12)
    #expect(abs(guarded - 0.9 * eta / r) < 1e-12)
    #expect(throws: CurvatureError.outOfRange(name: "momentum", value: 1, range: "[0, 1)")) {
      try StabilityRule.heavyBall(momentum: 1).validate()
    }
    #expect(throws: CurvatureError.self) { try StabilityRule.adam(beta1: -0.1).validate() }
  }
}
