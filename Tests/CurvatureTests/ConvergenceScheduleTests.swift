import Foundation
import Testing

@testable import Curvature

@Suite struct ConvergenceScheduleTests {
  @Test func scheduleTestsEveryStepUntilTheRatioFallsAndNearConvergence() {
    var s = ConvergenceSchedule()
    #expect(s.gap == 1)
    s.record(worst: 1e4, after: 3)
    #expect(s.gap == 1)  // no history yet
    s.record(worst: 2e4, after: 1)
    #expect(s.gap == 1)  // rising
    // Falling by a factor e per step to 2e4 / e: ln(2e4 / e / 3) ≈ 7.8 steps left; half is 3.
    s.record(worst: 2e4 / M_E, after: 1)
    #expect(s.gap == 3)
    // Falling slowly from far away: capped.
    s.record(worst: 2e4 / M_E / 1.1, after: 1)
    #expect(s.gap == ConvergenceSchedule.maximumGap)
    s.record(worst: 2.5, after: 6)
    #expect(s.gap == 1)  // near the tolerance
    s.record(worst: .infinity, after: 1)
    #expect(s.gap == 1)
  }
}
