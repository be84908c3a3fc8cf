import Foundation
import Testing

@testable import Curvature

@Suite struct SymmetricEigensolverTests {
  @Test func laplacianMatchesClosedForm() throws {
    let n = 40
    let a = Dense.tridiagonal(Array(repeating: 2, count: n), Array(repeating: -1, count: n - 1))
    let e = try SymmetricEigensolver.decompose(a, order: n)
    let expected = Dense.laplacianEigenvalues(n)
    for i in 0..<n { #expect(abs(e.values[i] - expected[i]) <= 1e-14 * 8) }
    #expect(Dense.residual(a, e) <= 1e-13)
    #expect(Dense.orthogonality(e.vectors, rows: n, columns: n) <= 1e-13)
  }

  @Test func randomMatricesAgreeWithJacobiReference() throws {
    // 260 exercises the two-core paths (and a row count that is not a multiple of 8).
    for (n, seed) in [(3, UInt64(1)), (10, 2), (64, 3), (150, 4), (260, 5)] {
      let a = Dense.randomSymmetric(n, seed: seed)
      let e = try SymmetricEigensolver.decompose(a, order: n)
      let scale = Dense.norm(a)
      #expect(Dense.residual(a, e) <= 1e-14 * scale * Double(n).squareRoot())
      #expect(Dense.orthogonality(e.vectors, rows: n, columns: n) <= 1e-14 * Double(n))
      for i in 1..<n { #expect(e.values[i - 1] >= e.values[i]) }
      if n <= 40 {
        let reference = SymmetricEigensolver.jacobi(a, order: n)
        for i in 0..<n { #expect(abs(reference.values[i] - e.values[i]) <= 1e-13 * scale) }
      }
    }
  }

  @Test func knownClusteredAndRepeatedSpectra() throws {
    // A = Q diag(λ) Qᵀ: five exactly repeated values, a cluster 1e-10 apart, and the rest spread.
    var lambda: [Double] = Array(repeating: 3, count: 5)
    lambda += (0..<6).map { 1 + Double($0) * 1e-10 }
    lambda += (0..<9).map { -Double($0) - 0.5 }
    let n = lambda.count
    let a = Dense.withSpectrum(lambda, seed: 7)
    let e = try SymmetricEigensolver.decompose(a, order: n)
    let sorted = lambda.sorted(by: >)
    for i in 0..<n { #expect(abs(e.values[i] - sorted[i]) <= 1e-13) }
    #expect(Dense.residual(a, e) <= 1e-13)
    #expect(Dense.orthogonality(e.vectors, rows: n, columns: n) <= 1e-13)
    // The repeated eigenspace is reproduced: its projector matches Q₅Q₅ᵀ via the trace of A's
    // restriction (every vector in it has Rayleigh quotient 3).
    for i in 0..<5 {
      var rq = 0.0
      for r in 0..<n {
        var s = 0.0
        for c in 0..<n { s += a[r * n + c] * e.vectors[i * n + c] }
        rq += s * e.vectors[i * n + r]
      }
      #expect(abs(rq - 3) <= 1e-13)
    }
  }

  @Test func diagonalZeroAndTinyOrders() throws {
    let diag: [Double] = [0.5, -2, 7, 0.5]
    var a = [Double](repeating: 0, count: 16)
    for i in 0..<4 { a[i * 4 + i] = diag[i] }
    let e = try SymmetricEigensolver.decompose(a, order: 4)
    #expect(e.values == [7, 0.5, 0.5, -2])
    #expect(Dense.residual(a, e) == 0)
    let zero = try SymmetricEigensolver.decompose(Array(repeating: 0, count: 9), order: 3)
    #expect(zero.values == [0, 0, 0])
    #expect(Dense.orthogonality(zero.vectors, rows: 3, columns: 3) == 0)
    let empty = try SymmetricEigensolver.decompose([], order: 0)
    #expect(empty.values.isEmpty && empty.vectors.isEmpty)
    let one = try SymmetricEigensolver.decompose([-3], order: 1)
    #expect(one.values == [-3] && one.vectors == [1])
    let two = try SymmetricEigensolver.decompose([2, 1, 1, 2], order: 2)
    #expect(abs(two.values[0] - 3) <= 1e-15 && abs(two.values[1] - 1) <= 1e-15)
    #expect(Dense.residual([2, 1, 1, 2], two) <= 1e-15)
  }

  @Test func symmetrisesNonSymmetricInput() throws {
    let n = 12
    var rng = SeededGenerator(seed: 5)
    let b = (0..<(n * n)).map { _ in rng.nextGaussian() }
    var s = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { s[i * n + j] = 0.5 * (b[i * n + j] + b[j * n + i]) } }
    let e = try SymmetricEigensolver.decompose(b, order: n)
    let reference = try SymmetricEigensolver.decompose(s, order: n)
    for i in 0..<n { #expect(abs(e.values[i] - reference.values[i]) <= 1e-14 * Dense.norm(s)) }
    #expect(Dense.residual(s, e) <= 1e-13 * Dense.norm(s))
  }

  @Test func extremeScales() throws {
    let n = 20
    let base = Dense.randomSymmetric(n, seed: 9)
    let reference = try SymmetricEigensolver.decompose(base, order: n)
    for s in [1e-290, 1e290] {
      let e = try SymmetricEigensolver.decompose(base.map { $0 * s }, order: n)
      for i in 0..<n {
        #expect(abs(e.values[i] / s - reference.values[i]) <= 1e-13 * Dense.norm(base))
      }
    }
  }

  @Test func rejectsBadInput() {
    #expect(throws: CurvatureError.dimensionMismatch(name: "matrix", expected: 4, actual: 3)) {
      try SymmetricEigensolver.decompose([1, 2, 3], order: 2)
    }
    #expect(throws: CurvatureError.nonFinite(name: "matrix", index: 2)) {
      try SymmetricEigensolver.decompose([1, 2, .nan, 4], order: 2)
    }
    #expect(throws: CurvatureError.self) { try SymmetricEigensolver.decompose([1], order: -1) }
    #expect(throws: CurvatureError.self) {
      try SymmetricEigensolver.decompose([], order: Int.max / 2)
    }
  }
}
