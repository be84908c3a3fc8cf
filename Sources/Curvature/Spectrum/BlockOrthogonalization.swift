/// In-place orthonormalisation of many long columns by blocked classical Gram–Schmidt, twice.
///
/// Columns are taken a panel at a time. A panel is first orthogonalised against every column
/// accepted before it by two matrix–matrix passes (``Gemm``: C = Qᵀ Y, Y ← Y − Q C, twice),
/// then column by column against the columns of its own panel (``ColumnBlock`` CGS2,
/// coefficients in `Double`). A column whose norm fell below a tenth of its original norm is
/// nearly dependent; it gets two more passes against every accepted column in `Double`
/// coefficients before the dependency test, so it ends as orthogonal as the column-by-column
/// algorithm leaves it. Dependent columns (residual ≤ `dropTolerance` × original norm) are
/// dropped and the accepted ones packed to the left.
///
/// Cost: O(P n²) in matrix–matrix products, about as fast as the machine multiplies, where the
/// column-by-column algorithm streams the accepted columns from memory once per column.
enum BlockOrthogonalization {
  /// Columns per panel.
  static let panel = 64

  /// Orthonormalises the `n` columns of the column-major P × n matrix at `y` in place.
  ///
  /// On return the first `rank` columns hold Q with orthonormal columns, and `r` (row-major,
  /// `rank` used rows of `n` columns, `r[i * n + j]`) holds R with Y = Q R: for each original
  /// column j, its coefficients on the accepted columns. Entries of `r` must be zero on entry.
  /// - Returns: the rank (number of accepted columns).
  /// - Complexity: O(P n²) time (matrix–matrix products), O(panel²) extra memory.
  static func orthonormalize(
    _ y: UnsafeMutablePointer<Float>, rows p: Int, columns n: Int,
    r: UnsafeMutablePointer<Double>, dropTolerance: Double = 1e-5
  ) -> Int {
    var accepted = 0
    var start = 0
    let coefficientsF = UnsafeMutablePointer<Float>.allocate(capacity: n * panel)
    let coefficients = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer {
      coefficientsF.deallocate()
      coefficients.deallocate()
    }
    var norms = [Double](repeating: 0, count: panel)
    while start < n {
      let b = Swift.min(panel, n - start)
      let q0 = accepted
      // Pack the panel next to the accepted columns (columns never overlap: q0 ≤ start).
      if q0 < start {
        for i in 0..<b { (y + (q0 + i) * p).update(from: y + (start + i) * p, count: p) }
      }
      let panelBase = y + q0 * p
      for i in 0..<b {
        norms[i] = Kernels.norm(UnsafeBufferPointer(start: panelBase + i * p, count: p))
      }
      // Two block passes against the accepted columns: C = Qᵀ Y (q0 × b), Y ← Y − Q C.
      if q0 > 0 {
        for _ in 0..<2 {
          Gemm.multiply(
            transposeA: false, transposeB: true, m: q0, n: b, k: p, alpha: 1, a: y, lda: p,
            b: panelBase, ldb: p, beta: 0, c: coefficientsF, ldc: b)
          Gemm.multiply(
            transposeA: true, transposeB: false, m: b, n: p, k: q0, alpha: -1,
            a: coefficientsF, lda: b, b: y, ldb: p, beta: 1, c: panelBase, ldc: p)
          for t in 0..<q0 {
            for i in 0..<b { r[t * n + start + i] += Double(coefficientsF[t * b + i]) }
          }
        }
      }
      // Within the panel, column by column; accepted columns stay packed at q0 + a.
      var a = 0
      for i in 0..<b {
        let j = start + i
        let x = panelBase + a * p
        if a < i { x.update(from: panelBase + i * p, count: p) }
        var norm = ColumnBlock.orthogonalize(
          x, against: panelBase, rows: p, columns: a, coefficients: coefficients)
        for t in 0..<a { r[(q0 + t) * n + j] += coefficients[t] }
        if norm < 0.1 * norms[i] && q0 + a > 0 {
          norm = ColumnBlock.orthogonalize(
            x, against: y, rows: p, columns: q0 + a, coefficients: coefficients)
          for t in 0..<(q0 + a) { r[t * n + j] += coefficients[t] }
        }
        if norm > dropTolerance * norms[i] && norm > 0 {
          Kernels.scale(Float(1 / norm), UnsafeMutableBufferPointer(start: x, count: p))
          r[(q0 + a) * n + j] = norm
          a += 1
        }  // else dropped: its coefficients on the accepted columns stay in r.
      }
      accepted = q0 + a
      start += b
    }
    return accepted
  }
}
