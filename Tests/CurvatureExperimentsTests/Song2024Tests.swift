import Testing

@testable import CurvatureExperiments

@Suite struct Song2024Tests {
  @Test func quickRun() throws {
    let r = try Paper.song2024.reproduce(.quick)
    #expect(
      checkShape(
        r, ids: ["bulk_vs_sgd_loss_ratio", "dom_vs_sgd_loss_ratio", "gradient_alignment"],
        figures: ["loss", "alignment", "sharpness"]))
    let bulk = try #require(r.claim("bulk_vs_sgd_loss_ratio"))
    #expect(bulk.holds && abs(bulk.measured - 1) < 0.1)
    // Dom-SGD is behind SGD already after 100 steps (1.5× in the quick run).
    let dom = try #require(r.claim("dom_vs_sgd_loss_ratio"))
    #expect(dom.measured > 1.3)
    // f_top far above the chance level k/P ≈ 0.008.
    let align = try #require(r.claim("gradient_alignment"))
    #expect(align.measured > 0.3 && align.measured <= 1)
  }
}
