import CCurvatureKernels

/// Tall-skinny products with a column-major U stored as block-scaled int8, and the conversion
/// from `Float`: the kernels behind ``BasisPrecision/int8``.
///
/// Each column is cut into blocks of ``blockRows`` rows (the last one may be shorter); a block
/// keeps one `Float` scale s_b = max|u_i| / 127 and the integers q_i nearest to u_i / s_b, so it
/// reads back as s_b·q_i, within s_b / 2 of u_i. On x86-64 with AVX2 and FMA the loops are C
/// kernels; elsewhere they are Swift loops with the same blocking. Uᵀx is reduced over the same
/// fixed parts as ``ProjectionKernels`` (Double partial sums added in part order) and every
/// output element of U d goes through the same arithmetic whatever the split, so results do not
/// depend on timing or on the number of cores.
enum Int8Kernels {
  /// Whether the C kernels run on this CPU.
  static let native = curvature_int8_supported() != 0
  /// Rows per scale block.
  static let blockRows = 64
  /// Blocks per `Float` accumulation run of Uᵀx before the run is added in `Double`.
  static let flushBlocks = 8

  /// The number of scale blocks of a column of `rows` entries. - Complexity: O(1).
  static func blockCount(rows p: Int) -> Int { (p + blockRows - 1) / blockRows }

  /// The distance in bytes between the starts of two columns of the int8 copy: at least P, a
  /// multiple of 64, and for P ≥ 4096 five cache lines past a multiple of 4096. With a stride
  /// of exactly P (≡ 10 mod 4096 at P = 1,126,410) the k column streams of a pass would all
  /// map to the same sets of an 8-way L1 cache and evict one another; shifted by 320 bytes per
  /// column, up to 12 columns fall into distinct sets. - Complexity: O(1).
  static func columnStride(rows p: Int) -> Int {
    let shift = 320
    if p < 4096 { return (p + 63) / 64 * 64 }
    return (p - shift + 4095) / 4096 * 4096 + shift
  }

  // MARK: - Conversion

  /// Writes the block-scaled int8 copy of U (P × k, column-major) into `q` (column j at
  /// q + j·``columnStride(rows:)``; the padding is not written) and its scales into `scales`
  /// (⌈P/64⌉ × k, column-major); returns ε² = Σ (s_b·q_i − u_i)², each term exact in `Double`,
  /// summed column by column in column order.
  /// - Complexity: O(P k), one pass over U; columns on all cores when P·k is large.
  static func quantize(
    _ u: UnsafeBufferPointer<Float>, rows p: Int, columns k: Int,
    into q: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>,
    native: Bool = native
  ) -> Double {
    precondition(u.count == p * k, "quantize: size mismatch")
    guard p > 0, k > 0, let up = u.baseAddress else { return 0 }
    let nb = blockCount(rows: p)
    let ldq = columnStride(rows: p)
    var errors = [Double](repeating: 0, count: k)
    errors.withUnsafeMutableBufferPointer { e in
      let ep = e.baseAddress!
      func column(_ j: Int) {
        let x = up + j * p
        let qj = q + j * ldq
        let sj = scales + j * nb
        if native {
          ep[j] = curvature_float_to_int8(p, x, qj, sj)
        } else {
          ep[j] = quantizeColumn(x, rows: p, into: qj, scales: sj)
        }
      }
      if p * k >= ProjectionKernels.parallelWork {
        Parallel.forEach(k) { column($0) }
      } else {
        for j in 0..<k { column(j) }
      }
    }
    return errors.reduce(0, +)
  }

  /// The portable conversion of one column; returns its ε². - Complexity: O(P).
  private static func quantizeColumn(
    _ x: UnsafePointer<Float>, rows p: Int, into q: UnsafeMutablePointer<Int8>,
    scales: UnsafeMutablePointer<Float>
  ) -> Double {
    var error = 0.0
    var b0 = 0
    while b0 < p {
      let b1 = Swift.min(p, b0 + blockRows)
      var largest: Float = 0
      for i in b0..<b1 { largest = Swift.max(largest, abs(x[i])) }
      let s = largest / 127
      scales[b0 / blockRows] = s
      for i in b0..<b1 {
        let r = s > 0 ? Swift.min(127, Swift.max(-127, (x[i] / s).rounded(.toNearestOrEven))) : 0
        q[i] = Int8(r)
        let d = Double(s) * Double(q[i]) - Double(x[i])
        error += d * d
      }
      b0 = b1
    }
    return error
  }

  // MARK: - c = Uᵀx

  /// c ← Uᵀx in Double (c has k elements) for a block-scaled int8 U laid out by
  /// ``quantize(_:rows:columns:into:scales:native:)``.
  /// - Complexity: O(P k), one pass over U and x; all cores when P·k is large.
  static func transposeMultiply(
    q: UnsafePointer<Int8>, scales: UnsafePointer<Float>, rows p: Int, columns k: Int,
    x: UnsafePointer<Float>, into c: UnsafeMutablePointer<Double>, native: Bool = native
  ) {
    if k == 0 { return }
    let nb = blockCount(rows: p)
    let ldq = columnStride(rows: p)
    // Parts are multiples of ``blockRows``, so every part starts a block.
    ProjectionKernels.reduceOverParts(
      rows: p, width: k, parallel: p * k >= ProjectionKernels.parallelWork, into: c
    ) { range, out in
      let lo = range.lowerBound
      if native {
        curvature_tsmv_t_int8(
          range.count, k, q + lo, ldq, scales + lo / blockRows, nb, x + lo, out)
        return
      }
      for j in 0..<k {
        let column = q + j * ldq
        let s = scales + j * nb
        var b = lo
        while b < range.upperBound {
          // One Float run of ``flushBlocks`` blocks, then added in Double.
          let runEnd = Swift.min(range.upperBound, b + flushBlocks * blockRows)
          var run: Float = 0
          while b < runEnd {
            let end = Swift.min(runEnd, b + blockRows)
            var t: Float = 0
            for i in b..<end { t = t.addingProduct(Float(column[i]), x[i]) }
            run = run.addingProduct(s[b / blockRows], t)
            b = end
          }
          out[j] += Double(run)
        }
      }
    }
  }

  // MARK: - out = β·x + U d

  /// out ← β·x + U d, or out += β·x + U d when `accumulate` (the β·x term is left out when `x`
  /// is nil), for a block-scaled int8 U laid out by
  /// ``quantize(_:rows:columns:into:scales:native:)``. `out` may be `x` itself.
  /// - Complexity: O(P k), one pass over U, x and out; all cores when P·k is large.
  static func multiplyAdd(
    q: UnsafePointer<Int8>, scales: UnsafePointer<Float>, rows p: Int, columns k: Int,
    coefficients d: UnsafePointer<Float>, x: UnsafePointer<Float>?, beta: Float,
    accumulate: Bool, into out: UnsafeMutablePointer<Float>, native: Bool = native
  ) {
    if p == 0 { return }
    let nb = blockCount(rows: p)
    let ldq = columnStride(rows: p)
    ProjectionKernels.forEachChunk(rows: p, chunk: ProjectionKernels.part, columns: k) { range in
      let lo = range.lowerBound
      if native {
        curvature_tsmv_n_int8(
          range.count, k, q + lo, ldq, scales + lo / blockRows, nb, d, x.map { $0 + lo }, beta,
          accumulate ? 1 : 0, out + lo)
        return
      }
      for i in range {
        var acc: Float = accumulate ? out[i] : 0
        if let x { acc = acc.addingProduct(beta, x[i]) }
        for j in 0..<k {
          acc = acc.addingProduct(d[j] * scales[j * nb + i / blockRows], Float(q[j * ldq + i]))
        }
        out[i] = acc
      }
    }
  }
}
