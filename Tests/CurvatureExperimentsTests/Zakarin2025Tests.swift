import Testing

@testable import CurvatureExperiments

@Suite struct Zakarin2025Tests {
  @Test func quickRun() throws {
    let r = try Paper.zakarin2025.reproduce(.quick)
    #expect(
      checkShape(
        r,
        ids: [
          "dominant_energy_fraction", "gauss_newton_energy_fraction",
          "gauss_newton_share_of_dominant", "functional_hessian_in_bulk", "bulk_gd_faster",
          "bulk_gd_stability_limit",
        ], figures: ["energy", "spectrum", "gd", "stability"]))
    // Energy shares (Hutchinson estimates, so slightly above 1 is possible for G).
    for id in [
      "dominant_energy_fraction", "gauss_newton_energy_fraction", "functional_hessian_in_bulk",
    ] {
      let c = try #require(r.claim(id))
      #expect(c.measured > 0.6 && c.measured < 1.2, "\(id) = \(c.measured)")
    }
    let share = try #require(r.claim("gauss_newton_share_of_dominant"))
    #expect(share.measured > 0.5 && share.measured < 1.5)
    // Bulk-GD against GD at 0.5·2/λ₁: within a factor of 1.5 either way.
    let speed = try #require(r.claim("bulk_gd_faster"))
    #expect(speed.measured > 0.67 && speed.measured < 1.5)
    // On this MLP Bulk-GD tolerates a larger η than GD (the paper reports the opposite).
    let limit = try #require(r.claim("bulk_gd_stability_limit"))
    #expect(limit.measured >= 1 && !limit.holds)
  }
}
