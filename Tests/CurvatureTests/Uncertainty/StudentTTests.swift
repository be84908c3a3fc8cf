import Testing

@testable import Curvature

/// Student-t quantiles and CDF against SciPy 1.x (`scipy.stats.t.ppf` / `.cdf`).
@Suite struct StudentTTests {
  @Test func quantilesMatchSciPy() {
    let cases: [(Double, Int, Double)] = [
      (0.975, 1, 12.706204736174694), (0.975, 15, 2.131449545559776),
      (0.95, 5, 2.0150483733330233), (0.995, 30, 2.7499956535672254),
      (0.975, 200, 1.9718962236339088),
    ]
    for (p, nu, expected) in cases {
      let q = StudentT.quantile(p, degreesOfFreedom: nu)
      #expect(abs(q - expected) <= 1e-9 * expected, "t(\(p), \(nu)) = \(q), SciPy \(expected)")
      #expect(abs(StudentT.quantile(1 - p, degreesOfFreedom: nu) + expected) <= 1e-9 * expected)
    }
    #expect(StudentT.quantile(0.5, degreesOfFreedom: 4) == 0)
  }

  @Test func cdfMatchesSciPy() {
    let cases: [(Double, Int, Double)] = [
      (1.0, 3, 0.8044988905221148), (-2.5, 7, 0.020496109292876444), (0.3, 1, 0.5927735790777423),
    ]
    for (t, nu, expected) in cases {
      let c = StudentT.cumulativeProbability(t, degreesOfFreedom: nu)
      #expect(abs(c - expected) <= 1e-12, "F(\(t); \(nu)) = \(c), SciPy \(expected)")
    }
  }

  @Test func intervalCoversRawAndCorrectedValues() {
    let v = UncertainValue(
      estimate: 1.8, raw: 2.0, samplingStandardError: 0.1, solverErrorBound: 0.01,
      confidence: 0.95, degreesOfFreedom: 15)
    let h = 2.131449545559776 * 0.1 + 0.01
    #expect(abs(v.lower - (1.8 - h)) < 1e-12)
    #expect(abs(v.upper - (2.0 + h)) < 1e-12)
    #expect(abs(v.bias - 0.2) < 1e-12)
    #expect(abs(v.errorHalfWidth - h) < 1e-12)
  }
}
