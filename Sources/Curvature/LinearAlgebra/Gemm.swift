import CCurvatureKernels

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
    #if arch(x86_64)
      CGemm.multiply(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
        a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    #else
      SwiftGemm.multiply(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
        a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    #endif
  }

  /// C ← op(A₁) op(B₁) + op(A₂) op(B₂) + β C (row-major, α = 1): one product whose inner
  /// dimension is k₁ followed by k₂, so a pair of products such as W ẋ + Ẇ x costs one pass over
  /// C, with no copy of the operands. Both products use the same transposition flags; the
  /// leading dimensions are as in ``multiply(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
  /// At most `threads` threads (all cores when nil); code that already runs one piece of work
  /// per core passes 1. With k₂ = 0 it is exactly `multiply` with α = 1. `triangle` promises
  /// that op(A₁) and op(A₂) are lower (op(A)[i, p] = 0 for p > i) or upper (= 0 for p < i)
  /// triangular, so small products may skip the zeros (the result is the same).
  /// - Complexity: O(m n (k₁ + k₂)).
  package static func multiplySum(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int,
    k1: Int, a1: UnsafePointer<Float>, lda1: Int, b1: UnsafePointer<Float>, ldb1: Int,
    k2: Int, a2: UnsafePointer<Float>, lda2: Int, b2: UnsafePointer<Float>, ldb2: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int? = nil,
    triangle: Triangle = .none
  ) {
    precondition(m >= 0 && n >= 0 && k1 >= 0 && k2 >= 0, "Gemm.multiplySum: negative size")
    precondition(
      lda1 >= (transposeA ? m : k1) && ldb1 >= (transposeB ? k1 : n)
        && lda2 >= (transposeA ? m : k2) && ldb2 >= (transposeB ? k2 : n) && ldc >= n,
      "Gemm.multiplySum: leading dimension too small")
    if m == 0 || n == 0 { return }
    if k1 == 0 {
      if k2 == 0 {
        scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
      } else {
        multiplySum(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k1: k2, a1: a2, lda1: lda2,
          b1: b2, ldb1: ldb2, k2: 0, a2: a2, lda2: lda2, b2: b2, ldb2: ldb2, beta: beta, c: c,
          ldc: ldc, threads: threads, triangle: triangle)
      }
      return
    }
    #if arch(x86_64)
      CGemm.multiplySum(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k1: k1, a1: a1, lda1: lda1,
        b1: b1, ldb1: ldb1, k2: k2, a2: a2, lda2: lda2, b2: b2, ldb2: ldb2, beta: beta, c: c,
        ldc: ldc, threads: threads ?? Parallel.processorCount, triangle: triangle)
    #else
      SwiftGemm.multiply(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k1, alpha: 1,
        a: a1, lda: lda1, b: b1, ldb: ldb1, beta: beta, c: c, ldc: ldc)
      if k2 > 0 {
        SwiftGemm.multiply(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k2, alpha: 1,
          a: a2, lda: lda2, b: b2, ldb: ldb2, beta: 1, c: c, ldc: ldc)
      }
    #endif
  }

  /// A structural promise about the left factors of ``multiplySum``.
  package enum Triangle: Int32 {
    /// No promise.
    case none = 0
    /// op(A)[i, p] = 0 for p > i.
    case lower = 1
    /// op(A)[i, p] = 0 for p < i.
    case upper = 2
  }

  /// The micro-kernel path `multiply` uses on this machine: `"avx512"`, `"avx2+fma"`,
  /// `"baseline"` (x86-64 C kernels chosen at run time) or `"swift-simd"` (other architectures).
  /// - Complexity: O(1).
  public static var path: String {
    #if arch(x86_64)
      switch CGemm.isa {
      case CURVATURE_ISA_AVX512: return "avx512"
      case CURVATURE_ISA_AVX2_FMA: return "avx2+fma"
      default: return "baseline"
      }
    #else
      return "swift-simd"
    #endif
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

/// The packed, cache-blocked C kernels (one per instruction set, chosen at run time), with the
/// rows (or columns) of C split over the cores at multiples of the micro-tile so every element
/// is computed by the same arithmetic whatever the split.
enum CGemm {
  /// The instruction set detected once for this process.
  static let isa: curvature_isa = curvature_detect_isa()

  /// Below this many multiply–adds a second thread costs more than it saves.
  static let parallelThreshold = 1 << 21

  static func multiply(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    isa: curvature_isa = CGemm.isa, threads: Int = Parallel.processorCount,
    parallelThreshold: Int = CGemm.parallelThreshold
  ) {
    let tA: Int32 = transposeA ? 1 : 0
    let tB: Int32 = transposeB ? 1 : 0
    let mr = Int(curvature_sgemm_row_block(isa))
    let nr = 32
    // Up to 4 pieces per thread (at least 64 rows or columns each), handed out dynamically so
    // a preempted core does not hold the other up; every split gives the same bits.
    let splitRows = m >= n || n < 2 * nr
    var parts = threads <= 1 || m * n * k < parallelThreshold ? 1 : 4 * threads
    parts = Swift.min(parts, splitRows ? (m + 63) / 64 : (n + 63) / 64)
    if parts <= 1 {
      curvature_sgemm(isa, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
      return
    }
    Parallel.forEach(parts) { part in
      if splitRows {
        let r = Parallel.range(part, of: parts, count: m, align: mr)
        if r.isEmpty { return }
        let ap = transposeA ? a + r.lowerBound : a + r.lowerBound * lda
        curvature_sgemm(
          isa, tA, tB, r.count, n, k, alpha, ap, lda, b, ldb, beta, c + r.lowerBound * ldc, ldc)
      } else {
        let r = Parallel.range(part, of: parts, count: n, align: nr)
        if r.isEmpty { return }
        let bp = transposeB ? b + r.lowerBound * ldb : b + r.lowerBound
        curvature_sgemm(
          isa, tA, tB, m, r.count, k, alpha, a, lda, bp, ldb, beta, c + r.lowerBound, ldc)
      }
    }
  }

  /// `Gemm.multiplySum` on the C kernels, split over the cores like `multiply`.
  static func multiplySum(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int,
    k1: Int, a1: UnsafePointer<Float>, lda1: Int, b1: UnsafePointer<Float>, ldb1: Int,
    k2: Int, a2: UnsafePointer<Float>, lda2: Int, b2: UnsafePointer<Float>, ldb2: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int,
    triangle: Gemm.Triangle
  ) {
    let tA: Int32 = transposeA ? 1 : 0
    let tB: Int32 = transposeB ? 1 : 0
    let mr = Int(curvature_sgemm_row_block(isa))
    let nr = 32
    let splitRows = m >= n || n < 2 * nr
    var parts = threads <= 1 || m * n * (k1 + k2) < parallelThreshold ? 1 : 4 * threads
    parts = Swift.min(parts, splitRows ? (m + 63) / 64 : (n + 63) / 64)
    if parts <= 1 {
      curvature_sgemm2(
        isa, tA, tB, m, n, k1, 1, a1, lda1, b1, ldb1, k2, a2, lda2, b2, ldb2, beta, c, ldc,
        triangle.rawValue)
      return
    }
    Parallel.forEach(parts) { part in
      if splitRows {
        let r = Parallel.range(part, of: parts, count: m, align: mr)
        if r.isEmpty { return }
        let (o1, o2) =
          transposeA ? (r.lowerBound, r.lowerBound) : (r.lowerBound * lda1, r.lowerBound * lda2)
        curvature_sgemm2(
          isa, tA, tB, r.count, n, k1, 1, a1 + o1, lda1, b1, ldb1, k2, a2 + o2, lda2, b2, ldb2,
          beta, c + r.lowerBound * ldc, ldc, 0)
      } else {
        let r = Parallel.range(part, of: parts, count: n, align: nr)
        if r.isEmpty { return }
        let (o1, o2) =
          transposeB ? (r.lowerBound * ldb1, r.lowerBound * ldb2) : (r.lowerBound, r.lowerBound)
        curvature_sgemm2(
          isa, tA, tB, m, r.count, k1, 1, a1, lda1, b1 + o1, ldb1, k2, a2, lda2, b2 + o2, ldb2,
          beta, c + r.lowerBound, ldc, 0)
      }
    }
  }
}
