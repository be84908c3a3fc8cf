import Foundation
import Testing

@testable import Curvature

@Suite struct BlockOrthogonalizationTests {
  /// Orthonormalises a copy of `y`; returns the rank and the errors of the result.
  static func orthonormalize(_ y: [Float], rows p: Int, columns n: Int) -> (
    rank: Int, errors: (orthogonality: Double, reconstruction: Double)
  ) {
    var q = y
    var r = [Double](repeating: 0, count: n * n)
    let rank = q.withUnsafeMutableBufferPointer { qp in
      r.withUnsafeMutableBufferPointer {
        BlockOrthogonalization.orthonormalize(
          qp.baseAddress!, rows: p, columns: n, r: $0.baseAddress!)
      }
    }
    return (rank, errors(original: y, q: q, r: r, rows: p, columns: n, rank: rank))
  }

  /// Max |QᵀQ − I| and max |Y − Q R| / max |Y| in Double, for Q the first `rank` columns.
  static func errors(
    original y: [Float], q: [Float], r: [Double], rows p: Int, columns n: Int, rank: Int
  ) -> (orthogonality: Double, reconstruction: Double) {
    var orth = 0.0
    for a in 0..<rank {
      for b in 0...a {
        var s = 0.0
        for i in 0..<p { s += Double(q[a * p + i]) * Double(q[b * p + i]) }
        orth = max(orth, abs(s - (a == b ? 1 : 0)))
      }
    }
    var worst = 0.0
    var scale = 0.0
    for j in 0..<n {
      for i in 0..<p {
        var s = 0.0
        for t in 0..<rank { s += Double(q[t * p + i]) * r[t * n + j] }
        worst = max(worst, abs(s - Double(y[j * p + i])))
        scale = max(scale, abs(Double(y[j * p + i])))
      }
    }
    return (orth, worst / scale)
  }

  /// 150 columns (three panels) of length 3,000: Gaussian columns, exact duplicates, exact
  /// linear combinations of earlier columns (in other panels and the same panel), a nearly
  /// dependent column (1e-3 off a combination) and a zero column. Dependent columns are
  /// dropped, the rest orthonormal to round-off, and Y = Q R.
  @Test func mixedDependenciesAcrossPanels() {
    let p = 3000
    let n = 150
    var rng = SeededGenerator(seed: 5)
    var y = [Float](repeating: 0, count: p * n)
    func set(_ j: Int, _ v: [Float]) { y.replaceSubrange((j * p)..<((j + 1) * p), with: v) }
    func col(_ j: Int) -> [Float] { Array(y[(j * p)..<((j + 1) * p)]) }
    var dependent = 0
    for j in 0..<n {
      switch j {
      case 70:
        set(j, col(3))
        dependent += 1  // duplicate across panels
      case 100:
        set(j, zip(col(10), col(90)).map { 2 * $0 - 0.5 * $1 })
        dependent += 1
      case 101:
        set(j, zip(col(99), col(98)).map { $0 + $1 })
        dependent += 1  // same panel
      case 120:
        set(j, [Float](repeating: 0, count: p))
        dependent += 1
      case 130:
        let noise = rng.gaussianVector(count: p)
        set(j, (0..<p).map { col(5)[$0] + col(129)[$0] + 1e-3 * noise[$0] })
      default: set(j, rng.gaussianVector(count: p))
      }
    }
    let (rank, e) = Self.orthonormalize(y, rows: p, columns: n)
    #expect(rank == n - dependent)
    #expect(e.orthogonality < 1e-5)
    #expect(e.reconstruction < 1e-5)
  }

  /// Columns spanning a 40-dimensional space with singular values from 1 to 1e-4 (graded, as a
  /// sketch of a decaying spectrum): all 40 are kept, the other 60 columns (in the same span)
  /// dropped, orthogonality at round-off.
  @Test func gradedLowRankSpan() {
    let p = 2000
    let n = 100
    let rankTrue = 40
    var rng = SeededGenerator(seed: 8)
    let basis = (0..<rankTrue).map { i in
      rng.gaussianVector(count: p).map { $0 * Float(pow(1e-4, Double(i) / 39)) }
    }
    var y = [Float](repeating: 0, count: p * n)
    for j in 0..<n {
      let c = rng.gaussianVector(count: rankTrue)
      for t in 0..<rankTrue {
        for i in 0..<p { y[j * p + i] += c[t] * basis[t][i] }
      }
    }
    let (rank, e) = Self.orthonormalize(y, rows: p, columns: n)
    #expect(rank == rankTrue)
    #expect(e.orthogonality < 1e-5)
    #expect(e.reconstruction < 1e-5)
  }
}
