import Foundation
import Testing

@testable import Curvature

@Suite struct BasisConstructionTests {
  static func check(_ b: Basis) {
    #expect(b.storage.allSatisfy { $0.isFinite })
    #expect(b.orthogonalityError <= 1e-5)
  }

  @Test func rankDeficientColumnsAreDropped() throws {
    var rng = SeededGenerator(seed: 40)
    let p = 200
    let g = (0..<4).map { _ in rng.gaussianVector(count: p) }
    // Ten columns spanning a 4-dimensional space (random combinations), plus zero columns.
    var cols: [[Float]] = []
    for t in 0..<10 {
      if t % 3 == 0 { cols.append([Float](repeating: 0, count: p)) }
      let c = (0..<4).map { _ in Float(rng.nextGaussian()) }
      cols.append(
        (0..<p).map { i in c[0] * g[0][i] + c[1] * g[1][i] + c[2] * g[2][i] + c[3] * g[3][i] })
    }
    let b = try Basis(orthonormalizing: cols, dimension: p)
    #expect(b.count == 4)
    Self.check(b)
    // The span is the generators' span: each generator is reproduced by its projection.
    for x in g {
      let r = b.projectBulk(x)
      #expect(Kernels.norm(r) <= 1e-4 * Kernels.norm(x))
    }
  }

  @Test func nearlyDependentColumnsStayOrthonormal() throws {
    var rng = SeededGenerator(seed: 41)
    let p = 500
    let a = rng.gaussianVector(count: p)
    var cols = [a]
    // Perturbations of a of relative size 1e-2 … 1e-7: kept while above the drop tolerance.
    for e in [1e-2, 1e-3, 1e-4, 3e-5, 1e-6, 1e-7] {
      let d = rng.gaussianVector(count: p)
      cols.append(zip(a, d).map { $0 + Float(e) * $1 })
    }
    let b = try Basis(orthonormalizing: cols, dimension: p)
    Self.check(b)
    #expect(b.count >= 4 && b.count <= 5)
    // More columns than the dimension: exactly P survive.
    let wide = try Basis(
      orthonormalizing: (0..<12).map { _ in rng.gaussianVector(count: 8) }, dimension: 8)
    #expect(wide.count == 8)
    Self.check(wide)
  }

  @Test func hilbertLikeColumnsAndExtremeMagnitudes() throws {
    // Columns xʲ sampled on [0, 1]: notoriously ill-conditioned (monomial basis).
    let p = 64
    let cols = (0..<12).map { j in
      (0..<p).map { i in Float(pow(Double(i) / Double(p - 1), Double(j))) }
    }
    let b = try Basis(orthonormalizing: cols, dimension: p)
    Self.check(b)
    #expect(b.count >= 5)
    // Entries near Float's range limits neither overflow nor underflow.
    let big = try Basis(orthonormalizing: [[3e38, 1e38, 0], [1e38, -3e38, 2e38]], dimension: 3)
    #expect(big.count == 2)
    Self.check(big)
    // Subnormal entries, written by bit pattern (≈ 1e-44, 3e-45 and 2e-40).
    let (a, b3, c) = (Float(bitPattern: 7), Float(bitPattern: 2), Float(bitPattern: 142_724))
    let tiny = try Basis(orthonormalizing: [[a, 0, b3], [0, c, 0]], dimension: 3)
    #expect(tiny.count == 2)
    Self.check(tiny)
  }

  @Test func appendRejectsWithoutChangingTheBasis() throws {
    var b = try Basis(orthonormalizing: [[1, 0, 0]], dimension: 3)
    let before = b
    for bad: [Float] in [[2, 0, 0], [0, 0], [0, .nan, 1], [0, .infinity, 1], [0, 0, 0]] {
      let accepted = b.append(orthogonalizing: bad)
      #expect(!accepted)
    }
    #expect(b == before)
    let accepted = b.append(orthogonalizing: [1, 1, 0])
    #expect(accepted)
    #expect(b.count == 2)
    Self.check(b)
  }

  @Test func rejectsBadArguments() {
    #expect(throws: CurvatureError.self) { try Basis(orthonormalizing: [], dimension: 0) }
    #expect(throws: CurvatureError.self) {
      try Basis(orthonormalizing: [[1, 0]], dimension: 2, dropTolerance: -1)
    }
    #expect(throws: CurvatureError.dimensionMismatch(name: "columns[1]", expected: 2, actual: 3)) {
      try Basis(orthonormalizing: [[1, 0], [1, 2, 3]], dimension: 2)
    }
  }
}
