import Foundation
import Testing

@testable import Curvature

@Suite struct SketchedEigensolverTests {
  typealias S = SpectrumTestSupport

  @Test(arguments: SketchMethod.allCases)
  func fastDecayingSpectrumIsRecoveredWithinTheBound(_ method: SketchMethod) throws {
    let n = 300
    // PSD, fast decay: 20 large eigenvalues then a tail of 1e-3.
    let lambda = (0..<n).map { $0 < 20 ? 100 * pow(0.8, Double($0)) : 1e-3 }
    let (m, q) = S.rotated(lambda, seed: 6)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let k = 10
    let r = try SketchedEigensolver(
      method: method, sketchSize: 30, probes: 8, blockSize: 16, seed: 1
    )
    .eigenpairs(of: op, count: k)
    #expect(r.productCount == 38)
    #expect(op.productCount == 38)
    #expect(r.errorEstimate > 0)
    for i in 0..<k {
      #expect(abs(r.eigenvalues[i] - lambda[i]) <= r.errorEstimate)
      #expect(abs(r.eigenvalues[i] - lambda[i]) <= 1e-3 * lambda[0])
    }
    let exact = (0..<k).map { Array(q[($0 * n)..<(($0 + 1) * n)]) }
    #expect(S.overlap(r.vectors, exact) >= 0.99)
    #expect(r.vectors.orthogonalityError < 1e-4)
  }

  @Test func symmetricHandlesIndefiniteAndNystromRejectsIt() throws {
    let n = 200
    let lambda = (0..<n).map { $0 < 6 ? [9.0, -8, 7, -6, 5, -4][$0] : 0.0 }
    let (m, _) = S.rotated(lambda, seed: 3)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let r = try SketchedEigensolver(method: .symmetric, sketchSize: 12).eigenpairs(of: op, count: 3)
    for (i, x) in [9.0, 7, 5].enumerated() { #expect(abs(r.eigenvalues[i] - x) <= 1e-3) }
    #expect(r.errorEstimate < 1e-2)
    #expect(throws: CurvatureError.self) {
      try SketchedEigensolver(method: .nystrom, sketchSize: 12).eigenpairs(of: op, count: 3)
    }
    #expect(throws: CurvatureError.self) {
      try SketchedEigensolver(sketchSize: 2).eigenpairs(of: op, count: 3)
    }
  }

  @Test func slowDecayGivesALargerButValidBound() throws {
    let n = 200
    let lambda = (0..<n).map { 1 / Double($0 + 1) }
    let (m, _) = S.rotated(lambda, seed: 12)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let r = try SketchedEigensolver(method: .nystrom, sketchSize: 20, probes: 10).eigenpairs(
      of: op, count: 5)
    for i in 0..<5 { #expect(abs(r.eigenvalues[i] - lambda[i]) <= r.errorEstimate) }
    // The probes see the unsketched tail: ‖H − Â‖₂ ≥ λ₂₁ ≈ 0.048 and the bound is above it.
    #expect(r.errorEstimate >= lambda[20])
  }
}
