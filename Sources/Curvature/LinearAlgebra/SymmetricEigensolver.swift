/// Eigenvalues and eigenvectors of a dense real symmetric matrix, in `Double`.
public struct SymmetricEigendecomposition: Sendable, Equatable {
  /// The order n of the matrix.
  public let order: Int
  /// Eigenvalues, descending.
  public let values: [Double]
  /// Eigenvectors, column-major n×n: column i (`vectors[i*n ..< (i+1)*n]`) belongs to `values[i]`.
  /// Empty when only eigenvalues were requested.
  public let vectors: [Double]

  /// Creates a decomposition from its parts (no checks). - Complexity: O(1).
  public init(order: Int, values: [Double], vectors: [Double]) {
    self.order = order
    self.values = values
    self.vectors = vectors
  }

  /// Eigenvector i as an array (requires that vectors were computed). - Complexity: O(n).
  public func vector(_ i: Int) -> [Double] {
    precondition(i >= 0 && i < order && vectors.count == order * order, "vector: no such column")
    return Array(vectors[(i * order)..<((i + 1) * order)])
  }
}

/// Dense symmetric eigensolvers used for Rayleigh–Ritz problems and tests.
public enum SymmetricEigensolver {
  /// Decomposes the symmetric n×n matrix `a` (row- or column-major: it is symmetric).
  ///
  /// The matrix is symmetrised as ½(A + Aᵀ), reduced to tridiagonal form T = QᵀAQ by Householder
  /// reflections, and T is diagonalised by the implicit QL iteration with Wilkinson shifts
  /// (``SymmetricTridiagonalEigensolver``), rotating Q into the eigenvectors. Eigenvalues are
  /// accurate to a small multiple of ε‖A‖, eigenvectors orthonormal to round-off.
  /// - Returns: eigenvalues in descending order with column-major eigenvectors.
  /// - Throws: `CurvatureError` if `n < 0`, `a.count != n*n` or `a` holds NaN/Inf.
  /// - Complexity: O(n³): about 4n³/3 flops to reduce, 4n³/3 to form Q and 6n³ for the
  ///   rotations (the large loops use both cores). A 2000×2000 matrix took 20 s in a release
  ///   build on two heavily shared cores, 1.8× NumPy's `eigh` in the same run (see
  ///   Benchmarks/README.md, `swift run -c release Figures dense`).
  public static func decompose(_ a: [Double], order n: Int) throws(CurvatureError)
    -> SymmetricEigendecomposition
  {
    if n < 0 { throw .outOfRange(name: "order", value: Double(n), range: "[0, ∞)") }
    let (square, overflow) = n.multipliedReportingOverflow(by: n)
    if overflow { throw .outOfRange(name: "order", value: Double(n), range: "n² must fit in Int") }
    try Validate.count("matrix", a.count, square)
    try Validate.finite("matrix", a)
    return try householderQL(a, order: n)
  }

  /// Householder tridiagonalisation followed by implicit QL with eigenvectors.
  static func householderQL(_ input: [Double], order n: Int) throws(CurvatureError)
    -> SymmetricEigendecomposition
  {
    if n == 0 { return SymmetricEigendecomposition(order: 0, values: [], vectors: []) }
    var (a, d, e, tau, scale) = scaledTridiagonal(input, order: n)
    var q = formQ(a, order: n, tau: tau)
    try SymmetricTridiagonalEigensolver.implicitQL(
      diagonal: &d, offDiagonal: &e, vectors: &q, rows: n)
    let unscale = 1 / scale
    for i in 0..<n { d[i] *= unscale }
    return SymmetricTridiagonalEigensolver.sortedDescending(values: d, vectors: q, rows: n)
  }

  /// The eigenvalues of the symmetric n×n `input` and the products R Y of the s rows of R
  /// (row-major s × n) with the eigenvectors Y, without forming Y: the Householder reflectors
  /// and the QL rotations are applied to the rows of R alone. A Krylov solver's residual
  /// estimates ‖C y‖ need only these. Same reduction and iteration as
  /// ``decompose(_:order:)`` (no input checks).
  /// - Returns: eigenvalues in descending order; `vectors` holds R Y column-major (s × n, column
  ///   i belongs to value i).
  /// - Complexity: about 4n³/3 flops to reduce, then O(s n²).
  static func eigenvalues(_ input: [Double], order n: Int, rows r: [Double], count s: Int)
    throws(CurvatureError) -> SymmetricEigendecomposition
  {
    if n == 0 { return SymmetricEigendecomposition(order: 0, values: [], vectors: []) }
    var (a, d, e, tau, scale) = scaledTridiagonal(input, order: n)
    // R Q stored column-major s × n, with Q = H₀H₁⋯ applied to each row of R in turn.
    var rq = [Double](repeating: 0, count: s * n)
    var row = [Double](repeating: 0, count: n)
    for i in 0..<s {
      for j in 0..<n { row[j] = r[i * n + j] }
      if n >= 3 {
        for k in 0..<(n - 2) where tau[k] != 0 {
          let v = k * n + k + 1  // v₀ = 1 at row k + 1, vⱼ = a[v + j] for j ≥ 1
          var dot = row[k + 1]
          for j in 1..<(n - k - 1) { dot += row[k + 1 + j] * a[v + j] }
          let f = tau[k] * dot
          row[k + 1] -= f
          for j in 1..<(n - k - 1) { row[k + 1 + j] -= f * a[v + j] }
        }
      }
      for j in 0..<n { rq[j * s + i] = row[j] }
    }
    try SymmetricTridiagonalEigensolver.implicitQL(
      diagonal: &d, offDiagonal: &e, vectors: &rq, rows: s)
    let unscale = 1 / scale
    for i in 0..<n { d[i] *= unscale }
    return SymmetricTridiagonalEigensolver.sortedDescending(values: d, vectors: rq, rows: s)
  }

  /// ½(A + Aᵀ) scaled by a power of two (exact) so its largest entry lies in [1, 2), reduced
  /// to tridiagonal form (the reflectors stay in `a`, see ``tridiagonalize``).
  /// - Complexity: about 4n³/3 flops.
  private static func scaledTridiagonal(_ input: [Double], order n: Int) -> (
    a: [Double], d: [Double], e: [Double], tau: [Double], scale: Double
  ) {
    var largest = 0.0
    for x in input { largest = Swift.max(largest, abs(x)) }
    let scale =
      largest == 0 ? 1 : Double(sign: .plus, exponent: -largest.exponent, significand: 1)
    var a = [Double](repeating: 0, count: n * n)
    input.withUnsafeBufferPointer { src in
      a.withUnsafeMutableBufferPointer { dst in
        for i in 0..<n {
          // Scale (by a power of two, exactly) before adding, so entries near the largest
          // finite Double cannot overflow.
          let half = 0.5 * scale
          for j in i..<n { dst[i * n + j] = half * src[i * n + j] + half * src[j * n + i] }
        }
      }
    }
    var d = [Double](repeating: 0, count: n)
    var e = [Double](repeating: 0, count: n)
    var tau = [Double](repeating: 0, count: n)
    tridiagonalize(&a, order: n, diagonal: &d, offDiagonal: &e, tau: &tau)
    return (a, d, e, tau, scale)
  }

  /// Reduces the symmetric matrix held in the upper triangle of the row-major `a` to tridiagonal
  /// form. Reflector k is H_k = I − τ_k v vᵀ acting on indices k+1..<n with v₀ = 1 implicit and
  /// v₁… stored in `a[k*n + k+2 ..< (k+1)*n]`.
  static func tridiagonalize(
    _ a: inout [Double], order n: Int, diagonal d: inout [Double], offDiagonal e: inout [Double],
    tau: inout [Double]
  ) {
    var v = [Double](repeating: 0, count: n)
    var w = [Double](repeating: 0, count: n)
    var partial = [Double](repeating: 0, count: n)
    a.withUnsafeMutableBufferPointer { abuf in
      v.withUnsafeMutableBufferPointer { vbuf in
        w.withUnsafeMutableBufferPointer { wbuf in
          partial.withUnsafeMutableBufferPointer { pbuf in
            let a = abuf.baseAddress!
            let v = vbuf.baseAddress!
            let w = wbuf.baseAddress!
            let y2 = pbuf.baseAddress!
            if n >= 3 {
              for k in 0..<(n - 2) {
                d[k] = a[k * n + k]
                let m = n - k - 1
                let x = a + k * n + k + 1
                let x0 = x[0]
                var sigma = 0.0
                for j in 1..<m { sigma += x[j] * x[j] }
                if sigma == 0 {
                  e[k] = x0
                  tau[k] = 0
                  continue
                }
                let norm = (x0 * x0 + sigma).squareRoot()
                let beta = x0 >= 0 ? -norm : norm
                let t = (beta - x0) / beta
                let inv = 1 / (x0 - beta)
                v[0] = 1
                for j in 1..<m {
                  v[j] = x[j] * inv
                  x[j] = v[j]
                }
                x[0] = beta
                e[k] = beta
                tau[k] = t
                // y = A₂₂ v from the upper triangle of the trailing block (rows k+1..<n).
                let sub = a + (k + 1) * n + (k + 1)
                symmetricProduct(sub, stride: n, order: m, v, into: w, scratch: y2)
                // w = τ y − (τ²/2)(yᵀv) v, then A₂₂ ← A₂₂ − v wᵀ − w vᵀ.
                var yv = 0.0
                for j in 0..<m { yv += w[j] * v[j] }
                let alpha = -0.5 * t * t * yv
                for j in 0..<m { w[j] = t * w[j] + alpha * v[j] }
                symmetricRank2Update(sub, stride: n, order: m, v, w)
              }
            }
            if n >= 2 {
              d[n - 2] = a[(n - 2) * n + n - 2]
              e[n - 2] = a[(n - 2) * n + n - 1]
            }
            d[n - 1] = a[(n - 1) * n + n - 1]
            e[n - 1] = 0
          }
        }
      }
    }
  }

  /// y ← S x for the symmetric m×m matrix S whose upper triangle is stored row-major at `s`
  /// (row stride `stride`). Rows are split between two cores for large m.
  private static func symmetricProduct(
    _ s: UnsafeMutablePointer<Double>, stride: Int, order m: Int,
    _ x: UnsafeMutablePointer<Double>, into y: UnsafeMutablePointer<Double>,
    scratch y2: UnsafeMutablePointer<Double>
  ) {
    // Each row i contributes S[i, i...]·x[i...] to y[i] and S[i, j]·x[i] to y[j] (j > i).
    func rows(_ r0: Int, _ r1: Int, _ out: UnsafeMutablePointer<Double>) {
      for i in r0..<r1 {
        let row = s + i * stride
        let xi = x[i]
        var acc = row[i] * xi
        for j in (i + 1)..<Swift.max(m, i + 1) {
          acc += row[j] * x[j]
          out[j] += row[j] * xi
        }
        out[i] += acc
      }
    }
    for j in 0..<m { y[j] = 0 }
    if m < 256 {
      rows(0, m, y)
      return
    }
    // Split the triangle into two halves of equal area.
    let split = m - Int((Double(m) * Double(m) / 2).squareRoot())
    for j in 0..<m { y2[j] = 0 }
    let addresses = (
      Int(bitPattern: s), Int(bitPattern: x), Int(bitPattern: y), Int(bitPattern: y2)
    )
    Parallel.forEach(2) { part in
      let out = UnsafeMutablePointer<Double>(bitPattern: part == 0 ? addresses.2 : addresses.3)!
      if part == 0 { rows(0, split, out) } else { rows(split, m, out) }
    }
    for j in 0..<m { y[j] += y2[j] }
  }

  /// S ← S − v wᵀ − w vᵀ on the upper triangle of S (as in `symmetricProduct`).
  private static func symmetricRank2Update(
    _ s: UnsafeMutablePointer<Double>, stride: Int, order m: Int,
    _ v: UnsafeMutablePointer<Double>, _ w: UnsafeMutablePointer<Double>
  ) {
    func rows(_ r0: Int, _ r1: Int) {
      for i in r0..<r1 {
        let row = s + i * stride
        let vi = v[i]
        let wi = w[i]
        for j in i..<m { row[j] -= vi * w[j] + wi * v[j] }
      }
    }
    if m < 256 {
      rows(0, m)
      return
    }
    let split = m - Int((Double(m) * Double(m) / 2).squareRoot())
    Parallel.forEach(2) { part in
      if part == 0 { rows(0, split) } else { rows(split, m) }
    }
  }

  /// Forms Q = H₀H₁⋯H_{n−3} column-major by backward accumulation.
  ///
  /// Reflectors are applied in blocks of 32 to two columns at a time, so each column of Q is
  /// streamed from memory once per block (not once per reflector) and each reflector element
  /// loaded serves both columns; the columns are split between two cores.
  /// - Complexity: 4n³/3 flops.
  private static func formQ(_ a: [Double], order n: Int, tau: [Double]) -> [Double] {
    var q = [Double](repeating: 0, count: n * n)
    for i in 0..<n { q[i * n + i] = 1 }
    if n < 3 { return q }
    let blockSize = 32
    q.withUnsafeMutableBufferPointer { qbuf in
      a.withUnsafeBufferPointer { abuf in
        tau.withUnsafeBufferPointer { tbuf in
          let q = qbuf.baseAddress!
          let a = abuf.baseAddress!
          let tau = tbuf.baseAddress!
          // Reflector k: v₀ = 1 at row k+1, vⱼ = a[k*n + k+1+j] at row k+1+j (j ≥ 1), length
          // n−k−1. Column c is touched by reflectors k ≤ c−1.
          var high = n - 3
          while high >= 0 {
            let low = Swift.max(0, high - blockSize + 1)
            let firstColumn = low + 1
            let columns = n - firstColumn
            func apply(_ c0: Int, _ c1: Int) {
              var c = c0
              while c < c1 {
                let pair = c + 1 < c1
                let col0 = q + c * n
                let col1 = q + (pair ? c + 1 : c) * n
                var k = Swift.min(high, c)  // reflector c is a no-op on column c
                while k >= low {
                  let t = tau[k]
                  if t != 0 {
                    let v = a + k * n + k + 1
                    let start = k + 1
                    let m = n - start
                    // s = τ vᵀcol (v₀ = 1 implicitly).
                    var acc0 = SIMD4<Double>()
                    var acc1 = SIMD4<Double>()
                    var s0 = col0[start]
                    var s1 = col1[start]
                    var j = 1
                    while j + 4 <= m {
                      let vv = UnsafeRawPointer(v + j).loadUnaligned(as: SIMD4<Double>.self)
                      acc0 +=
                        vv
                        * UnsafeRawPointer(col0 + start + j).loadUnaligned(
                          as: SIMD4<Double>.self)
                      acc1 +=
                        vv
                        * UnsafeRawPointer(col1 + start + j).loadUnaligned(
                          as: SIMD4<Double>.self)
                      j += 4
                    }
                    while j < m {
                      s0 += v[j] * col0[start + j]
                      s1 += v[j] * col1[start + j]
                      j += 1
                    }
                    s0 = (s0 + acc0.sum()) * t
                    s1 = (s1 + acc1.sum()) * t
                    col0[start] -= s0
                    if pair { col1[start] -= s1 }
                    let f0 = SIMD4<Double>(repeating: s0)
                    let f1 = SIMD4<Double>(repeating: s1)
                    j = 1
                    while j + 4 <= m {
                      let vv = UnsafeRawPointer(v + j).loadUnaligned(as: SIMD4<Double>.self)
                      let p0 = UnsafeMutableRawPointer(col0 + start + j)
                      p0.storeBytes(
                        of: p0.loadUnaligned(as: SIMD4<Double>.self) - f0 * vv,
                        as: SIMD4<Double>.self)
                      if pair {
                        let p1 = UnsafeMutableRawPointer(col1 + start + j)
                        p1.storeBytes(
                          of: p1.loadUnaligned(as: SIMD4<Double>.self) - f1 * vv,
                          as: SIMD4<Double>.self)
                      }
                      j += 4
                    }
                    while j < m {
                      col0[start + j] -= s0 * v[j]
                      if pair { col1[start + j] -= s1 * v[j] }
                      j += 1
                    }
                  }
                  k -= 1
                }
                c += pair ? 2 : 1
              }
            }
            // Columns past the first few of the block see every reflector: split the range in
            // two halves of equal work.
            if columns >= 128 {
              let mid = firstColumn + (columns / 4) * 2
              Parallel.forEach(2) { part in
                if part == 0 { apply(firstColumn, mid) } else { apply(mid, n) }
              }
            } else {
              apply(firstColumn, n)
            }
            high = low - 1
          }
        }
      }
    }
    return q
  }

  /// Cyclic Jacobi with threshold, accurate to round-off for every eigenvalue.
  ///
  /// An independent O(n³)-per-sweep reference used by tests (and by small internal problems).
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
