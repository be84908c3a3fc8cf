import Testing

@testable import CurvatureExperiments

@Suite struct ClaimTests {
  func claim(_ x: Double, _ t: Claim.Threshold, met: Bool? = nil) -> Claim {
    Claim(
      id: "c", statement: "s", paperValue: "p", measured: x, threshold: t, thresholdSource: "src",
      quantification: "q", precondition: met.map { ("pre", $0) })
  }

  @Test func thresholdsCompareAsDocumented() {
    #expect(claim(1, .atLeast(1)).holds && !claim(0.999, .atLeast(1)).holds)
    #expect(!claim(1, .above(1)).holds && claim(1.001, .above(1)).holds)
    #expect(claim(1, .atMost(1)).holds && !claim(1.001, .atMost(1)).holds)
    #expect(!claim(1, .below(1)).holds && claim(0.5, .below(1)).holds)
    #expect(claim(0.8, .between(0.8, 1.25)).holds && !claim(1.3, .between(0.8, 1.25)).holds)
    #expect(claim(0.79, .outside(0.8, 1.25)).holds && !claim(1, .outside(0.8, 1.25)).holds)
    #expect(!claim(.nan, .atMost(1)).holds && !claim(.infinity, .atLeast(1)).holds)
    #expect(!claim(-.infinity, .below(0)).holds)
  }

  @Test func aFailedPreconditionFailsTheClaim() {
    #expect(claim(0.1, .atMost(0.5), met: true).holds)
    #expect(!claim(0.1, .atMost(0.5), met: false).holds)
  }

  @Test func thresholdDescriptions() {
    #expect(Claim.Threshold.atLeast(1000).description == "≥ 1000")
    #expect(Claim.Threshold.between(0.8, 1.25).description == "in [0.8, 1.25]")
    #expect(Claim.Threshold.atLeast(1e5).description == "≥ 100000")
    #expect(Claim.format(18_000.5) == "1.800e+04" && Claim.format(0.25) == "0.25")
    #expect(Claim.format(.nan) == "NaN" && Claim.format(0) == "0")
  }

  @Test func everyPaperHasATitleAndCitation() {
    #expect(Paper.allCases.count == 6)
    for p in Paper.allCases {
      #expect(!p.title.isEmpty && !p.citation.isEmpty)
    }
  }
}
