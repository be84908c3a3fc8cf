import Testing

@testable import CurvatureExperiments

@Suite struct Gilmer2022Tests {
  @Test func quickRun() throws {
    let r = try Paper.gilmer2022.reproduce(.quick)
    #expect(
      checkShape(
        r,
        ids: [
          "guard_prevents_divergence", "warmup_raises_stable_lr", "guarded_final_stability_ratio",
        ],
        figures: ["loss", "sharpness", "warmup"]))
    // η = 3·2/λ₁ diverges unguarded; the guarded run ends at 0.258× its initial loss.
    let g = try #require(r.claim("guard_prevents_divergence"))
    #expect(g.precondition?.met == true)
    #expect(g.measured < 0.5 && g.holds)
    // Ends below the edge: λ₁η/2 = 0.86.
    let s = try #require(r.claim("guarded_final_stability_ratio"))
    #expect(s.measured > 0.5 && s.measured <= 1)
    // Warm-up: the largest stable multiple on the coarse quick grid is the same (ratio 1).
    let w = try #require(r.claim("warmup_raises_stable_lr"))
    #expect(w.measured >= 1 && w.measured <= 8)
  }
}
