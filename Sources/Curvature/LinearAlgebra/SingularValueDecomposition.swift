/// The thin singular value decomposition A = U Σ Vᵀ of a small dense m×n matrix, in `Double`.
///
/// Computed by one-sided (Hestenes) Jacobi rotations, which orthogonalise the columns of A (or
/// of Aᵀ when m < n) until every pair is orthogonal to working precision. The method is
/// accurate to round-off relative to each singular value's own size for well-scaled columns,
/// which is what principal angles between subspaces need. Intended for matrices up to a few
/// hundred on a side (Rayleigh–Ritz blocks, UᵀV of two bases).
public struct SingularValueDecomposition: Sendable, Equatable {
  /// The number of rows m.
  public let rows: Int
  /// The number of columns n.
  public let columns: Int
  /// The r = min(m, n) singular values, descending and non-negative.
  public let singularValues: [Double]
  /// Left singular vectors: column-major m×r (`leftVectors[i*m ..< (i+1)*m]` is uᵢ).
  /// Orthonormal, also when A is rank-deficient.
  public let leftVectors: [Double]
  /// Right singular vectors: column-major n×r (`rightVectors[i*n ..< (i+1)*n]` is vᵢ).
  public let rightVectors: [Double]

  /// Decomposes the row-major m×n matrix `matrix` (element (i, j) at `matrix[i*columns + j]`).
  ///
  /// - Throws: `CurvatureError` if `rows` or `columns` is negative, the element count is not
  ///   `rows*columns`, or an element is NaN/Inf; `.diverged` if the rotations do not converge
  ///   within 60 sweeps (not observed in practice).
  /// - Complexity: O(m n min(m, n)) per sweep; typically 6–10 sweeps.
  public init(_ matrix: [Double], rows m: Int, columns n: Int) throws(CurvatureError) {
    if m < 0 { throw .outOfRange(name: "rows", value: Double(m), range: "[0, ∞)") }
    if n < 0 { throw .outOfRange(name: "columns", value: Double(n), range: "[0, ∞)") }
    let (size, overflow) = m.multipliedReportingOverflow(by: n)
    if overflow {
      throw .outOfRange(name: "rows", value: Double(m), range: "rows·columns must fit in Int")
    }
    try Validate.count("matrix", matrix.count, size)
    try Validate.finite("matrix", matrix)
    rows = m
    columns = n
    if m >= n {
      // Columns of A, column-major m×n.
      var w = [Double](repeating: 0, count: m * n)
      for i in 0..<m { for j in 0..<n { w[j * m + i] = matrix[i * n + j] } }
      let (s, u, v) = try Self.oneSidedJacobi(&w, rows: m, columns: n)
      singularValues = s
      leftVectors = u
      rightVectors = v
    } else {
      // Decompose Aᵀ = V Σ Uᵀ: the columns of Aᵀ are the rows of A, already contiguous.
      var w = matrix
      let (s, u, v) = try Self.oneSidedJacobi(&w, rows: n, columns: m)
      singularValues = s
      leftVectors = v
      rightVectors = u
    }
  }

  /// Left singular vector i as an array. - Complexity: O(m).
  public func leftVector(_ i: Int) -> [Double] {
    precondition(i >= 0 && i < singularValues.count)
    return Array(leftVectors[(i * rows)..<((i + 1) * rows)])
  }

  /// Right singular vector i as an array. - Complexity: O(n).
  public func rightVector(_ i: Int) -> [Double] {
    precondition(i >= 0 && i < singularValues.count)
    return Array(rightVectors[(i * columns)..<((i + 1) * columns)])
  }

  /// One-sided Jacobi on the column-major m×n (m ≥ n) matrix `w`. Returns descending singular
  /// values, U (m×n column-major, completed to orthonormal for zero singular values) and
  /// V (n×n column-major).
  static func oneSidedJacobi(_ w: inout [Double], rows m: Int, columns n: Int)
    throws(CurvatureError) -> ([Double], [Double], [Double])
  {
    if n == 0 { return ([], [], []) }
    // Scale by a power of two so squared norms neither overflow nor underflow.
    var largest = 0.0
    for x in w { largest = Swift.max(largest, abs(x)) }
    let scale = largest == 0 ? 1 : Double(sign: .plus, exponent: -largest.exponent, significand: 1)
    for i in 0..<w.count { w[i] *= scale }
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    let tolerance = 4 * Double.ulpOfOne
    var converged = false
    var norms = [Double](repeating: 0, count: n)
    w.withUnsafeMutableBufferPointer { wb in
      v.withUnsafeMutableBufferPointer { vb in
        let w = wb.baseAddress!
        let v = vb.baseAddress!
        for j in 0..<n {
          var s = 0.0
          for i in 0..<m { s += w[j * m + i] * w[j * m + i] }
          norms[j] = s
        }
        for _ in 0..<60 {
          var rotated = false
          for p in 0..<(n - 1) {
            for q in (p + 1)..<n {
              let wp = w + p * m
              let wq = w + q * m
              var gamma = 0.0
              for i in 0..<m { gamma += wp[i] * wq[i] }
              let alpha = norms[p]
              let beta = norms[q]
              if abs(gamma) <= tolerance * (alpha * beta).squareRoot() || gamma == 0 { continue }
              rotated = true
              let zeta = (beta - alpha) / (2 * gamma)
              let t = (zeta >= 0 ? 1 : -1) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
              let c = 1 / (1 + t * t).squareRoot()
              let s = c * t
              var a2 = 0.0
              var b2 = 0.0
              for i in 0..<m {
                let x = wp[i]
                let y = wq[i]
                let nx = c * x - s * y
                let ny = s * x + c * y
                wp[i] = nx
                wq[i] = ny
                a2 += nx * nx
                b2 += ny * ny
              }
              norms[p] = a2
              norms[q] = b2
              let vp = v + p * n
              let vq = v + q * n
              for i in 0..<n {
                let x = vp[i]
                let y = vq[i]
                vp[i] = c * x - s * y
                vq[i] = s * x + c * y
              }
            }
          }
          if !rotated {
            converged = true
            break
          }
        }
      }
    }
    if !converged {
      throw .diverged(reason: "one-sided Jacobi SVD did not converge in 60 sweeps")
    }
    // Singular values are the column norms; sort descending (ties keep index order).
    var sigma = [Double](repeating: 0, count: n)
    for j in 0..<n {
      var s = 0.0
      for i in 0..<m { s += w[j * m + i] * w[j * m + i] }
      sigma[j] = s.squareRoot()
    }
    let order = (0..<n).sorted { sigma[$0] > sigma[$1] || (sigma[$0] == sigma[$1] && $0 < $1) }
    var values = [Double](repeating: 0, count: n)
    var u = [Double](repeating: 0, count: m * n)
    var vs = [Double](repeating: 0, count: n * n)
    // Columns whose norm is negligible carry no direction: they are replaced below.
    let negligible = (sigma.max() ?? 0) * Double(Swift.max(m, n)) * Double.ulpOfOne
    var missing: [Int] = []
    for (dst, src) in order.enumerated() {
      values[dst] = sigma[src] / scale
      for i in 0..<n { vs[dst * n + i] = v[src * n + i] }
      if sigma[src] > negligible && sigma[src] > 0 {
        let inv = 1 / sigma[src]
        for i in 0..<m { u[dst * m + i] = w[src * m + i] * inv }
      } else {
        missing.append(dst)
      }
    }
    if !missing.isEmpty { completeOrthonormal(&u, rows: m, columns: n, missing: missing) }
    return (values, u, vs)
  }

  /// Fills the listed columns of the column-major m×n matrix `u` with unit vectors orthogonal
  /// to every other column: each time, the coordinate vector with the largest component outside
  /// the current columns, orthogonalised twice (Gram–Schmidt).
  private static func completeOrthonormal(
    _ u: inout [Double], rows m: Int, columns n: Int, missing: [Int]
  ) {
    var present = [Bool](repeating: true, count: n)
    for j in missing { present[j] = false }
    func orthogonalize(_ x: inout [Double]) {
      for _ in 0..<2 {
        for other in 0..<n where present[other] {
          var d = 0.0
          for i in 0..<m { d += u[other * m + i] * x[i] }
          for i in 0..<m { x[i] -= d * u[other * m + i] }
        }
      }
    }
    for j in missing {
      var best: [Double] = []
      var bestNorm = -1.0
      for candidate in 0..<m {
        var x = [Double](repeating: 0, count: m)
        x[candidate] = 1
        orthogonalize(&x)
        let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > bestNorm {
          bestNorm = norm
          best = x
        }
        if norm > 0.7 { break }
      }
      orthogonalize(&best)
      let norm = best.reduce(0) { $0 + $1 * $1 }.squareRoot()
      for i in 0..<m { u[j * m + i] = best[i] / norm }
      present[j] = true
    }
  }
}
