import Testing

@testable import CurvatureExperiments

@Suite struct Kiselev2026Tests {
  @Test func quickRun() throws {
    let r = try Paper.kiselev2026.reproduce(.quick)
    #expect(
      checkShape(
        r,
        ids: [
          "slope", "gm_vs_direct_median_rel_error", "gm_vs_direct_median_rel_error_small_sigma",
          "gm_speedup", "aligned_vs_full_ratio_small_sigma", "aligned_vs_full_ratio",
        ], figures: ["train", "stabilization", "agreement"]))
    // Where a² dominates (σ = 1e-3) the closed form matches direct MC to a fraction of a percent
    // and Δ₂^(D) ≈ Δ₂.
    let small = try #require(r.claim("gm_vs_direct_median_rel_error_small_sigma"))
    #expect(small.measured < 0.05)
    let ratio = try #require(r.claim("aligned_vs_full_ratio_small_sigma"))
    #expect(abs(ratio.measured - 1) < 0.1)
    // The closed form is evaluated thousands of times faster.
    let speed = try #require(r.claim("gm_speedup"))
    #expect(speed.measured > 1000)
    // Δ₂^(D) decreases with k.
    let slope = try #require(r.claim("slope"))
    #expect(slope.measured < -0.5 && slope.measured > -3)
  }
}
