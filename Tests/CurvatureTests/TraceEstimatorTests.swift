import Foundation
import Testing

@testable import Curvature

@Suite struct TraceEstimatorTests {
  typealias S = SpectrumTestSupport

  func matrix() throws -> (DenseSymmetricOperator, [Float], [Double]) {
    let n = 120
    let lambda = (0..<n).map { 10 * pow(0.8, Double($0)) + (Double($0 % 7) - 3) * 0.05 }
    let (m, _) = S.rotated(lambda, seed: 31)
    return (try DenseSymmetricOperator(matrix: m, order: n), m, lambda)
  }

  @Test func hutchinsonIsWithinItsVariance() throws {
    let (op, m, lambda) = try matrix()
    let n = lambda.count
    let trace = lambda.reduce(0, +)
    let fro2 = lambda.reduce(0) { $0 + $1 * $1 }
    let diag2 = (0..<n).reduce(0.0) { $0 + Double(m[$1 * n + $1]) * Double(m[$1 * n + $1]) }
    let probes = 200
    let sd = (2 * (fro2 - diag2) / Double(probes)).squareRoot()
    let est = try TraceEstimator.hutchinson(of: op, probes: probes, seed: 2)
    #expect(abs(est.value - trace) <= 4 * sd)
    #expect(est.standardError > 0.6 * sd && est.standardError < 1.5 * sd)
    #expect(est.productCount == probes && op.productCount == probes)
    // Over many seeds the errors have the stated spread (mean squared z-score near 1).
    var z2 = 0.0
    for s in 0..<20 {
      let e = try TraceEstimator.hutchinson(of: op, probes: 20, seed: UInt64(100 + s))
      let sd20 = (2 * (fro2 - diag2) / 20).squareRoot()
      z2 += pow((e.value - trace) / sd20, 2) / 20
    }
    #expect(z2 > 0.3 && z2 < 2.5)
  }

  @Test func hutchPlusPlusBeatsHutchinsonOnDecayingSpectrum() throws {
    let (op, _, lambda) = try matrix()
    let trace = lambda.reduce(0, +)
    var errPlus = 0.0
    var errPlain = 0.0
    for s in 0..<8 {
      let a = try TraceEstimator.hutchPlusPlus(of: op, products: 60, seed: UInt64(s))
      let b = try TraceEstimator.hutchinson(of: op, probes: 60, seed: UInt64(s))
      #expect(a.productCount <= 60)
      #expect(abs(a.value - trace) <= 5 * a.standardError + 1e-3 * trace)
      errPlus += abs(a.value - trace)
      errPlain += abs(b.value - trace)
    }
    #expect(errPlus < errPlain / 3)
  }

  @Test func frobeniusNormSquared() throws {
    let (op, _, lambda) = try matrix()
    let fro2 = lambda.reduce(0) { $0 + $1 * $1 }
    let est = try TraceEstimator.frobeniusNormSquared(of: op, probes: 100, seed: 9)
    #expect(abs(est.value - fro2) <= 4 * est.standardError)
    #expect(est.standardError < 0.2 * fro2)
    #expect(throws: CurvatureError.self) { try TraceEstimator.hutchinson(of: op, probes: 1) }
    #expect(throws: CurvatureError.self) { try TraceEstimator.hutchPlusPlus(of: op, products: 3) }
  }
}
