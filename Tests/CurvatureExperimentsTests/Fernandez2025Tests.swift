import Testing

@testable import CurvatureExperiments

@Suite struct Fernandez2025Tests {
  @Test func quickRun() throws {
    let r = try Paper.fernandez2025.reproduce(.quick)
    #expect(
      checkShape(
        r,
        ids: [
          "eigenpairs", "parameters", "mask_overlap_ratio", "mask_overlap_ratio_over_training",
          "sketch_error_bound_holds",
        ], figures: ["loss", "spectrum", "overlap"]))
    // The quick size computes 40 pairs at P = 2,410, so the scale claims do not hold there.
    #expect(r.claim("eigenpairs")?.measured == 40 && r.claim("eigenpairs")?.holds == false)
    #expect(r.claim("parameters")?.measured == 2410)
    // Magnitude masks overlap the top eigenspace 2.8× (final, worst density) above chance.
    let m = try #require(r.claim("mask_overlap_ratio"))
    #expect(m.holds && m.measured > 1.5)
    let t = try #require(r.claim("mask_overlap_ratio_over_training"))
    #expect(t.holds && t.measured > 1.5)
    // The sketch's bound covers the Lanczos eigenvalues with a wide margin.
    let b = try #require(r.claim("sketch_error_bound_holds"))
    #expect(b.holds && b.measured >= 0)
  }
}
