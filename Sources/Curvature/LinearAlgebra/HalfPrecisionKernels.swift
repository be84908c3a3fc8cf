import CCurvatureKernels

/// Tall-skinny products with a column-major U stored as IEEE binary16 bit patterns, and the
/// conversions to and from `Float`: the kernels behind ``BasisPrecision/half``.
///
/// Every half is widened to `Float` exactly before it is multiplied, so the products are the
/// `Float` products of ``ProjectionKernels`` on a basis whose entries were rounded once. On
/// x86-64 with AVX2, FMA and F16C the loops are C kernels; elsewhere they are Swift loops with
/// a bit-exact software conversion. Uᵀx is reduced over the same fixed parts as
/// ``ProjectionKernels`` (Double partial sums added in part order) and every output element of
/// U d goes through the same arithmetic whatever the split, so results do not depend on timing
/// or on the number of cores.
enum HalfPrecisionKernels {
  /// Whether the C kernels run on this CPU.
  static let native = curvature_half_supported() != 0

  // MARK: - Conversions

  /// h[i] ← x[i] rounded to binary16 (nearest, ties to even). - Complexity: O(n).
  static func convert(
    _ x: UnsafeBufferPointer<Float>, into h: UnsafeMutableBufferPointer<UInt16>,
    native: Bool = native
  ) {
    precondition(x.count == h.count, "convert: size mismatch")
    guard let xp = x.baseAddress, let hp = h.baseAddress else { return }
    if native {
      curvature_float_to_half(x.count, xp, hp)
    } else {
      for i in 0..<x.count { hp[i] = half(xp[i]) }
    }
  }

  /// Σ (h[i] − x[i])² in Double: the squared distance between `x` and its binary16 copy.
  /// Summed over the fixed chunks of ``Kernels`` in chunk order (all cores for long vectors),
  /// so the result depends only on the data.
  /// - Complexity: O(n), one pass.
  static func squaredError(
    _ x: UnsafeBufferPointer<Float>, _ h: UnsafeBufferPointer<UInt16>, native: Bool = native
  ) -> Double {
    precondition(x.count == h.count, "squaredError: size mismatch")
    guard let xp = x.baseAddress, let hp = h.baseAddress else { return 0 }
    return Kernels.chunkedSum(count: x.count) { lo, hi in
      if native { return curvature_half_squared_error(hi - lo, xp + lo, hp + lo) }
      var s = 0.0
      for i in lo..<hi {
        let d = Double(float(hp[i])) - Double(xp[i])
        s += d * d
      }
      return s
    }
  }

  /// The binary16 bit pattern nearest to `x` (ties to even; overflow gives ±∞, NaN stays NaN).
  /// - Complexity: O(1).
  static func half(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xff)
    let mantissa = bits & 0x7f_ffff
    if exponent == 0xff {
      return sign | 0x7c00
        | (mantissa != 0 ? 0x200 | UInt16(truncatingIfNeeded: mantissa >> 13) : 0)
    }
    let e = exponent - 112  // the binary16 biased exponent
    if e >= 31 { return sign | 0x7c00 }
    if e <= 0 {
      // Subnormal or zero: the value in units of 2⁻²⁴ is (1.m)·2^(e − 14 + 24 − 24).
      if e < -10 { return sign }
      let m = mantissa | 0x80_0000
      let shift = UInt32(14 - e)
      var q = m >> shift
      let r = m & ((1 << shift) - 1)
      let halfway = UInt32(1) << (shift - 1)
      if r > halfway || (r == halfway && q & 1 == 1) { q += 1 }
      return sign | UInt16(truncatingIfNeeded: q)
    }
    var q = UInt32(e) << 10 | mantissa >> 13
    let r = mantissa & 0x1fff
    if r > 0x1000 || (r == 0x1000 && q & 1 == 1) { q += 1 }  // a carry may reach ±∞: correct
    return sign | UInt16(truncatingIfNeeded: q)
  }

  /// The `Float` value of a binary16 bit pattern (exact). - Complexity: O(1).
  @inline(__always)
  static func float(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32((h >> 10) & 0x1f)
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0 {
      let magnitude = Float(mantissa) * 0x1p-24
      return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13) }
    return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
  }

  // MARK: - c = Uᵀx

  /// c ← Uᵀx in Double (c has k elements) for a binary16 U (P × k, column-major).
  /// - Complexity: O(P k), one pass over U and x; all cores when P·k is large.
  static func transposeMultiply(
    u: UnsafePointer<UInt16>, rows p: Int, columns k: Int, x: UnsafePointer<Float>,
    into c: UnsafeMutablePointer<Double>, native: Bool = native
  ) {
    if k == 0 { return }
    ProjectionKernels.reduceOverParts(
      rows: p, width: k, parallel: p * k >= ProjectionKernels.parallelWork, into: c
    ) { range, out in
      let lo = range.lowerBound
      if native {
        curvature_tsmv_t_half(range.count, k, u + lo, p, x + lo, out)
        return
      }
      for j in 0..<k {
        let column = u + j * p
        var i = lo
        while i < range.upperBound {
          let end = Swift.min(range.upperBound, i + ProjectionKernels.block)
          var s: Float = 0
          while i < end {
            s = s.addingProduct(float(column[i]), x[i])
            i += 1
          }
          out[j] += Double(s)
        }
      }
    }
  }

  // MARK: - out = β·x + U d

  /// out ← β·x + U d, or out += β·x + U d when `accumulate` (the β·x term is left out when `x`
  /// is nil), for a binary16 U. `out` may be `x` itself.
  /// - Complexity: O(P k), one pass over U, x and out; all cores when P·k is large.
  static func multiplyAdd(
    u: UnsafePointer<UInt16>, rows p: Int, columns k: Int, coefficients d: UnsafePointer<Float>,
    x: UnsafePointer<Float>?, beta: Float, accumulate: Bool, into out: UnsafeMutablePointer<Float>,
    native: Bool = native
  ) {
    if p == 0 { return }
    ProjectionKernels.forEachChunk(rows: p, chunk: ProjectionKernels.part, columns: k) { range in
      let lo = range.lowerBound
      if native {
        curvature_tsmv_n_half(
          range.count, k, u + lo, p, d, x.map { $0 + lo }, beta, accumulate ? 1 : 0, out + lo)
        return
      }
      for i in range {
        var acc: Float = accumulate ? out[i] : 0
        if let x { acc = acc.addingProduct(beta, x[i]) }
        for j in 0..<k { acc = acc.addingProduct(d[j], float(u[j * p + i])) }
        out[i] = acc
      }
    }
  }
}
