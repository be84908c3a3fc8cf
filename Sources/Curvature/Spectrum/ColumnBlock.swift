/// Level-2 kernels on a block of contiguous `Float` columns (P × n, column-major), the shapes
/// every Krylov solver needs: c = Vᵀx, x ← x − V c and Y ← V B. Long vectors are split into two
/// row ranges computed on both cores; columns shorter than ``serialRows`` stay on one core.
enum ColumnBlock {
  /// Rows per parallel chunk below which one core does the whole job.
  static let parallelThreshold = 1 << 16

  /// Columns shorter than this are always processed on one core: splitting them saves less
  /// than waking the second core costs.
  static let serialRows = 4096

  /// c[j] = V[:, j]ᵀ x for j < n, in `Double` (``ProjectionKernels`` tile loops: V and x are
  /// read once, on all cores when P·n is large; Float lanes flushed to Double per block).
  /// - Complexity: O(P n).
  static func transposeTimes(
    _ v: UnsafePointer<Float>, rows p: Int, columns n: Int, _ x: UnsafePointer<Float>,
    into c: UnsafeMutablePointer<Double>
  ) {
    if n == 0 { return }
    ProjectionKernels.coefficients(
      of: UnsafeBufferPointer(start: x, count: p),
      basis: UnsafeBufferPointer(start: v, count: p * n),
      dimension: p, into: UnsafeMutableBufferPointer(start: c, count: n))
  }

  /// x ← x − V c (or x + V c when `add`), with c rounded to `Float` (``ProjectionKernels``
  /// tile loops: x is read and written once).
  /// - Complexity: O(P n).
  static func subtractTimes(
    _ v: UnsafePointer<Float>, rows p: Int, columns n: Int, _ c: UnsafePointer<Double>,
    from x: UnsafeMutablePointer<Float>, add: Bool = false
  ) {
    if n == 0 { return }
    let signed = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer { signed.deallocate() }
    for j in 0..<n { signed[j] = add ? c[j] : -c[j] }
    ProjectionKernels.combine(
      UnsafeBufferPointer(start: signed, count: n),
      basis: UnsafeBufferPointer(start: v, count: p * n), dimension: p,
      into: UnsafeMutableBufferPointer(start: x, count: p), accumulate: true)
  }

  /// Rows per tile of ``times(_:rows:columns:_:columns:into:)`` and
  /// ``multiplyInPlace(_:rows:columns:_:columns:)``.
  static let tileRows = 2048

  /// Y[lo..<lo+len, :] ← V[lo..<lo+len, :] · B for one row tile, written row by row of Yᵀ at
  /// `out` with row stride `ldOut` (one single-threaded GEMM: Yᵀ = Bᵀ Vᵀ, with B in `Float`).
  private static func tileProduct(
    _ v: UnsafePointer<Float>, rows p: Int, columns n: Int, _ bt: UnsafePointer<Float>,
    columns m: Int, rowRange lo: Int, _ len: Int, into out: UnsafeMutablePointer<Float>,
    stride ldOut: Int
  ) {
    Gemm.multiplySum(
      transposeA: false, transposeB: false, m: m, n: len, k1: n, a1: bt, lda1: n, b1: v + lo,
      ldb1: p, k2: 0, a2: bt, lda2: n, b2: v + lo, ldb2: p, beta: 0, c: out, ldc: ldOut,
      threads: 1)
  }

  /// B (n × m column-major `Double`) rounded to `Float`: the same array read as Bᵀ row-major.
  private static func rounded(_ b: UnsafePointer<Double>, count: Int) -> [Float] {
    (0..<count).map { Float(b[$0]) }
  }

  /// Calls `body(t, lane)` for every row tile t of a P-row block (``tileRows`` rows per tile):
  /// on one core (lane 0) for short or light work (`work` = multiply–adds per row, P · work <
  /// 4 · ``parallelThreshold``, or P < ``serialRows``), else on two cores taking alternate
  /// tiles (lane 0 or 1, for a per-core buffer). Each tile must write only its own output.
  private static func forEachTile(
    rows p: Int, work: Int, _ body: (_ tile: Int, _ lane: Int) -> Void
  ) {
    let tiles = (p + tileRows - 1) / tileRows
    if p * work < parallelThreshold * 4 || p < serialRows {
      for t in 0..<tiles { body(t, 0) }
    } else {
      Parallel.forEach(2) { lane in
        var t = lane
        while t < tiles {
          body(t, lane)
          t += 2
        }
      }
    }
  }

  /// Y ← V B with B an n × m column-major `Double` matrix (Y is P × m, may not alias V).
  /// B is rounded to `Float`; rows are processed in tiles of ``tileRows``, each by one GEMM.
  /// - Complexity: O(P n m).
  static func times(
    _ v: UnsafePointer<Float>, rows p: Int, columns n: Int, _ b: UnsafePointer<Double>,
    columns m: Int, into y: UnsafeMutablePointer<Float>
  ) {
    if m == 0 || p == 0 { return }
    if n == 0 {
      y.update(repeating: 0, count: p * m)
      return
    }
    let tile = tileRows
    let bt = rounded(b, count: n * m)
    bt.withUnsafeBufferPointer { btp in
      forEachTile(rows: p, work: n * m) { t, _ in
        let lo = t * tile
        let len = min(p, lo + tile) - lo
        tileProduct(
          v, rows: p, columns: n, btp.baseAddress!, columns: m, rowRange: lo, len,
          into: y + lo, stride: p)
      }
    }
  }

  /// V[:, 0..<m] ← V[:, 0..<n] · B in place (m ≤ n; B an n × m column-major `Double` matrix),
  /// row tile by row tile through a small buffer, so no P-length scratch is allocated. Each
  /// element is computed exactly as ``times(_:rows:columns:_:columns:into:)`` computes it.
  /// - Complexity: O(P n m) time, O(tile · m) extra memory per core.
  static func multiplyInPlace(
    _ v: UnsafeMutablePointer<Float>, rows p: Int, columns n: Int, _ b: UnsafePointer<Double>,
    columns m: Int
  ) {
    precondition(m <= n, "multiplyInPlace: more output than input columns")
    if m == 0 || p == 0 { return }
    let tile = tileRows
    let bt = rounded(b, count: n * m)
    let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 2 * tile * m)
    defer { buffers.deallocate() }
    bt.withUnsafeBufferPointer { btp in
      forEachTile(rows: p, work: n * m) { t, lane in
        let buffer = buffers + lane * tile * m
        let lo = t * tile
        let len = min(p, lo + tile) - lo
        tileProduct(
          v, rows: p, columns: n, btp.baseAddress!, columns: m, rowRange: lo, len,
          into: buffer, stride: tile)
        for jj in 0..<m { (v + jj * p + lo).update(from: buffer + jj * tile, count: len) }
      }
    }
  }

  /// ‖Y[:, i] − θᵢ (V S)[:, i]‖ for i < m, in `Double`: the residual norms of Ritz pairs whose
  /// vectors X = V S are never stored. Row tile by row tile, X's tile is formed in a small buffer
  /// (one GEMM) and the squared differences are summed per tile, tile sums added in order (the
  /// result does not depend on the number of cores). V is P × n, S n × m column-major `Double`
  /// (rounded to `Float`), Y P × m. With `scalingStored` the norms are ‖(V S)[:, i] − θᵢ
  /// Y[:, i]‖ instead: the residuals of stored Ritz vectors Y whose products H Y = W S are formed
  /// tile by tile from the products W of the basis.
  /// - Complexity: O(P n m) time, one pass over V and Y, O(tile · m) extra memory per core.
  static func residualNorms(
    _ y: UnsafePointer<Float>, _ v: UnsafePointer<Float>, rows p: Int, columns n: Int,
    _ s: UnsafePointer<Double>, columns m: Int, values theta: [Double],
    scalingStored: Bool = false
  ) -> [Double] {
    precondition(theta.count == m, "residualNorms: one value per column")
    if m == 0 { return [] }
    if p == 0 { return [Double](repeating: 0, count: m) }
    let tile = tileRows
    let tiles = (p + tile - 1) / tile
    let bt = rounded(s, count: n * m)
    let values = theta.map { Float($0) }
    var sums = [Double](repeating: 0, count: tiles * m)
    let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 2 * tile * m)
    defer { buffers.deallocate() }
    bt.withUnsafeBufferPointer { btp in
      sums.withUnsafeMutableBufferPointer { sp in
        let sums = sp.baseAddress!
        forEachTile(rows: p, work: n * m) { t, lane in
          let buffer = buffers + lane * tile * m
          let lo = t * tile
          let len = min(p, lo + tile) - lo
          if n > 0 {
            tileProduct(
              v, rows: p, columns: n, btp.baseAddress!, columns: m, rowRange: lo, len,
              into: buffer, stride: tile)
          } else {
            buffer.update(repeating: 0, count: tile * m)
          }
          for i in 0..<m {
            let x = buffer + i * tile
            let yi = y + i * p + lo
            let th = values[i]
            var acc = SIMD8<Float>()
            var r = 0
            // d = y − θx, or θy − x when θ scales the stored column (the same norm as x − θy).
            let (a, b): (Float, Float) = scalingStored ? (th, 1) : (1, th)
            while r + 8 <= len {
              let d =
                a * UnsafeRawPointer(yi + r).loadUnaligned(as: SIMD8<Float>.self)
                - b * UnsafeRawPointer(x + r).loadUnaligned(as: SIMD8<Float>.self)
              acc += d * d
              r += 8
            }
            var total = 0.0
            for q in 0..<8 { total += Double(acc[q]) }
            while r < len {
              let d = Double(a) * Double(yi[r]) - Double(b) * Double(x[r])
              total += d * d
              r += 1
            }
            sums[t * m + i] = total
          }
        }
      }
    }
    var norms = [Double](repeating: 0, count: m)
    for t in 0..<tiles { for i in 0..<m { norms[i] += sums[t * m + i] } }
    return norms.map { $0.squareRoot() }
  }

  /// Orthonormalises the m columns of V in place by Cholesky QR applied twice (G = VᵀV in
  /// `Double`, G = RᵀR, V ← V R⁻¹): column i ends in span(V[:, 0...i]), as with Gram–Schmidt in
  /// column order, in four passes over V.
  ///
  /// The first factorisation also tests for dependence: a column whose part orthogonal to the
  /// columns before it is below `dropTolerance` times its norm (or a non-finite Gram matrix)
  /// makes the function return `false` before V is changed, so a caller can fall back on
  /// Gram–Schmidt with column dropping (`false` from the second factorisation, which only
  /// non-finite values can cause, leaves V orthogonalised once). The tolerance must stay well above the Gram matrix's
  /// relative rounding (about 10⁻⁷ for `Float` columns), which 10⁻³ does.
  /// - Complexity: O(P m²) time in four passes over V, O(m²) extra memory.
  static func choleskyOrthonormalize(
    _ v: UnsafeMutablePointer<Float>, rows p: Int, columns m: Int, dropTolerance: Double = 1e-3
  ) -> Bool {
    if m == 0 { return true }
    var g = [Double](repeating: 0, count: m * m)
    for pass in 0..<2 {
      g.withUnsafeMutableBufferPointer {
        ProjectionKernels.crossProduct(
          UnsafePointer(v), columns: m, UnsafePointer(v), columns: m, rows: p,
          into: $0.baseAddress!)
      }
      // Upper-triangular R with G = RᵀR (column-major, R[i + j m] for i ≤ j).
      var r = [Double](repeating: 0, count: m * m)
      for j in 0..<m {
        for i in 0...j {
          var sum = g[i + j * m]
          for l in 0..<i { sum -= r[l + i * m] * r[l + j * m] }
          if i == j {
            let diagonal = g[j + j * m]
            guard sum.isFinite, diagonal.isFinite, diagonal > 0,
              sum > (pass == 0 ? dropTolerance * dropTolerance * diagonal : 0)
            else { return false }
            r[j + j * m] = sum.squareRoot()
          } else {
            r[i + j * m] = sum / r[i + i * m]
          }
        }
      }
      // M = R⁻¹ (upper triangular), column by column: R M[:, j] = e_j.
      var inverse = [Double](repeating: 0, count: m * m)
      for j in 0..<m {
        inverse[j + j * m] = 1 / r[j + j * m]
        var i = j - 1
        while i >= 0 {
          var sum = 0.0
          for l in (i + 1)...j { sum += r[i + l * m] * inverse[l + j * m] }
          inverse[i + j * m] = -sum / r[i + i * m]
          i -= 1
        }
      }
      inverse.withUnsafeBufferPointer {
        multiplyInPlace(v, rows: p, columns: m, $0.baseAddress!, columns: m)
      }
    }
    return true
  }

  /// Orthonormalises column `x` against V (n columns) with classical Gram–Schmidt applied twice.
  ///
  /// Writes the total coefficients Vᵀx (both passes) into `c` and returns ‖x‖ after
  /// orthogonalisation (x is left orthogonalised, not normalised).
  /// - Complexity: O(P n).
  static func orthogonalize(
    _ x: UnsafeMutablePointer<Float>, against v: UnsafePointer<Float>, rows p: Int, columns n: Int,
    coefficients c: UnsafeMutablePointer<Double>
  ) -> Double {
    if n > 0 {
      let c2 = UnsafeMutablePointer<Double>.allocate(capacity: n)
      defer { c2.deallocate() }
      transposeTimes(v, rows: p, columns: n, x, into: c)
      subtractTimes(v, rows: p, columns: n, c, from: x)
      transposeTimes(v, rows: p, columns: n, x, into: c2)
      subtractTimes(v, rows: p, columns: n, c2, from: x)
      for j in 0..<n { c[j] += c2[j] }
    }
    return Kernels.norm(UnsafeBufferPointer(start: x, count: p))
  }
}
