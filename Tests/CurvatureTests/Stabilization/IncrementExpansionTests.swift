import Testing

@testable import Curvature

@Suite struct IncrementExpansionTests {
  /// D = 1 by hand: E[(a + cz + ½bz²)²] = a² + c²σ² + abσ² + ¾b²σ⁴ (E z⁴ = 3σ⁴).
  @Test func oneDimensionalMomentsByHand() throws {
    let (a, c, b, s) = (0.3, -1.7, 2.5, 0.4)
    let e = try IncrementExpansion(value: a, gradient: [c], hessian: [b])
    let s2 = s * s
    let exact = a * a + c * c * s2 + a * b * s2 + 0.75 * b * b * s2 * s2
    #expect(abs(e.gaussianMoment(sigma: s) - exact) <= 1e-14 * exact)
  }

  /// Diagonal B in D = 3 by hand: E[(zᵀBz)²] = 3σ⁴Σb² + σ⁴Σ_{i≠j} b_i b_j.
  @Test func diagonalQuarticMomentByHand() throws {
    let bd = [1.0, -2.0, 0.5]
    var b = [Double](repeating: 0, count: 9)
    for i in 0..<3 { b[i * 4] = bd[i] }
    let e = try IncrementExpansion(value: 0, gradient: [0, 0, 0], hessian: b)
    let s = 0.7
    var cross = 0.0
    for i in 0..<3 { for j in 0..<3 where i != j { cross += bd[i] * bd[j] } }
    let quartic = 3 * bd.map { $0 * $0 }.reduce(0, +) + cross
    let exact = 0.25 * quartic * s * s * s * s
    #expect(abs(e.gaussianMoment(sigma: s) - exact) <= 1e-14)
  }

  /// Quadratic Monte Carlo converges to the closed form: within 3 standard errors at every S,
  /// and the error bar shrinks like 1/√S.
  @Test func quadraticMonteCarloConvergesToClosedForm() throws {
    var g = SeededGenerator(seed: 11)
    let d = 4
    var b = (0..<(d * d)).map { _ in g.nextGaussian() }
    for i in 0..<d { for j in 0..<i { b[j * d + i] = b[i * d + j] } }
    let e = try IncrementExpansion(
      value: 0.2, gradient: (0..<d).map { _ in g.nextGaussian() }, hessian: b)
    let sigma = 0.5
    let exact = e.gaussianMoment(sigma: sigma)
    var previousError = Double.infinity
    var lastMean = 0.0
    for s in [256, 4096, 65536] {
      var rng = SeededGenerator(seed: UInt64(s))
      let r = e.quadraticMonteCarlo(sigma: sigma, probes: s, generator: &rng)
      #expect(abs(r.mean - exact) <= 3 * r.standardError, "S = \(s)")
      #expect(r.standardError < previousError / 3)
      previousError = r.standardError
      lastMean = r.mean
    }
    #expect(abs(lastMean - exact) <= 0.02 * exact)
    // The closed form's σ⁴ term matters here: dropping it would fail the tolerance above.
    let s2 = sigma * sigma
    let quartic = 0.25 * s2 * s2 * (2 * e.hessianSquaredTrace + e.hessianTrace * e.hessianTrace)
    #expect(quartic > 10 * previousError)
  }

  @Test func symmetrisesAndValidates() throws {
    let e = try IncrementExpansion(value: 0, gradient: [0, 0], hessian: [1, 2, 4, 3])
    #expect(e.hessian == [1, 3, 3, 3])
    #expect(throws: CurvatureError.dimensionMismatch(name: "hessian", expected: 4, actual: 3)) {
      try IncrementExpansion(value: 0, gradient: [0, 0], hessian: [1, 2, 3])
    }
    #expect(throws: CurvatureError.nonFinite(name: "gradient", index: 1)) {
      try IncrementExpansion(value: 0, gradient: [0, .nan], hessian: [1, 2, 3, 4])
    }
    #expect(throws: CurvatureError.nonFinite(name: "value", index: 0)) {
      try IncrementExpansion(value: .infinity, gradient: [0], hessian: [1])
    }
  }
}
