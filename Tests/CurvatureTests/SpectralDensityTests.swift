import Foundation
import Testing

@testable import Curvature

@Suite struct SpectralDensityTests {
  typealias S = SpectrumTestSupport

  @Test func integratesToOneAndMatchesTheDenseHistogram() throws {
    let n = 300
    // A bulk of two bands plus outliers.
    let lambda = (0..<n).map { i -> Double in
      if i < 3 { return 8 + Double(i) }
      return i % 3 == 0 ? 1 + Double(i) / Double(n) : 3 + 0.5 * Double(i) / Double(n)
    }
    let (m, _) = S.rotated(lambda, seed: 41)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let sigma = 0.25
    let d = try SpectralDensity(
      of: op, steps: 40, probes: 12, gridPoints: 300, width: sigma, range: -1...12, seed: 3)
    #expect(abs(d.integral - 1) < 1e-3)
    #expect(abs(d.weights.reduce(0, +) - 1) < 1e-6)
    #expect(d.productCount == 12 * 40)
    // The exact smoothed density (1/P) Σ g_σ(t − λᵢ).
    var l1 = 0.0
    let h = d.grid[1] - d.grid[0]
    for (t, phi) in zip(d.grid, d.density) {
      let exact =
        lambda.reduce(0.0) { $0 + exp(-0.5 * pow((t - $1) / sigma, 2)) }
        / (Double(n) * sigma * (2 * Double.pi).squareRoot())
      l1 += abs(phi - exact) * h
    }
    #expect(l1 < 0.15)
    // The outliers are seen as nodes near 8, 9, 10.
    for x in [8.0, 9, 10] { #expect(d.nodes.contains { abs($0 - x) < 1e-3 }) }
    #expect(throws: CurvatureError.self) { try SpectralDensity(of: op, steps: 0) }
  }
}
