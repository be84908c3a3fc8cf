/// Single-precision general matrix multiply on row-major matrices.
public enum Gemm {
  /// C ← α · op(A) · op(B) + β · C, all matrices row-major.
  ///
  /// op(A) is m×k (A is m×k, or k×m when `transposeA`), op(B) is k×n (B is k×n, or n×k when
  /// `transposeB`), C is m×n. `lda`, `ldb`, `ldc` are row strides (elements). When β = 0, C is
  /// not read (NaN in C does not propagate).
  /// - Complexity: O(m n k).
  public static func multiply(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    precondition(m >= 0 && n >= 0 && k >= 0, "Gemm.multiply: negative size")
    precondition(
      lda >= (transposeA ? m : k) && ldb >= (transposeB ? k : n) && ldc >= n,
      "Gemm.multiply: leading dimension too small")
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
      scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
      return
    }
    SwiftGemm.multiply(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
  }

  /// C ← β C (C is overwritten with zeros, not read, when β = 0).
  static func scaleC(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
      let row = c + i * ldc
      if beta == 0 {
        row.update(repeating: 0, count: n)
      } else if beta != 1 {
        for j in 0..<n { row[j] *= beta }
      }
    }
  }
}

/// Portable register-blocked multiply in Swift SIMD (4 rows × 16 columns per tile).
enum SwiftGemm {
  static func multiply(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    // Pack op(B) into a contiguous k×n row-major panel, op(A) into an m×k row-major panel
    // transposed to k×m (column access per p is then contiguous).
    let bp = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
    defer { bp.deallocate() }
    for p in 0..<k {
      for j in 0..<n { bp[p * n + j] = transposeB ? b[j * ldb + p] : b[p * ldb + j] }
    }
    let at = UnsafeMutablePointer<Float>.allocate(capacity: k * m)
    defer { at.deallocate() }
    for p in 0..<k {
      for i in 0..<m { at[p * m + i] = alpha * (transposeA ? a[p * lda + i] : a[i * lda + p]) }
    }
    var i = 0
    while i < m {
      let rows = Swift.min(4, m - i)
      var j = 0
      while j < n {
        let cols = Swift.min(16, n - j)
        var acc = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        if cols == 16 {
          for p in 0..<k {
            let bv = UnsafeRawPointer(bp + p * n + j).loadUnaligned(as: SIMD16<Float>.self)
            let ap = at + p * m + i
            acc.0 += ap[0] * bv
            if rows > 1 { acc.1 += ap[1] * bv }
            if rows > 2 { acc.2 += ap[2] * bv }
            if rows > 3 { acc.3 += ap[3] * bv }
          }
        } else {
          for p in 0..<k {
            var bv = SIMD16<Float>()
            for l in 0..<cols { bv[l] = bp[p * n + j + l] }
            let ap = at + p * m + i
            acc.0 += ap[0] * bv
            if rows > 1 { acc.1 += ap[1] * bv }
            if rows > 2 { acc.2 += ap[2] * bv }
            if rows > 3 { acc.3 += ap[3] * bv }
          }
        }
        for r in 0..<rows {
          let v: SIMD16<Float>
          switch r {
          case 0: v = acc.0
          case 1: v = acc.1
          case 2: v = acc.2
          default: v = acc.3
          }
          let row = c + (i + r) * ldc + j
          for l in 0..<cols {
            row[l] = beta == 0 ? v[l] : v[l] + beta * row[l]
          }
        }
        j += 16
      }
      i += 4
    }
  }
}
