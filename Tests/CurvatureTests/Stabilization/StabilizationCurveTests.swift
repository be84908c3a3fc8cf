import Testing

@testable import Curvature

@Suite struct StabilizationCurveTests {
  func curve(_ k: [Int], _ v: [Double]) -> StabilizationCurve {
    StabilizationCurve(
      method: .gaussianMoment, sigma: 1e-3, subspaceDimension: 1, sampleCounts: k, mean: v,
      standardError: v.map { _ in 0 }, perOrder: [v], monteCarloStandardError: [v.map { _ in 0 }],
      productCount: 0, sampleLossCount: 0)
  }

  @Test func slopeOfExactPowerLaw() {
    let k = [8, 16, 32, 64, 128]
    let c = curve(k, k.map { 3.0 / Double($0 * $0) })
    #expect(abs(c.slope! + 2) <= 1e-12)
    // Non-positive points are skipped; one usable point gives no slope.
    #expect(curve([8, 16], [0, 1]).slope == nil)
  }

  @Test func logLogFitRecoversPrefactorAndSkipsBadPoints() throws {
    // Δ(k) = 3 k^-1.5: log₁₀ Δ = log₁₀ 3 − 1.5 log₁₀ k; NaN, 0 and k = 0 points are skipped.
    let k = [0, 10, 100, 1000, 10_000, 20]
    let v = [5.0] + [10.0, 100, 1000, 10_000].map { 3 / ($0 * $0.squareRoot()) } + [.nan]
    let fit = try #require(StabilizationCurve.logLogFit(sampleCounts: k, values: v))
    #expect(abs(fit.slope + 1.5) <= 1e-12)
    #expect(abs(fit.intercept - 0.47712125471966244) <= 1e-12)
    #expect(StabilizationCurve.logLogFit(sampleCounts: [4, 4], values: [1, 2]) == nil)
  }

  @Test func sufficientSampleSizeIsFirstPointBelowEpsilon() throws {
    let c = curve([8, 16, 32, 64], [1e-2, 5e-3, 6e-3, 1e-4])
    #expect(try c.sufficientSampleSize(epsilon: 5e-3) == 16)
    #expect(try c.sufficientSampleSize(epsilon: 1e-3) == 64)
    #expect(try c.sufficientSampleSize(epsilon: 1e-5) == nil)
    #expect(throws: CurvatureError.self) { try c.sufficientSampleSize(epsilon: -1) }
    #expect(throws: CurvatureError.self) { try c.sufficientSampleSize(epsilon: .nan) }
  }
}
