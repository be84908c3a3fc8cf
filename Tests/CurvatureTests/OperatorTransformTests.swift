import Foundation
import Testing

@testable import Curvature

@Suite struct OperatorTransformTests {
  typealias S = SpectrumTestSupport

  @Test func shiftedOperatorMovesTheSpectrum() throws {
    let d: [Float] = [1, 2, 3, 4, 5, 6]
    let base = S.diagonal(d)
    let shifted = try ShiftedOperator(base, shift: 2.5)
    let v: [Float] = [1, 1, 1, 1, 1, 1]
    #expect(try shifted.apply(v) == d.map { $0 - 2.5 })
    var out = [Float](repeating: 0, count: 12)
    let block = v + v.map { 2 * $0 }
    try block.withUnsafeBufferPointer { b in
      try out.withUnsafeMutableBufferPointer { try shifted.apply(block: b, count: 2, into: $0) }
    }
    #expect(Array(out[6..<12]) == d.map { 2 * ($0 - 2.5) })
    #expect(shifted.productCount == 3)
    #expect(throws: CurvatureError.self) { try ShiftedOperator(base, shift: .infinity) }
  }

  @Test func deflationRevealsTheNextEigenpairs() throws {
    let n = 80
    let lambda = (0..<n).map { 10 - 0.1 * Double($0) }
    let (m, _) = S.rotated(lambda, seed: 8)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let top = try Lanczos(configuration: .init(tolerance: 1e-6)).eigenpairs(of: op, count: 3)
    let deflated = try DeflatedOperator(op, removing: top)
    let next = try Lanczos(configuration: .init(tolerance: 1e-5)).eigenpairs(of: deflated, count: 2)
    #expect(abs(next.eigenvalues[0] - lambda[3]) <= 1e-4)
    #expect(abs(next.eigenvalues[1] - lambda[4]) <= 1e-4)
    #expect(deflated.productCount == next.productCount)
    #expect(throws: CurvatureError.self) {
      try DeflatedOperator(op, removing: [1], along: try Basis(dimension: n))
    }
  }

  @Test func preconditionedOperatorIsDHD() throws {
    let n = 5
    let (m, _) = S.rotated([5, 4, 3, 2, 1], seed: 4)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let v2: [Float] = [0.01, 0.04, 0.09, 0.16, 0.25]
    let pre = try PreconditionedOperator(op, secondMoment: v2, epsilon: 1e-8)
    let dg = v2.map { 1 / ($0.squareRoot() + 1e-8).squareRoot() }
    var dense = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { dense[i * n + j] = Double(dg[i] * m[i * n + j] * dg[j]) } }
    let x: [Float] = [1, -2, 3, 0.5, 1]
    let got = try pre.apply(x)
    for i in 0..<n {
      let want = (0..<n).reduce(0.0) { $0 + dense[i * n + $1] * Double(x[$1]) }
      #expect(abs(Double(got[i]) - want) <= 1e-5 * max(1, abs(want)))
    }
    let top = try Lanczos(configuration: .init(tolerance: 1e-6)).eigenpairs(of: pre, count: 1)
    let exact = try SymmetricEigensolver.decompose(dense, order: n)
    #expect(abs(top.eigenvalues[0] - exact.values[0]) <= 1e-5 * exact.values[0])
    #expect(throws: CurvatureError.self) {
      try PreconditionedOperator(op, diagonal: [1, 1, 0, 1, 1])
    }
    #expect(throws: CurvatureError.self) {
      try PreconditionedOperator(op, secondMoment: [1, 1, -1, 1, 1], epsilon: 1e-8)
    }
  }
}
