import Foundation
import Testing

@testable import Curvature

@Suite struct TridiagonalEigensolverTests {
  @Test func laplacianMatchesClosedForm() throws {
    let n = 60
    let e = try SymmetricTridiagonalEigensolver.decompose(
      diagonal: Array(repeating: 2, count: n), offDiagonal: Array(repeating: -1, count: n - 1))
    let expected = Dense.laplacianEigenvalues(n)
    for i in 0..<n { #expect(abs(e.values[i] - expected[i]) <= 1e-14 * 4) }
    // Eigenvector j (1-based, ascending eigenvalue) is √(2/(n+1)) sin(jkπ/(n+1)).
    for i in 0..<n {
      let j = Double(n - i)
      var dot = 0.0
      for k in 0..<n {
        let exact = (2 / Double(n + 1)).squareRoot() * sin(j * Double(k + 1) * .pi / Double(n + 1))
        dot += exact * e.vectors[i * n + k]
      }
      #expect(abs(abs(dot) - 1) <= 1e-12)
    }
  }

  @Test func randomTridiagonalResidualAndOrthogonality() throws {
    var rng = SeededGenerator(seed: 11)
    for n in [3, 17, 120] {
      let d = (0..<n).map { _ in rng.nextGaussian() }
      let off = (0..<(n - 1)).map { _ in rng.nextGaussian() }
      let e = try SymmetricTridiagonalEigensolver.decompose(diagonal: d, offDiagonal: off)
      let a = Dense.tridiagonal(d, off)
      let scale = Dense.norm(a)
      #expect(Dense.tridiagonalResidual(d, off, e) <= 1e-14 * scale * Double(n).squareRoot())
      #expect(Dense.orthogonality(e.vectors, rows: n, columns: n) <= 1e-14 * Double(n))
      // Descending; the trace is preserved.
      for i in 1..<n { #expect(e.values[i - 1] >= e.values[i]) }
      #expect(abs(e.values.reduce(0, +) - d.reduce(0, +)) <= 1e-13 * scale)
      // Eigenvalues alone are the same numbers (the rotations do not feed back).
      let valuesOnly = try SymmetricTridiagonalEigensolver.decompose(
        diagonal: d, offDiagonal: off, computeVectors: false)
      #expect(valuesOnly.values == e.values)
      #expect(valuesOnly.vectors.isEmpty)
      // The dense Jacobi reference agrees (small orders: it is slow in debug builds).
      if n <= 40 {
        let reference = SymmetricEigensolver.jacobi(a, order: n)
        for i in 0..<n { #expect(abs(reference.values[i] - e.values[i]) <= 1e-13 * scale) }
      }
    }
  }

  @Test func wilkinsonMatrixWithNearlyEqualPairs() throws {
    // W⁺₂₁: diagonal |10 − i|, off-diagonal 1; its top eigenvalues come in pairs equal to ~1e-14.
    let n = 21
    let d = (0..<n).map { Double(abs(10 - $0)) }
    let off = Array(repeating: 1.0, count: n - 1)
    let e = try SymmetricTridiagonalEigensolver.decompose(diagonal: d, offDiagonal: off)
    let a = Dense.tridiagonal(d, off)
    #expect(Dense.residual(a, e) <= 1e-13)
    #expect(Dense.orthogonality(e.vectors, rows: n, columns: n) <= 1e-13)
    #expect(abs(e.values[0] - 10.746194182903393) <= 1e-12)
    #expect(abs(e.values[0] - e.values[1]) <= 1e-12)
  }

  @Test func exactlyRepeatedAndDecoupledBlocks() throws {
    // Zero couplings: the eigenvalues are the diagonal itself, exactly.
    let d: [Double] = [3, 1, 3, -2, 3]
    let e = try SymmetricTridiagonalEigensolver.decompose(
      diagonal: d, offDiagonal: [0, 0, 0, 0])
    #expect(e.values == [3, 3, 3, 1, -2])
    #expect(Dense.orthogonality(e.vectors, rows: 5, columns: 5) == 0)
    // Two identical blocks joined by a zero coupling: every eigenvalue is double.
    let block = try SymmetricTridiagonalEigensolver.decompose(
      diagonal: [1, 2, 1, 2], offDiagonal: [0.5, 0, 0.5])
    let expected = [1.5 + 0.5.squareRoot(), 1.5 - 0.5.squareRoot()]
    for i in 0..<4 { #expect(abs(block.values[i] - expected[i / 2]) <= 1e-15) }
    #expect(Dense.orthogonality(block.vectors, rows: 4, columns: 4) <= 1e-15)
  }

  @Test func smallOrdersAndZero() throws {
    let empty = try SymmetricTridiagonalEigensolver.decompose(diagonal: [], offDiagonal: [])
    #expect(empty.order == 0 && empty.values.isEmpty)
    let one = try SymmetricTridiagonalEigensolver.decompose(diagonal: [-4.5], offDiagonal: [])
    #expect(one.values == [-4.5] && one.vectors == [1])
    let (p, q, r) = (1.25, -0.75, 3.0)
    let two = try SymmetricTridiagonalEigensolver.decompose(diagonal: [p, r], offDiagonal: [q])
    let mid = (p + r) / 2
    let rad = (((p - r) / 2) * ((p - r) / 2) + q * q).squareRoot()
    #expect(abs(two.values[0] - (mid + rad)) <= 1e-15 * 4)
    #expect(abs(two.values[1] - (mid - rad)) <= 1e-15 * 4)
    #expect(Dense.residual(Dense.tridiagonal([p, r], [q]), two) <= 1e-15 * 4)
    let zero = try SymmetricTridiagonalEigensolver.decompose(
      diagonal: [0, 0, 0], offDiagonal: [0, 0])
    #expect(zero.values == [0, 0, 0])
    #expect(zero.vectors == [1, 0, 0, 0, 1, 0, 0, 0, 1])
  }

  @Test func extremeScalesNeitherOverflowNorUnderflow() throws {
    let n = 30
    let base = Dense.laplacianEigenvalues(n)
    for s in [1e-300, 1e300] {
      let e = try SymmetricTridiagonalEigensolver.decompose(
        diagonal: Array(repeating: 2 * s, count: n), offDiagonal: Array(repeating: -s, count: n - 1)
      )
      for i in 0..<n { #expect(abs(e.values[i] / s - base[i]) <= 1e-13) }
      #expect(Dense.orthogonality(e.vectors, rows: n, columns: n) <= 1e-13)
    }
  }

  @Test func rejectsBadInput() {
    #expect(throws: CurvatureError.dimensionMismatch(name: "offDiagonal", expected: 2, actual: 3)) {
      try SymmetricTridiagonalEigensolver.decompose(diagonal: [1, 2, 3], offDiagonal: [1, 2, 3])
    }
    #expect(throws: CurvatureError.nonFinite(name: "offDiagonal", index: 1)) {
      try SymmetricTridiagonalEigensolver.decompose(diagonal: [1, 2, 3], offDiagonal: [1, .nan])
    }
    #expect(throws: CurvatureError.nonFinite(name: "diagonal", index: 0)) {
      try SymmetricTridiagonalEigensolver.decompose(diagonal: [.infinity], offDiagonal: [])
    }
  }
}
