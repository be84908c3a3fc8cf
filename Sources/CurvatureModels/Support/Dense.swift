import Curvature

/// Row-major dense helpers shared by the models: GEMM shorthand, bias and column sums.
enum Dense {
  /// C ← op(A) op(B) + β C (row-major), forwarding to ``Gemm``; `triangle` promises that op(A)
  /// is lower or upper triangular (small products then skip the zeros).
  @inline(__always)
  static func gemm(
    _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    triangle: Gemm.Triangle = .none
  ) {
    if m == 0 || n == 0 { return }
    if k == 0 {
      if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
      return
    }
    Gemm.multiplySum(
      transposeA: transA, transposeB: transB, m: m, n: n, k1: k, a1: a, lda1: lda, b1: b,
      ldb1: ldb, k2: 0, a2: a, lda2: lda, b2: b, ldb2: ldb, beta: beta, c: c, ldc: ldc,
      threads: Parallel.insideWorker ? 1 : nil, triangle: triangle)
  }

  /// C ← op(A₁) op(B₁) + op(A₂) op(B₂) + β C (row-major) as one product over the concatenated
  /// inner dimension k₁ + k₂ (one pass over C), e.g. the tangent pair ẋ Wᵀ + x Ẇᵀ.
  @inline(__always)
  static func gemm2(
    _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int,
    _ k1: Int, _ a1: UnsafePointer<Float>, _ lda1: Int, _ b1: UnsafePointer<Float>, _ ldb1: Int,
    _ k2: Int, _ a2: UnsafePointer<Float>, _ lda2: Int, _ b2: UnsafePointer<Float>, _ ldb2: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    triangle: Gemm.Triangle = .none
  ) {
    if m == 0 || n == 0 { return }
    Gemm.multiplySum(
      transposeA: transA, transposeB: transB, m: m, n: n, k1: k1, a1: a1, lda1: lda1, b1: b1,
      ldb1: ldb1, k2: k2, a2: a2, lda2: lda2, b2: b2, ldb2: ldb2, beta: beta, c: c, ldc: ldc,
      threads: Parallel.insideWorker ? 1 : nil, triangle: triangle)
  }

  /// dst[c] ← Σ_r src[r, c] (rows summed in order, so the result is deterministic).
  /// - Complexity: O(rows · cols).
  static func columnSums(
    _ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    dst.update(repeating: 0, count: cols)
    var c = 0
    while c < cols {
      let w = min(16, cols - c)
      var acc = SIMD16<Float>()
      for r in 0..<rows { acc += VectorMath.load(src + r * cols + c, w) }
      VectorMath.store(acc, dst + c, w)
      c += 16
    }
  }

  /// y[r, c] += bias[c] for every row. - Complexity: O(rows · cols).
  static func addBias(
    _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>
  ) {
    for r in 0..<rows {
      let row = y + r * cols
      var c = 0
      while c + 16 <= cols {
        let v = VectorMath.load(row + c, 16) + VectorMath.load(bias + c, 16)
        VectorMath.store(v, row + c, 16)
        c += 16
      }
      while c < cols {
        row[c] += bias[c]
        c += 1
      }
    }
  }

  /// y ← a ⊙ x elementwise over n values. - Complexity: O(n).
  static func multiply(
    _ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    count n: Int
  ) {
    var i = 0
    while i + 16 <= n {
      VectorMath.store(VectorMath.load(a + i, 16) * VectorMath.load(x + i, 16), y + i, 16)
      i += 16
    }
    while i < n {
      y[i] = a[i] * x[i]
      i += 1
    }
  }

  /// y ← y ⊙ a + b ⊙ x elementwise over n values. - Complexity: O(n).
  static func multiplyAdd(
    _ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ x: UnsafePointer<Float>, count n: Int
  ) {
    var i = 0
    while i + 16 <= n {
      let v =
        VectorMath.load(y + i, 16) * VectorMath.load(a + i, 16) + VectorMath.load(b + i, 16)
        * VectorMath.load(x + i, 16)
      VectorMath.store(v, y + i, 16)
      i += 16
    }
    while i < n {
      y[i] = y[i] * a[i] + b[i] * x[i]
      i += 1
    }
  }

  /// y += x over n values. - Complexity: O(n).
  static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
    var i = 0
    while i + 16 <= n {
      VectorMath.store(VectorMath.load(y + i, 16) + VectorMath.load(x + i, 16), y + i, 16)
      i += 16
    }
    while i < n {
      y[i] += x[i]
      i += 1
    }
  }

  /// y += a ⊙ b ⊙ c over n values. - Complexity: O(n).
  static func addProduct(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>, count n: Int
  ) {
    var i = 0
    while i + 16 <= n {
      let v =
        VectorMath.load(y + i, 16) + VectorMath.load(a + i, 16) * VectorMath.load(b + i, 16)
        * VectorMath.load(c + i, 16)
      VectorMath.store(v, y + i, 16)
      i += 16
    }
    while i < n {
      y[i] += a[i] * b[i] * c[i]
      i += 1
    }
  }

  /// y[r, c] += bias[c], then z ← a ⊙ y, in one pass (rows × cols, contiguous).
  /// - Complexity: O(rows · cols).
  static func addBiasAndMultiply(
    _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>,
    _ a: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows {
      let o = r * cols
      var c = 0
      while c < cols {
        let w = min(16, cols - c)
        let v = VectorMath.load(y + o + c, w) + VectorMath.load(bias + c, w)
        VectorMath.store(v, y + o + c, w)
        VectorMath.store(VectorMath.load(a + o + c, w) * v, z + o + c, w)
        c += 16
      }
    }
  }

  /// y ← a ⊙ x + b ⊙ u ⊙ t over n values, in one pass. - Complexity: O(n).
  static func multiplyAddProduct(
    _ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ u: UnsafePointer<Float>, _ t: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    count n: Int
  ) {
    var i = 0
    while i < n {
      let w = min(16, n - i)
      let v =
        VectorMath.load(a + i, w) * VectorMath.load(x + i, w) + VectorMath.load(b + i, w)
        * VectorMath.load(u + i, w) * VectorMath.load(t + i, w)
      VectorMath.store(v, y + i, w)
      i += 16
    }
  }
}
