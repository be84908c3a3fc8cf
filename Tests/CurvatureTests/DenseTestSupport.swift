import Foundation

@testable import Curvature

/// Small dense routines for the linear-algebra tests (independent of the code under test).
enum Dense {
  /// A random symmetric n×n matrix with N(0, 1) entries (row-major).
  static func randomSymmetric(_ n: Int, seed: UInt64) -> [Double] {
    var rng = SeededGenerator(seed: seed)
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0...i {
        let x = rng.nextGaussian()
        a[i * n + j] = x
        a[j * n + i] = x
      }
    }
    return a
  }

  /// A random orthogonal n×n matrix (columns from modified Gram–Schmidt applied twice), column-major.
  static func randomOrthogonal(_ n: Int, seed: UInt64) -> [Double] {
    var rng = SeededGenerator(seed: seed)
    var q = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
      var v = (0..<n).map { _ in rng.nextGaussian() }
      for _ in 0..<2 {
        for i in 0..<j {
          var d = 0.0
          for k in 0..<n { d += q[i * n + k] * v[k] }
          for k in 0..<n { v[k] -= d * q[i * n + k] }
        }
      }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      for k in 0..<n { q[j * n + k] = v[k] / norm }
    }
    return q
  }

  /// Q diag(λ) Qᵀ for a column-major orthogonal Q (row-major result; it is symmetric).
  static func withSpectrum(_ values: [Double], seed: UInt64) -> [Double] {
    let n = values.count
    let q = randomOrthogonal(n, seed: seed)
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0...i {
        var s = 0.0
        for l in 0..<n { s += q[l * n + i] * values[l] * q[l * n + j] }
        a[i * n + j] = s
        a[j * n + i] = s
      }
    }
    return a
  }

  /// max_i ‖A vᵢ − λᵢ vᵢ‖ for a row-major A and column-major eigenvectors.
  static func residual(_ a: [Double], _ e: SymmetricEigendecomposition) -> Double {
    let n = e.order
    var worst = 0.0
    a.withUnsafeBufferPointer { a in
      e.vectors.withUnsafeBufferPointer { v in
        for i in 0..<n {
          var r2 = 0.0
          for row in 0..<n {
            var s = 0.0
            for k in 0..<n { s += a[row * n + k] * v[i * n + k] }
            let r = s - e.values[i] * v[i * n + row]
            r2 += r * r
          }
          worst = max(worst, r2.squareRoot())
        }
      }
    }
    return worst
  }

  /// max_i ‖T vᵢ − λᵢ vᵢ‖ for a symmetric tridiagonal T (O(n²)).
  static func tridiagonalResidual(_ d: [Double], _ off: [Double], _ e: SymmetricEigendecomposition)
    -> Double
  {
    let n = e.order
    var worst = 0.0
    for i in 0..<n {
      let v = e.vector(i)
      var r2 = 0.0
      for row in 0..<n {
        var s = d[row] * v[row]
        if row > 0 { s += off[row - 1] * v[row - 1] }
        if row + 1 < n { s += off[row] * v[row + 1] }
        let r = s - e.values[i] * v[row]
        r2 += r * r
      }
      worst = max(worst, r2.squareRoot())
    }
    return worst
  }

  /// max |VᵀV − I| for column-major V with n rows and c columns.
  static func orthogonality(_ v: [Double], rows n: Int, columns c: Int) -> Double {
    var worst = 0.0
    v.withUnsafeBufferPointer { v in
      for i in 0..<c {
        for j in 0...i {
          var s = 0.0
          for k in 0..<n { s += v[i * n + k] * v[j * n + k] }
          worst = max(worst, abs(s - (i == j ? 1 : 0)))
        }
      }
    }
    return worst
  }

  /// The dense row-major form of a symmetric tridiagonal matrix.
  static func tridiagonal(_ d: [Double], _ e: [Double]) -> [Double] {
    let n = d.count
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n { a[i * n + i] = d[i] }
    for i in 0..<e.count {
      a[i * n + i + 1] = e[i]
      a[(i + 1) * n + i] = e[i]
    }
    return a
  }

  /// The Frobenius norm.
  static func norm(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 }.squareRoot() }

  /// Eigenvalues of the 1-D Laplacian tridiag(−1, 2, −1) of order n, descending.
  static func laplacianEigenvalues(_ n: Int) -> [Double] {
    (1...n).reversed().map { 2 - 2 * cos(Double($0) * Double.pi / Double(n + 1)) }
  }
}
