import Testing

@testable import CurvatureCLI

@Suite struct AxisScaleTests {
  @Test func linearTicksAreNiceAndCoverTheData() {
    let s = AxisScale.fitting([0.03, 0.93], logarithmic: false)
    #expect(s.lower == 0 && s.upper == 1)
    #expect(s.ticks == [0, 0.2, 0.4, 0.6, 0.8, 1.0].map { $0 })
    #expect(s.labels == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
    let t = AxisScale.fitting([0, 1000], logarithmic: false, targetTicks: 6)
    #expect(t.ticks.first == 0 && t.ticks.last == 1000)
    #expect(t.labels.contains("200"))
    let neg = AxisScale.fitting([-3.2, 7.1], logarithmic: false)
    #expect(neg.lower <= -3.2 && neg.upper >= 7.1 && neg.ticks.contains(0))
    #expect(neg.labels.contains { $0.hasPrefix("−") })
  }

  @Test func constantDataGetsARange() {
    let s = AxisScale.fitting([5, 5, 5], logarithmic: false)
    #expect(s.lower < 5 && s.upper > 5)
    let l = AxisScale.fitting([3, 3], logarithmic: true)
    #expect(l.lower < 3 && l.upper > 3 && l.ticks.count >= 2)
  }

  @Test func logTicksOnDecadesForWideRanges() {
    let s = AxisScale.fitting([2e-7, 3e-2], logarithmic: true)
    #expect(s.lower == 1e-7 || abs(s.lower - 1e-7) < 1e-20)
    #expect(abs(s.upper - 0.1) < 1e-12)
    #expect(s.labels.first == "10⁻⁷")
    #expect(s.labels.last == "10⁻¹")  // consistent style once any label needs a power
    #expect(s.ticks.count >= 3 && s.ticks.count <= 8)
    #expect(
      AxisScale.fitting([0.02, 30], logarithmic: true).labels == ["0.01", "0.1", "1", "10", "100"])
    #expect(
      AxisScale.fitting([8, 512], logarithmic: true).labels == [
        "5", "10", "20", "50", "100", "200", "500", "1000",
      ])
  }

  @Test func narrowLogRangesStillHaveSeveralTicks() {
    let s = AxisScale.fitting([0.3, 2.2], logarithmic: true)
    #expect(s.ticks.count >= 3)
    #expect(s.lower <= 0.3 && s.upper >= 2.2)
    let t = AxisScale.fitting([0.45, 0.8], logarithmic: true)
    #expect(t.ticks.count >= 3)
  }

  @Test func manyDecadesAreThinned() {
    let s = AxisScale.fitting([1e-30, 1e10], logarithmic: true)
    #expect(s.ticks.count <= 8 && s.ticks.count >= 3)
  }

  @Test func fractionsMapTheDomain() {
    let s = AxisScale.fitting([1, 100], logarithmic: true)
    #expect(abs(s.fraction(10) - 0.5) < 1e-12)
    let l = AxisScale.fitting([0, 10], logarithmic: false)
    #expect(abs(l.fraction(5) - 0.5) < 1e-12)
  }

  @Test func ignoresNonFiniteAndNonPositive() {
    let s = AxisScale.fitting([.nan, -1, 0, 10, 100, .infinity], logarithmic: true)
    #expect(s.lower == 10 && s.upper == 100)
  }

  @Test func labelsUseSuperscriptsForLargeExponents() {
    #expect(AxisScale.label(1e-4, logarithmic: true, step: 1) == "10⁻⁴")
    #expect(AxisScale.label(5e6, logarithmic: true, step: 1) == "5×10⁶")
    #expect(AxisScale.label(1000, logarithmic: true, step: 1) == "1000")
    #expect(AxisScale.label(0.01, logarithmic: true, step: 1) == "0.01")
    #expect(AxisScale.label(2e-4, logarithmic: false, step: 1e-4) == "2×10⁻⁴")
  }
}
