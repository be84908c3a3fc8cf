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
    for i in 0..<m {
      for j in 0..<n {
        var s: Float = 0
        for p in 0..<k {
          let av = transposeA ? a[p * lda + i] : a[i * lda + p]
          let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
          s += av * bv
        }
        c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j])
      }
    }
  }
}
