/// Eigenvalues and eigenvectors of a dense real symmetric matrix, in `Double`.
public struct SymmetricEigendecomposition: Sendable, Equatable {
  /// The order n of the matrix.
  public let order: Int
  /// Eigenvalues, descending.
  public let values: [Double]
  /// Eigenvectors, column-major n×n: column i (`vectors[i*n ..< (i+1)*n]`) belongs to `values[i]`.
  public let vectors: [Double]

  /// Eigenvector i as an array. - Complexity: O(n).
  public func vector(_ i: Int) -> [Double] { Array(vectors[(i * order)..<((i + 1) * order)]) }
}

/// Dense symmetric eigensolvers used for Rayleigh–Ritz problems and tests.
public enum SymmetricEigensolver {
  /// Decomposes the symmetric n×n matrix `a` (row- or column-major: it is symmetric).
  ///
  /// Only the lower triangle is read after symmetrisation ½(A + Aᵀ).
  /// - Throws: `CurvatureError` if `a.count != n*n` or `a` holds NaN/Inf.
  /// - Complexity: O(n³).
  public static func decompose(_ a: [Double], order n: Int) throws(CurvatureError)
    -> SymmetricEigendecomposition
  {
    try Validate.count("matrix", a.count, n * n)
    try Validate.finite("matrix", a)
    return jacobi(a, order: n)
  }

  /// Cyclic Jacobi with threshold, accurate to round-off for every eigenvalue.
  static func jacobi(_ input: [Double], order n: Int) -> SymmetricEigendecomposition {
    if n == 0 { return SymmetricEigendecomposition(order: 0, values: [], vectors: []) }
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { a[i * n + j] = 0.5 * (input[i * n + j] + input[j * n + i]) } }
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    for _ in 0..<100 {
      var off = 0.0
      var diag = 0.0
      for i in 0..<n {
        diag += a[i * n + i] * a[i * n + i]
        for j in (i + 1)..<max(n, i + 1) where j < n { off += a[i * n + j] * a[i * n + j] }
      }
      if off <= 1e-30 * max(diag, 1e-300) { break }
      for p in 0..<(n - 1) {
        for q in (p + 1)..<n {
          let apq = a[p * n + q]
          if abs(apq) < 1e-300 { continue }
          let app = a[p * n + p]
          let aqq = a[q * n + q]
          let theta = (aqq - app) / (2 * apq)
          let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot()
          let s = t * c
          for k in 0..<n {
            let akp = a[k * n + p]
            let akq = a[k * n + q]
            a[k * n + p] = c * akp - s * akq
            a[k * n + q] = s * akp + c * akq
          }
          for k in 0..<n {
            let apk = a[p * n + k]
            let aqk = a[q * n + k]
            a[p * n + k] = c * apk - s * aqk
            a[q * n + k] = s * apk + c * aqk
          }
          // v holds eigenvectors as columns in row-major layout v[k*n + col]
          for k in 0..<n {
            let vkp = v[k * n + p]
            let vkq = v[k * n + q]
            v[k * n + p] = c * vkp - s * vkq
            v[k * n + q] = s * vkp + c * vkq
          }
        }
      }
    }
    let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
    var values = [Double](repeating: 0, count: n)
    var vectors = [Double](repeating: 0, count: n * n)
    for (dst, src) in order.enumerated() {
      values[dst] = a[src * n + src]
      for k in 0..<n { vectors[dst * n + k] = v[k * n + src] }
    }
    return SymmetricEigendecomposition(order: n, values: values, vectors: vectors)
  }
}
