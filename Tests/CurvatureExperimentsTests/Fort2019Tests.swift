import Testing

@testable import CurvatureExperiments

@Suite struct Fort2019Tests {
  @Test func quickRun() throws {
    let r = try Paper.fort2019.reproduce(.quick)
    #expect(
      checkShape(
        r,
        ids: [
          "outlier_gap", "gradient_top_fraction", "sharpness_rise_then_fall",
          "goldilocks_correlation",
        ],
        figures: ["spectrum", "sharpness", "alignment", "goldilocks"]))
    let gap = try #require(r.claim("outlier_gap"))
    // 1.53 in the quick run (CNN, 120 steps).
    #expect(gap.measured > 1.3)
    // 0.78 in the quick run.
    let f = try #require(r.claim("gradient_top_fraction"))
    #expect(f.holds && f.measured <= 1)
    let rf = try #require(r.claim("sharpness_rise_then_fall"))
    #expect(rf.measured >= 1)
    let rho = try #require(r.claim("goldilocks_correlation"))
    #expect(rho.measured >= -1 && rho.measured <= 1)
  }
}
