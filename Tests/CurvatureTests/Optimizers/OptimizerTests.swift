import Testing

@testable import Curvature

@Suite struct OptimizerTests {
  /// The SIMD finiteness check agrees with the element-wise one for every length up to 80 and
  /// every position and kind of non-finite value, and names the first offending index.
  @Test func finiteVectorCheckFindsEveryNonFiniteValue() throws {
    for n in 0...80 {
      let clean = (0..<n).map { Float($0) - 40.5 }
      try Validate.finiteVector("x", clean)
      #expect(clean.withUnsafeBufferPointer { Validate.allFinite($0) })
      for i in 0..<n {
        for bad in [Float.nan, .infinity, -.infinity, Float.signalingNaN] {
          var x = clean
          x[i] = bad
          #expect(!x.withUnsafeBufferPointer { Validate.allFinite($0) })
          #expect(throws: CurvatureError.nonFinite(name: "x", index: i)) {
            try Validate.finiteVector("x", x)
          }
          if i + 1 < n {
            x[n - 1] = .nan
            #expect(throws: CurvatureError.nonFinite(name: "x", index: i)) {
              try Validate.finiteVector("x", x)
            }
          }
        }
      }
    }
    // Extreme finite values (x·0 stays 0) pass.
    try Validate.finiteVector("x", [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0, -0])
  }
}
