import Testing

@testable import Curvature

@Suite struct MonitorIntegrationTests {
  @Test func responseReachesWrappedOptimizerHooks() throws {
    var opt = SGD(learningRate: 0.1).projected(.full).scheduled(.linearWarmup(steps: 10))
    let monitor = try TrainingMonitor()
    monitor.register { _, s in .setLearningRate(s.learningRate * 0.5) }
    monitor.register { _, _ in .switchProjection(.bulkOnly) }
    monitor.register { _, _ in .extendWarmup(steps: 10) }
    let before = Double(opt.effectiveLearningRate)
    let r = monitor.observe(step: 0, loss: 1, learningRate: before)
    #expect(try r.apply(to: &opt))
    // The learning rate is set so the next step uses half the current rate; the warm-up then
    // lengthens (so the multiplier, and the effective rate, drop again).
    var mode: SubspaceProjection.Mode? = nil
    _ = opt.updateProjection { mode = $0.mode }
    #expect(mode == .bulk)
    #expect(Double(opt.effectiveLearningRate) < 0.5 * before * 1.0001)
    var plain = SGD(learningRate: 0.1)
    #expect(try r.apply(to: &plain) == false)  // no warm-up or projection to reach
    #expect(abs(Double(plain.learningRate) - 0.5 * before) < 1e-8)
    #expect(ProjectionWeights(dominant: 0.5, bulk: 1).mode == .interpolated(dominant: 0.5, bulk: 1))
  }
}
