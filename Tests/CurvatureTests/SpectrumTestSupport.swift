import Foundation

@testable import Curvature

/// Test matrices with known spectra.
enum SpectrumTestSupport {
  /// Random unit vectors defining a product of Householder reflections Q = H₁H₂…H_r.
  static func reflections(_ n: Int, count r: Int, seed: UInt64) -> [[Double]] {
    var rng = SeededGenerator(seed: seed)
    return (0..<r).map { _ in
      let x = (0..<n).map { _ in rng.nextGaussian() }
      let nrm = (x.reduce(0) { $0 + $1 * $1 }).squareRoot()
      return x.map { $0 / nrm }
    }
  }

  /// Q diag(λ) Qᵀ as a row-major Float matrix, with Q (column-major: column i is the
  /// eigenvector of λᵢ) a product of four random Householder reflections. O(n²) to build.
  static func rotated(_ lambda: [Double], seed: UInt64) -> (matrix: [Float], q: [Double]) {
    let n = lambda.count
    var a = [Double](repeating: 0, count: n * n)
    var q = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      a[i * n + i] = lambda[i]
      q[i * n + i] = 1
    }
    for h in reflections(n, count: 4, seed: seed) {
      // A ← (I − 2hhᵀ) A (I − 2hhᵀ) = A − 2h aᵀ − 2a hᵀ + 4(hᵀAh) h hᵀ with a = A h.
      var ah = [Double](repeating: 0, count: n)
      for i in 0..<n {
        var sum = 0.0
        for j in 0..<n { sum += a[i * n + j] * h[j] }
        ah[i] = sum
      }
      var hah = 0.0
      for i in 0..<n { hah += h[i] * ah[i] }
      for i in 0..<n {
        for j in 0..<n {
          a[i * n + j] += -2 * h[i] * ah[j] - 2 * ah[i] * h[j] + 4 * hah * h[i] * h[j]
        }
      }
      // Columns of Q: q ← (I − 2hhᵀ) q.
      for c in 0..<n {
        var d = 0.0
        for l in 0..<n { d += h[l] * q[c * n + l] }
        for l in 0..<n { q[c * n + l] -= 2 * d * h[l] }
      }
    }
    return (a.map { Float($0) }, q)
  }

  /// A diagonal operator (O(P) products).
  static func diagonal(_ d: [Float]) -> ClosureOperator {
    ClosureOperator(dimension: d.count) { v, out in
      for i in 0..<d.count { out[i] = d[i] * v[i] }
    }
  }

  /// ‖UᵀV‖²_F / k for k-column bases (1 = same subspace).
  static func overlap(_ u: Basis, _ v: [[Double]]) -> Double {
    var s = 0.0
    for i in 0..<u.count {
      let col = u.column(i)
      for vec in v {
        var d = 0.0
        for l in 0..<col.count { d += Double(col[l]) * vec[l] }
        s += d * d
      }
    }
    return s / Double(v.count)
  }

  /// ‖H u − θ u‖ recomputed with a fresh product.
  static func trueResidual(_ op: some HessianOperator, _ u: [Float], _ theta: Double) throws
    -> Double
  {
    let hu = try op.apply(u)
    var s = 0.0
    for i in 0..<u.count {
      let d = Double(hu[i]) - theta * Double(u[i])
      s += d * d
    }
    return s.squareRoot()
  }
}
