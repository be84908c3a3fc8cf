import Foundation
import Testing

@testable import Curvature

@Suite struct LearningRateScheduleTests {
  @Test func closedFormValues() {
    let warm = LearningRateSchedule.linearWarmup(
      steps: 4, then: .cosine(steps: 10, finalFraction: 0.1))
    #expect(warm.multiplier(at: 0) == 0.25)
    #expect(warm.multiplier(at: 3) == 1)
    #expect(warm.multiplier(at: 4) == 1)  // cosine at its t = 0
    #expect(
      abs(warm.multiplier(at: 9) - Float(0.1 + 0.9 * 0.5 * (1 + cos(Double.pi * 5 / 10)))) < 1e-7)
    #expect(warm.multiplier(at: 14) == 0.1)
    #expect(warm.multiplier(at: 1000) == 0.1)
    let step = LearningRateSchedule.step(every: 3, factor: 0.5)
    #expect(step.multiplier(at: 2) == 1)
    #expect(step.multiplier(at: 3) == 0.5)
    #expect(step.multiplier(at: 7) == 0.25)
    #expect(LearningRateSchedule.constant.multiplier(at: 99) == 1)
  }

  @Test func validation() {
    #expect(throws: CurvatureError.self) {
      try LearningRateSchedule.linearWarmup(steps: 0).validate()
    }
    #expect(throws: CurvatureError.self) {
      try LearningRateSchedule.cosine(steps: 5, finalFraction: 2).validate()
    }
    #expect(throws: CurvatureError.self) {
      try LearningRateSchedule.step(every: 2, factor: .nan).validate()
    }
  }

  @Test func scheduledOptimizerUsesTheMultiplierAndExtendsWarmup() throws {
    var opt = SGD(learningRate: 1).scheduled(.linearWarmup(steps: 4))
    var w: [Float] = [0]
    try opt.step(parameters: &w, gradient: [1])  // η = 0.25
    try opt.step(parameters: &w, gradient: [1])  // η = 0.5
    #expect(w == [-0.75])
    #expect(opt.effectiveLearningRate == 0.75)
    let extended = opt.extendWarmup(by: 4)  // now 8 steps: t = 2 → 3/8
    #expect(extended)
    #expect(opt.effectiveLearningRate == 0.375)
    try opt.scaleLearningRate(by: 2)
    #expect(opt.learningRate == 2 && opt.effectiveLearningRate == 0.75)
    try opt.setEffectiveLearningRate(0.3)
    #expect(abs(opt.effectiveLearningRate - 0.3) < 1e-7)
    var restored = SGD(learningRate: 1).scheduled(.constant)
    try restored.restore(opt.snapshot())
    #expect(restored.schedule == opt.schedule && restored.stepCount == 2)
    #expect(restored.effectiveLearningRate == opt.effectiveLearningRate)
  }
}
