import Curvature
import Testing

@testable import CurvatureCLI

@Suite struct DemoSpectralDensityTests {
  /// A diagonal matrix with a bulk in [0, 1] and three outliers.
  static func diagonal(_ n: Int) throws -> (DenseSymmetricOperator, [Double]) {
    var d = (0..<n).map { Double($0) / Double(n) }
    d[0] = 20
    d[1] = 15
    d[2] = 10
    var a = [Float](repeating: 0, count: n * n)
    for i in 0..<n { a[i * n + i] = Float(d[i]) }
    return (try DenseSymmetricOperator(matrix: a, order: n), d)
  }

  @Test func quadratureMatchesTheFirstTwoMomentsExactly() throws {
    // For a diagonal H and a Rademacher probe, qᵀHq = tr(H)/n and qᵀH²q = tr(H²)/n exactly,
    // and a Gauss rule with ≥ 2 nodes reproduces both.
    let n = 120
    let (op, d) = try Self.diagonal(n)
    let slq = try DemoSpectralDensity(of: op, steps: 20, probes: 3, seed: 5)
    let m1 = zip(slq.nodes, slq.weights).reduce(0) { $0 + $1.0 * $1.1 }
    let m2 = zip(slq.nodes, slq.weights).reduce(0) { $0 + $1.0 * $1.0 * $1.1 }
    let trace = d.reduce(0, +) / Double(n)
    let trace2 = d.reduce(0) { $0 + $1 * $1 } / Double(n)
    #expect(abs(m1 - trace) <= 1e-5 * trace)
    #expect(abs(m2 - trace2) <= 1e-4 * trace2)
    #expect(abs(slq.weights.reduce(0, +) - 1) < 1e-6)
    #expect(slq.productCount == 60)
  }

  @Test func densityIntegratesToOneAndFindsTheOutliers() throws {
    let (op, _) = try Self.diagonal(120)
    let slq = try DemoSpectralDensity(of: op, steps: 30, probes: 4, seed: 1)
    #expect(abs(slq.integral - 1) < 1e-3)
    // The extreme Ritz values of 30 Lanczos steps match the isolated outliers closely.
    #expect(abs(slq.nodes.max()! - 20) < 1e-3)
    #expect(slq.grid.first! < 0 && slq.grid.last! > 20)
    #expect(slq.density.allSatisfy { $0.isFinite && $0 >= 0 })
  }
}
