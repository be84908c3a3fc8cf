/// Small dense row-major `Double` matrix helpers for Rayleigh–Ritz cores and projected
/// Hessians (sizes up to a few hundred), where clarity matters more than speed.
enum SmallMatrix {
  /// C = op(A) · op(B), row-major, where op(A) is m × t and op(B) is t × n.
  ///
  /// - Parameters:
  ///   - transposeA: `a` holds Aᵀ as a t × m row-major matrix.
  ///   - transposeB: `b` holds Bᵀ as an n × t row-major matrix.
  /// - Complexity: O(m n t).
  static func product(
    _ a: [Double], _ b: [Double], rows m: Int, inner t: Int, columns n: Int,
    transposeA: Bool = false, transposeB: Bool = false
  ) -> [Double] {
    precondition(a.count >= m * t && b.count >= t * n, "matrix too small for its shape")
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        for l in 0..<t {
          let x = transposeA ? a[l * m + i] : a[i * t + l]
          let y = transposeB ? b[j * t + l] : b[l * n + j]
          s += x * y
        }
        c[i * n + j] = s
      }
    }
    return c
  }

  /// Replaces the n × n matrix `a` by (A + Aᵀ) / 2. - Complexity: O(n²).
  static func symmetrize(_ a: inout [Double], order n: Int) {
    for i in 0..<n {
      for j in 0..<i {
        let s = 0.5 * (a[i * n + j] + a[j * n + i])
        a[i * n + j] = s
        a[j * n + i] = s
      }
    }
  }

  /// The pseudo-inverse Σ_{λ_t > cutoff} v_t v_tᵀ / λ_t of a symmetric matrix from its
  /// eigendecomposition (row-major n × n). - Complexity: O(n³).
  static func pseudoInverse(_ e: SymmetricEigendecomposition, cutoff: Double) -> [Double] {
    let n = e.values.count
    var inverse = [Double](repeating: 0, count: n * n)
    for t in 0..<n where e.values[t] > cutoff {
      let s = 1 / e.values[t]
      for i in 0..<n {
        for j in 0..<n { inverse[i * n + j] += s * e.vectors[t * n + i] * e.vectors[t * n + j] }
      }
    }
    return inverse
  }
}
