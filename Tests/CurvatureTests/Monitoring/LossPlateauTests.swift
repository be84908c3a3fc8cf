import Foundation
import Testing

@testable import Curvature

/// The loss-plateau condition of ``TrainingEvent/stabilized(_:)``: a small Δ₂^(D) alone must not
/// stop a run whose loss is still falling.
@Suite struct LossPlateauTests {
  /// A stabilisation curve whose value at the largest k is `last`.
  func curve(_ last: Double) -> StabilizationCurve {
    StabilizationCurve(
      method: .gaussianMoment, sigma: 1e-3, subspaceDimension: 2, sampleCounts: [8, 16],
      mean: [4 * last, last], standardError: [0, 0], perOrder: [[4 * last, last]],
      monteCarloStandardError: [[0, 0]], productCount: 0, sampleLossCount: 0)
  }

  /// Loss 1 → 0.1 by exp(−step/300) until step 900, then flat at its value there, with a
  /// seeded ±3 % multiplicative jitter (minibatch noise).
  func loss(_ step: Int, _ rng: inout SeededGenerator) -> Double {
    let clean = 0.1 + 0.9 * exp(-Double(min(step, 900)) / 300)
    return clean * (1 + 0.03 * (2 * rng.nextUniform() - 1))
  }

  /// Runs 1,500 observed steps with Δ ≤ ε at every check (every 100 steps); returns the first
  /// step with a stop.
  func firstStop(_ configuration: MonitorConfiguration) throws -> Int? {
    let m = try TrainingMonitor(configuration: configuration)
    m.register(StopWhenStabilized())
    var rng = SeededGenerator(seed: 4)
    for step in 0..<1500 {
      var r = m.observe(step: step, loss: loss(step, &rng), learningRate: 0.1)
      if step % 100 == 0 {
        r.merge(m.recordStabilization(curve(1e-8), step: step, learningRate: 0.1))
      }
      if r.shouldStop { return step }
    }
    return nil
  }

  @Test func deltaAloneStopsWhileTheLossFalls() throws {
    // The test off: Δ ≤ ε at three checks stops at step 200, with the loss still falling by
    // about a quarter every 100 steps.
    let stop = try firstStop(.init(stabilizationEpsilon: 1e-6, lossPlateauWindow: 0))
    #expect(stop == 200)
  }

  @Test func defaultWaitsForThePlateau() throws {
    let stop = try #require(try firstStop(.init(stabilizationEpsilon: 1e-6)))
    // Not while the loss falls: at the check of step 1,000 the last 100 steps' mean loss is
    // still 5 % below the previous 100's (the decay ends at step 900) …
    #expect(stop >= 1000)
    // … and at the next check, when both windows lie on the flat part.
    #expect(stop <= 1100)
  }

  @Test func measurementCarriesTheLossDecrease() throws {
    let m = try TrainingMonitor(
      configuration: .init(stabilizationEpsilon: 1e-6, stabilizedChecks: 1, lossPlateauWindow: 10))
    // 19 losses: not two windows yet, so no plateau and no `stabilized`.
    for step in 0..<19 { _ = m.observe(step: step, loss: Double(100 - step), learningRate: 0.1) }
    var r = m.recordStabilization(curve(1e-8), step: 19, learningRate: 0.1)
    guard case .stabilizationMeasured(let early) = r.events[0] else { return #expect(Bool(false)) }
    #expect(early.relativeLossDecrease == nil && !early.lossPlateaued)
    #expect(r.events.map(\.kind) == [.stabilizationMeasured])
    // 20 losses 100, 99, …, 81: windows mean 95.5 and 85.5, decrease 10/95.5.
    _ = m.observe(step: 19, loss: 81, learningRate: 0.1)
    r = m.recordStabilization(curve(1e-8), step: 20, learningRate: 0.1)
    guard case .stabilizationMeasured(let s) = r.events[0] else { return #expect(Bool(false)) }
    #expect(abs(s.relativeLossDecrease! - 10 / 95.5) < 1e-12 && !s.lossPlateaued)
    // Ten flat losses at 81: the windows are 90, 89, …, 81 and ten times 81.
    for step in 20..<30 { _ = m.observe(step: step, loss: 81, learningRate: 0.1) }
    r = m.recordStabilization(curve(1e-8), step: 30, learningRate: 0.1)
    guard case .stabilizationMeasured(let t) = r.events[0] else { return #expect(Bool(false)) }
    let older: Double = (81...90).map(Double.init).reduce(0, +) / 10
    #expect(abs(t.relativeLossDecrease! - (older - 81) / older) < 1e-12 && !t.lossPlateaued)
    for step in 30..<40 { _ = m.observe(step: step, loss: 81, learningRate: 0.1) }
    r = m.recordStabilization(curve(1e-8), step: 40, learningRate: 0.1)
    guard case .stabilized(let u) = r.events.last else { return #expect(Bool(false)) }
    #expect(u.relativeLossDecrease == 0 && u.lossPlateaued)
  }

  @Test func withoutObservedLossesDeltaDecides() throws {
    // A loop that never reports a loss gets the Δ-only rule (documented).
    let m = try TrainingMonitor(
      configuration: .init(stabilizationEpsilon: 1e-6, stabilizedChecks: 1))
    let r = m.recordStabilization(curve(1e-8), step: 0, learningRate: 0.1)
    #expect(r.events.map(\.kind) == [.stabilizationMeasured, .stabilized])
  }

  @Test func nonFiniteLossesAreLeftOutOfTheWindows() throws {
    let m = try TrainingMonitor(
      configuration: .init(stabilizationEpsilon: 1e-6, stabilizedChecks: 1, lossPlateauWindow: 2))
    for (step, x) in [1.0, .nan, 1, 1, .infinity, 1].enumerated() {
      _ = m.observe(step: step, loss: x, learningRate: 0.1)
    }
    let r = m.recordStabilization(curve(1e-8), step: 6, learningRate: 0.1)
    #expect(r.events.map(\.kind) == [.stabilizationMeasured, .stabilized])
  }

  @Test func badSettingsThrow() {
    #expect(throws: CurvatureError.self) {
      try TrainingMonitor(configuration: .init(lossPlateauWindow: -1))
    }
    #expect(throws: CurvatureError.self) {
      try TrainingMonitor(configuration: .init(lossPlateauTolerance: -0.1))
    }
    #expect(throws: CurvatureError.self) {
      try TrainingMonitor(configuration: .init(lossPlateauTolerance: .nan))
    }
  }
}
