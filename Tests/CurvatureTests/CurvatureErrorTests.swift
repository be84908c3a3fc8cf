import Testing

@testable import Curvature

@Suite struct CurvatureErrorTests {
  @Test func descriptionsNameTheArgumentAndProblem() {
    let cases: [(CurvatureError, String)] = [
      (.invalidArgument(name: "k", reason: "must be positive"), "k: must be positive"),
      (
        .dimensionMismatch(name: "gradient", expected: 1024, actual: 1000),
        "gradient: expected 1024 elements, got 1000"
      ),
      (.nonFinite(name: "w", index: 7), "w: non-finite value at index 7"),
      (.outOfRange(name: "eta", value: -1, range: "(0, ∞)"), "eta: -1.0 is outside (0, ∞)"),
      (.malformedFile(path: "a.npy", reason: "bad magic"), "a.npy: malformed file: bad magic"),
      (.fileSystem(path: "/x", reason: "cannot read"), "/x: cannot read"),
      (.unsupported("GGN products"), "unsupported: GGN products"),
      (.diverged(reason: "loss is NaN"), "diverged: loss is NaN"),
    ]
    for (error, text) in cases {
      #expect(error.description == text)
      #expect("\(error)" == text)
    }
  }

  @Test func equalityComparesEveryField() {
    #expect(CurvatureError.nonFinite(name: "a", index: 1) == .nonFinite(name: "a", index: 1))
    #expect(CurvatureError.nonFinite(name: "a", index: 1) != .nonFinite(name: "a", index: 2))
    #expect(CurvatureError.nonFinite(name: "a", index: 1) != .nonFinite(name: "b", index: 1))
    #expect(
      CurvatureError.dimensionMismatch(name: "x", expected: 1, actual: 2)
        != .dimensionMismatch(name: "x", expected: 2, actual: 1))
    #expect(CurvatureError.unsupported("a") != .diverged(reason: "a"))
  }

  @Test func validationChecks() throws {
    try Validate.count("x", 3, 3)
    #expect(throws: CurvatureError.dimensionMismatch(name: "x", expected: 4, actual: 3)) {
      try Validate.count("x", 3, 4)
    }
    try Validate.finite("v", [1.0, -2, 0])
    #expect(throws: CurvatureError.nonFinite(name: "v", index: 2)) {
      try Validate.finite("v", [Float(1), 2, .infinity, .nan])
    }
    #expect(throws: CurvatureError.nonFinite(name: "v", index: 0)) {
      try Validate.finite("v", [Double.nan])
    }
    try Validate.positive("eta", 1e-300)
    for bad in [0, -1, Double.nan, .infinity] {
      #expect(throws: CurvatureError.self) { try Validate.positive("eta", bad) }
    }
  }
}
