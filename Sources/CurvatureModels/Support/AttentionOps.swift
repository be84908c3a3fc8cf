/// Causal multi-head self-attention on packed Q|K|V rows and its forward-over-reverse
/// derivatives. For each sequence and head: S = QKᵀ/√d_h (j ≤ i), A = softmax(S), O = A V.
///
/// Layouts: `qkv` is (sequences·T) × 3D with Q, K, V in column blocks and head h in columns
/// h·d_h..<(h+1)·d_h of each block; `o` is (sequences·T) × D; attention weights are stored per
/// (sequence, head) as T × T row-major (zero above the diagonal).
struct AttentionOps {
  let sequences: Int
  let length: Int
  let width: Int
  let heads: Int
  var headWidth: Int { width / heads }
  var scale: Float { 1 / Float(headWidth).squareRoot() }

  @inline(__always) private func q(_ base: UnsafePointer<Float>, _ s: Int, _ h: Int)
    -> UnsafePointer<Float>
  {
    base + s * length * 3 * width + h * headWidth
  }
  @inline(__always) private func mq(_ base: UnsafeMutablePointer<Float>, _ s: Int, _ h: Int)
    -> UnsafeMutablePointer<Float>
  {
    base + s * length * 3 * width + h * headWidth
  }
  @inline(__always) private func a(_ s: Int, _ h: Int) -> Int { (s * heads + h) * length * length }
  @inline(__always) private func oOffset(_ s: Int, _ h: Int) -> Int {
    s * length * width + h * headWidth
  }

  /// A and O from Q, K, V.
  func forward(
    qkv: UnsafePointer<Float>, att: UnsafeMutablePointer<Float>, o: UnsafeMutablePointer<Float>
  ) {
    let t = length
    let dh = headWidth
    let ld = 3 * width
    for s in 0..<sequences {
      for h in 0..<heads {
        let qp = q(qkv, s, h)
        let ap = att + a(s, h)
        Dense.gemm(false, true, t, t, dh, qp, ld, qp + width, ld, 0, ap, t)
        for i in 0..<t {
          let row = ap + i * t
          var m = -Float.infinity
          for j in 0...i {
            row[j] *= scale
            m = max(m, row[j])
          }
          var sum: Float = 0
          var j = 0
          while j <= i {
            let w = min(16, i + 1 - j)
            let e = VectorMath.expNonPositive(VectorMath.load(row + j, w) - m)
            VectorMath.store(e, row + j, w)
            for l in 0..<w { sum += e[l] }
            j += 16
          }
          let inv = 1 / sum
          for j in 0...i { row[j] *= inv }
          for j in (i + 1)..<t { row[j] = 0 }
        }
        Dense.gemm(
          false, false, t, dh, t, ap, t, qp + 2 * width, ld, 0, o + oOffset(s, h), width,
          triangle: .lower)
      }
    }
  }

  /// Ȧ = A ⊙ (Ṡ − rowsum(A ⊙ Ṡ)), Ṡ = (Q̇Kᵀ + QK̇ᵀ)/√d_h; Ȯ = ȦV + AV̇.
  func tangent(
    qkv: UnsafePointer<Float>, qkvT: UnsafePointer<Float>, att: UnsafePointer<Float>,
    attT: UnsafeMutablePointer<Float>, oT: UnsafeMutablePointer<Float>
  ) {
    let t = length
    let dh = headWidth
    let ld = 3 * width
    for s in 0..<sequences {
      for h in 0..<heads {
        let qp = q(qkv, s, h)
        let qt = q(qkvT, s, h)
        let ap = att + a(s, h)
        let at = attT + a(s, h)
        Dense.gemm2(
          false, true, t, t, dh, qt, ld, qp + width, ld, dh, qp, ld, qt + width, ld, 0, at, t)
        for i in 0..<t {
          let ar = ap + i * t
          let tr = at + i * t
          var r: Float = 0
          for j in 0...i { r += ar[j] * tr[j] }
          for j in 0...i { tr[j] = ar[j] * (tr[j] - r) * scale }
          for j in (i + 1)..<t { tr[j] = 0 }
        }
        let op = oT + oOffset(s, h)
        Dense.gemm2(
          false, false, t, dh, t, at, t, qp + 2 * width, ld, t, ap, t, qt + 2 * width, ld, 0, op,
          width, triangle: .lower)
      }
    }
  }

  /// Backward: from Ō writes Q̄, K̄, V̄ into `dqkv` (overwrites) and Ā = Ō Vᵀ into `attBar`
  /// (laid out like `att`, kept for ``tangentBackward``). `scratch` holds T × T.
  func backward(
    qkv: UnsafePointer<Float>, att: UnsafePointer<Float>, dO: UnsafePointer<Float>,
    dqkv: UnsafeMutablePointer<Float>, attBar: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    for s in 0..<sequences {
      for h in 0..<heads {
        let qp = q(qkv, s, h)
        let ap = att + a(s, h)
        let op = dO + oOffset(s, h)
        let dq = mq(dqkv, s, h)
        backwardHead(qp, ap, op, into: dq, attBar: attBar + a(s, h), scratch: scratch)
      }
    }
  }

  /// One head's backward pass: Ā = Ō Vᵀ into `attBar`, S̄·scale into `scratch` (may be
  /// `attBar`), then Q̄, K̄, V̄ into `dq` (the head's columns of the Q̄K̄V̄ block, overwritten).
  /// - Complexity: O(T² d_h).
  private func backwardHead(
    _ qp: UnsafePointer<Float>, _ ap: UnsafePointer<Float>, _ op: UnsafePointer<Float>,
    into dq: UnsafeMutablePointer<Float>, attBar bp: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let t = length
    let dh = headWidth
    let ld = 3 * width
    Dense.gemm(false, true, t, t, dh, op, width, qp + 2 * width, ld, 0, bp, t)
    softmaxBackward(ap, bp, into: scratch)
    Dense.gemm(false, false, t, dh, t, scratch, t, qp + width, ld, 0, dq, ld, triangle: .lower)
    Dense.gemm(true, false, t, dh, t, scratch, t, qp, ld, 0, dq + width, ld, triangle: .upper)
    Dense.gemm(true, false, t, dh, t, ap, t, op, width, 0, dq + 2 * width, ld, triangle: .upper)
  }

  /// S̄·scale = scale · A ⊙ (Ā − rowsum(A ⊙ Ā)) (causal rows) into `out` (may be `g`).
  private func softmaxBackward(
    _ ap: UnsafePointer<Float>, _ g: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
  ) {
    let t = length
    for i in 0..<t {
      let ar = ap + i * t
      let gr = g + i * t
      let o = out + i * t
      var r: Float = 0
      for j in 0...i { r += ar[j] * gr[j] }
      for j in 0...i { o[j] = scale * ar[j] * (gr[j] - r) }
      for j in (i + 1)..<t { o[j] = 0 }
    }
  }

  /// Tangent of the backward pass: writes Q̄', K̄', V̄' into `dqkvT` (overwrites). With
  /// `functional` false it is the backward pass applied to Ō' (Gauss–Newton); with it true,
  /// `attBar` holds Ā as left by ``backward``. `scratch` holds 2 T × T.
  func tangentBackward(
    qkv: UnsafePointer<Float>, qkvT: UnsafePointer<Float>, att: UnsafePointer<Float>,
    attT: UnsafePointer<Float>, dO: UnsafePointer<Float>, dOT: UnsafePointer<Float>,
    attBar: UnsafePointer<Float>, functional: Bool, dqkvT: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>
  ) {
    let t = length
    let dh = headWidth
    let ld = 3 * width
    let s1 = scratch  // Ā, then S̄·scale
    let s2 = scratch + t * t  // Ā', then S̄'·scale
    for s in 0..<sequences {
      for h in 0..<heads {
        let qp = q(qkv, s, h)
        let qt = q(qkvT, s, h)
        let ap = att + a(s, h)
        let at = attT + a(s, h)
        let op = dO + oOffset(s, h)
        let opT = dOT + oOffset(s, h)
        let dq = mq(dqkvT, s, h)
        if !functional {
          // Gauss–Newton: the backward pass applied to Ō'.
          backwardHead(qp, ap, opT, into: dq, attBar: s2, scratch: s2)
          continue
        }
        let bp = attBar + a(s, h)
        Dense.gemm2(
          false, true, t, t, dh, opT, width, qp + 2 * width, ld, dh, op, width, qt + 2 * width, ld,
          0, s2, t)
        for i in 0..<t {
          let ar = ap + i * t
          let tr = at + i * t
          let gIn = bp + i * t
          let g = s1 + i * t
          let gT = s2 + i * t
          var r: Float = 0
          var rT: Float = 0
          for j in 0...i {
            r += ar[j] * gIn[j]
            rT += ar[j] * gT[j] + tr[j] * gIn[j]
          }
          for j in 0...i {
            let sb = ar[j] * (gIn[j] - r)
            let sbT = ar[j] * (gT[j] - rT) + tr[j] * (gIn[j] - r)
            g[j] = scale * sb
            gT[j] = scale * sbT
          }
          for j in (i + 1)..<t {
            g[j] = 0
            gT[j] = 0
          }
        }
        // Q̄' = S̄'K + S̄K̇; K̄' = S̄'ᵀQ + S̄ᵀQ̇; V̄' = AᵀŌ' + ȦᵀŌ.
        Dense.gemm2(
          false, false, t, dh, t, s2, t, qp + width, ld, t, s1, t, qt + width, ld, 0, dq, ld,
          triangle: .lower)
        Dense.gemm2(
          true, false, t, dh, t, s2, t, qp, ld, t, s1, t, qt, ld, 0, dq + width, ld,
          triangle: .upper)
        Dense.gemm2(
          true, false, t, dh, t, ap, t, opT, width, t, at, t, op, width, 0, dq + 2 * width, ld,
          triangle: .upper)
      }
    }
  }
}
