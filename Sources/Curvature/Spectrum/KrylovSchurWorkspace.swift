/// The state of a (block) Krylov–Schur iteration that keeps the products H V in memory.
///
/// Invariant (up to rounding): H V = V T + Z C, where V (P × m) and Z (P × s) have orthonormal
/// columns, Z ⊥ V, T = Vᵀ H V is symmetric (m × m) and C is s × m. For single-vector Lanczos
/// s ≤ 1 and this is the Krylov–Schur relation H V = V T + z bᵀ; a warm start from an arbitrary
/// basis, or a block step, makes s larger. The residual of a Ritz pair (θ, V y) is Z C y, so its
/// norm ‖C y‖ costs O(s m) without touching P-length vectors; the exact residual
/// W y − θ V y (W = H V, kept in memory) costs O(P m) and no operator product.
final class KrylovSchurWorkspace {
  let p: Int
  /// The maximum number of basis columns m.
  let capacity: Int
  let op: any HessianOperator
  /// Basis V, column-major P × capacity (first `count` columns valid).
  var v: [Float]
  /// Products W = H V, same layout.
  var w: [Float]
  /// T = Vᵀ H V, row-major capacity × capacity (leading count × count block valid).
  var t: [Double]
  var count = 0
  /// Open residual directions Z, column-major P × zCount.
  var z: [Float] = []
  var zCount = 0
  /// Residual coefficients C, row-major zCount × capacity.
  var c: [Double] = []
  /// Scratch reused by every expansion (P-length columns), so an iteration allocates no
  /// P-length arrays: the new residual directions, the combined set [Z', F_new], and the next Z.
  private var scratchF: [Float] = []
  private var scratchAll: [Float] = []
  private var scratchQ: [Float] = []
  /// Products spent by this workspace.
  var products = 0
  /// Relative size below which a new residual counts as zero (invariant subspace).
  let breakdownTolerance = 1e-6

  init(operator op: any HessianOperator, capacity: Int) {
    self.op = op
    self.p = op.dimension
    self.capacity = capacity
    // Columns are written before they are read (the first `count` are valid): the unused ones
    // are never mapped.
    self.v = LargeBuffer.unwritten(count: p * capacity)
    self.w = LargeBuffer.unwritten(count: p * capacity)
    self.t = [Double](repeating: 0, count: capacity * capacity)
  }

  // MARK: Expansion

  /// Orthonormalises the `b` candidate columns (P × b) against V and each other, appends the
  /// independent ones, multiplies them by H (one block product) and updates T, Z and C.
  /// - Returns: the number of columns appended (0 if all were dependent or the basis is full).
  func append(candidates: [Float], count b: Int) throws -> Int {
    try candidates.withUnsafeBufferPointer { cp in
      try append(count: b, continuesResidual: false) { j, dst in
        dst.update(from: cp.baseAddress! + j * p, count: p)
      }
    }
  }

  /// Appends the residual direction (the single column of Z) as the next basis vector: the
  /// single-vector Lanczos step. Z ⊥ V already holds (the residual was orthogonalised twice
  /// against the whole basis when it was formed), so the column is only normalised; and since
  /// the new basis vector is Z itself, the old Z C term moves into T entirely (by symmetry,
  /// T's new row is C) and the next Z is the new residual alone. Without this, the rounding
  /// left of (I − z zᵀ) z would be kept as a spurious second residual column.
  /// - Returns: the number of columns appended (0 or 1).
  /// - Complexity: one operator product and O(P m) vector work.
  func appendResidualDirection() throws -> Int {
    precondition(zCount == 1, "appendResidualDirection: Z must have exactly one column")
    if count >= capacity || count >= p { return 0 }
    // Copied before the step, which replaces Z.
    let slot = count * p
    v.withUnsafeMutableBufferPointer { vp in
      z.withUnsafeBufferPointer { (vp.baseAddress! + slot).update(from: $0.baseAddress!, count: p) }
    }
    return try append(count: 1, continuesResidual: true) { _, _ in }  // already in place
  }

  /// The expansion step shared by ``append(candidates:count:)`` and
  /// ``appendResidualDirection()``: `fill(j, destination)` writes candidate j (P floats) into
  /// its basis slot. With `continuesResidual` the single candidate is Z's only column.
  private func append(
    count b: Int, continuesResidual: Bool, fill: (Int, UnsafeMutablePointer<Float>) -> Void
  ) throws -> Int {
    let base = count
    var added = 0
    var coef = [Double](repeating: 0, count: capacity)
    try v.withUnsafeMutableBufferPointer { vp in
      let vb = vp.baseAddress!
      for j in 0..<b where base + added < capacity && base + added < p {
        let dst = vb + (base + added) * p
        fill(j, dst)
        if continuesResidual {
          // Z's column is a unit vector orthogonal to V already.
          added += 1
          continue
        }
        let original = Kernels.norm(UnsafeBufferPointer(start: dst, count: p))
        guard original.isFinite, original > 0 else { continue }
        let n = coef.withUnsafeMutableBufferPointer {
          ColumnBlock.orthogonalize(
            dst, against: vb, rows: p, columns: base + added, coefficients: $0.baseAddress!)
        }
        if n <= 1e-5 * original { continue }
        Kernels.scale(Float(1 / n), UnsafeMutableBufferPointer(start: dst, count: p))
        added += 1
      }
      if added == 0 { return }
      let input = UnsafeBufferPointer(start: vb + base * p, count: added * p)
      try w.withUnsafeMutableBufferPointer { wp in
        let out = UnsafeMutableBufferPointer(start: wp.baseAddress! + base * p, count: added * p)
        if added == 1 {
          try op.apply(input, into: out)
        } else {
          try op.apply(block: input, count: added, into: out)
        }
        if let bad = Kernels.firstNonFinite(UnsafeBufferPointer(out)) {
          throw CurvatureError.nonFinite(name: "operator output", index: bad % p)
        }
      }
    }
    products += added
    if added == 0 { return 0 }
    let total = base + added
    // New residual directions F_new = (I − V Vᵀ) W_new and the new columns of T.
    Self.reserve(&scratchF, added * p)
    var fnScale = [Double](repeating: 0, count: added)
    var fnNorm = [Double](repeating: 0, count: added)
    var newCoef = [Double](repeating: 0, count: added * total)
    v.withUnsafeBufferPointer { vp in
      w.withUnsafeBufferPointer { wp in
        scratchF.withUnsafeMutableBufferPointer { fp in
          fp.baseAddress!.update(from: wp.baseAddress! + base * p, count: added * p)
          newCoef.withUnsafeMutableBufferPointer { cp in
            for jj in 0..<added {
              let col = fp.baseAddress! + jj * p
              let wn = Kernels.norm(UnsafeBufferPointer(start: col, count: p))
              let rn =
                continuesResidual
                ? orthogonalizeLanczosProduct(
                  col, basis: vp.baseAddress!, columns: total, coefficients: cp.baseAddress!)
                : ColumnBlock.orthogonalize(
                  col, against: vp.baseAddress!, rows: p, columns: total,
                  coefficients: cp.baseAddress! + jj * total)
              fnScale[jj] = rn <= breakdownTolerance * wn ? 0 : 1
              fnNorm[jj] = rn
            }
          }
        }
      }
    }
    for jj in 0..<added {
      let j = base + jj
      for i in 0..<base {
        let x = newCoef[jj * total + i]
        t[i * capacity + j] = x
        t[j * capacity + i] = x
      }
      for ii in 0...jj {
        let i = base + ii
        let x = 0.5 * (newCoef[jj * total + i] + newCoef[ii * total + j])
        t[i * capacity + j] = x
        t[j * capacity + i] = x
      }
    }
    count = total
    // Z' = (I − N Nᵀ) Z for the new columns N, then re-orthonormalise [Z', F_new]. When the
    // new column is Z itself, Z' is zero up to rounding and is left out.
    let s = continuesResidual ? 0 : zCount
    let rowsAll = s + added
    Self.reserve(&scratchAll, rowsAll * p)
    Self.reserve(&scratchQ, rowsAll * p)
    scratchAll.withUnsafeMutableBufferPointer { ap in
      let all = ap.baseAddress!
      if s > 0 {
        z.withUnsafeBufferPointer { all.update(from: $0.baseAddress!, count: s * p) }
        var tmp = [Double](repeating: 0, count: added)
        v.withUnsafeBufferPointer { vp in
          tmp.withUnsafeMutableBufferPointer { tp in
            for r in 0..<s {
              let col = all + r * p
              let nb = vp.baseAddress! + base * p
              ColumnBlock.transposeTimes(nb, rows: p, columns: added, col, into: tp.baseAddress!)
              ColumnBlock.subtractTimes(nb, rows: p, columns: added, tp.baseAddress!, from: col)
            }
          }
        }
      }
      scratchF.withUnsafeBufferPointer { fp in
        for jj in 0..<added {
          let dst = all + (s + jj) * p
          if fnScale[jj] > 0 {
            dst.update(from: fp.baseAddress! + jj * p, count: p)
          } else {
            dst.update(repeating: 0, count: p)
          }
        }
      }
    }
    // Coefficients of the combined set: rows of C for Z', identity for F_new.
    var callM = [Double](repeating: 0, count: rowsAll * total)
    for r in 0..<s { for j in 0..<base { callM[r * total + j] = c[r * capacity + j] } }
    for jj in 0..<added where fnScale[jj] > 0 { callM[(s + jj) * total + base + jj] = 1 }
    // Gram–Schmidt (twice) with R, dropping negligible columns; each column is
    // orthogonalised in place in the combined set and then copied into the next Z.
    var rMat: [[Double]] = []  // rMat[row] has rowsAll entries
    var qCount = 0
    var cf = [Double](repeating: 0, count: max(rowsAll, 1))
    scratchAll.withUnsafeMutableBufferPointer { ap in
      scratchQ.withUnsafeMutableBufferPointer { qp in
        for col in 0..<rowsAll {
          let x = ap.baseAddress! + col * p
          // A new residual column was copied unchanged: its norm is known.
          let current =
            col >= s
            ? (fnScale[col - s] > 0 ? fnNorm[col - s] : 0)
            : Kernels.norm(UnsafeBufferPointer(start: x, count: p))
          if current == 0 { continue }
          // A column of Z' is what (I − N Nᵀ) left of a unit column of Z: it counts as zero
          // below 10⁻⁵ of that unit norm. (Measured against what is left, the rounding left of a
          // direction the block has just taken was normalised into Z: Z then grew by about one
          // column per block column and lost ZᵀV = 0.)
          let reference = col >= s ? current : 1
          let n =
            qCount == 0
            ? current
            : cf.withUnsafeMutableBufferPointer { cp in
              ColumnBlock.orthogonalize(
                x, against: UnsafePointer(qp.baseAddress!), rows: p, columns: qCount,
                coefficients: cp.baseAddress!)
            }
          for r in 0..<qCount { rMat[r][col] = cf[r] }
          if n > 1e-5 * reference {
            let dst = qp.baseAddress! + qCount * p
            let scale = Float(1 / n)
            for i in 0..<p { dst[i] = scale * x[i] }
            var row = [Double](repeating: 0, count: rowsAll)
            row[col] = n
            rMat.append(row)
            qCount += 1
          }
        }
      }
    }
    var newC = [Double](repeating: 0, count: qCount * capacity)
    for r in 0..<qCount {
      for j in 0..<total {
        var sum = 0.0
        for l in 0..<rowsAll { sum += rMat[r][l] * callM[l * total + j] }
        newC[r * capacity + j] = sum
      }
    }
    // The next Z is the first qCount columns of scratchQ; the old Z's storage becomes scratch.
    swap(&z, &scratchQ)
    zCount = qCount
    c = newC
    compressResidualSpace()
    return added
  }

  /// Keeps Z no wider than the basis: Z C has rank at most m = ``count``, so when Z has more
  /// columns, Z ← Z W and C ← Wᵀ C with W the top m eigenvectors of C Cᵀ (an orthonormal basis
  /// of C's range) leave Z C, Z ⊥ V and ZᵀZ = I unchanged. Without it a block step that takes
  /// its directions from part of Z leaves the rest in Z, which grew by about b − 1 columns per
  /// step (past 100 columns at P ≈ 10⁶, with Gram–Schmidt over all of them at every step).
  /// Single-vector Lanczos never has more than one column in Z.
  /// - Complexity: O(P s m) for s = `zCount` > m, nothing otherwise.
  private func compressResidualSpace() {
    let s = zCount
    let m = count
    guard s > m, m > 0 else { return }
    var g = [Double](repeating: 0, count: s * s)
    for a in 0..<s {
      for b in 0...a {
        var sum = 0.0
        for j in 0..<m { sum += c[a * capacity + j] * c[b * capacity + j] }
        g[a * s + b] = sum
        g[b * s + a] = sum
      }
    }
    guard let eig = try? SymmetricEigensolver.decompose(g, order: s) else { return }
    // W: the first m eigenvectors (column-major s × m).
    let w = Array(eig.vectors[0..<(s * m)])
    let compressed: [Float] = z.withUnsafeBufferPointer { zp in
      w.withUnsafeBufferPointer { wp in
        LargeBuffer.uninitialized(count: p * m) {
          ColumnBlock.times(
            zp.baseAddress!, rows: p, columns: s, wp.baseAddress!, columns: m, into: $0)
        }
      }
    }
    var newC = [Double](repeating: 0, count: m * capacity)
    for r in 0..<m {
      for j in 0..<m {
        var sum = 0.0
        for a in 0..<s { sum += w[r * s + a] * c[a * capacity + j] }
        newC[r * capacity + j] = sum
      }
    }
    z = compressed
    zCount = m
    c = newC
  }

  /// Orthogonalises x = H v_j against V (j + 1 = `columns` columns) when v_j is the previous
  /// residual direction z, writing the coefficients Vᵀx to `c`; returns ‖x‖ afterwards.
  ///
  /// The first Gram–Schmidt pass needs no inner products with the old columns: H v_i = V T_i +
  /// z c_i for i < j and v_j = z ⊥ V give v_iᵀ H v_j = c_i, the residual coefficients (C's
  /// only row, still the old one), which are zero except for the last column and the columns
  /// kept at a restart. Only α = v_jᵀ x is computed. A full classical pass then removes what
  /// rounding left, and a third pass follows when that pass removed more than half of x
  /// (the usual "twice is enough" test), as when the new residual is tiny.
  /// - Complexity: O(P (j + nnz(c))) instead of O(4 P j) for two full passes.
  private func orthogonalizeLanczosProduct(
    _ x: UnsafeMutablePointer<Float>, basis vb: UnsafePointer<Float>, columns total: Int,
    coefficients cp: UnsafeMutablePointer<Double>
  ) -> Double {
    let j = total - 1
    let xb = UnsafeMutableBufferPointer(start: x, count: p)
    let vj = vb + j * p
    let alpha = Kernels.dot(UnsafeBufferPointer(start: vj, count: p), UnsafeBufferPointer(xb))
    for i in 0..<j {
      let ci = c[i]
      cp[i] = ci
      if ci != 0 { Kernels.axpy(Float(-ci), UnsafeBufferPointer(start: vb + i * p, count: p), xb) }
    }
    cp[j] = alpha
    Kernels.axpy(Float(-alpha), UnsafeBufferPointer(start: vj, count: p), xb)
    let correction = UnsafeMutablePointer<Double>.allocate(capacity: total)
    defer { correction.deallocate() }
    var passes = 0
    while true {
      ColumnBlock.transposeTimes(vb, rows: p, columns: total, x, into: correction)
      ColumnBlock.subtractTimes(vb, rows: p, columns: total, correction, from: x)
      var removed = 0.0
      for i in 0..<total {
        cp[i] += correction[i]
        removed += correction[i] * correction[i]
      }
      passes += 1
      let after = Kernels.norm(UnsafeBufferPointer(xb))
      // ‖x‖² before the pass is ‖x‖² after it plus ‖Vᵀx‖²: repeat when the pass removed more
      // than half of ‖x‖, i.e. ‖Vᵀx‖² > 3‖x_after‖².
      if removed <= 3 * after * after || passes == 2 { return after }
    }
  }

  /// Makes `buffer` hold at least `count` elements (contents unspecified). - Complexity: O(count)
  /// when it grows, O(1) otherwise.
  private static func reserve(_ buffer: inout [Float], _ count: Int) {
    if buffer.count < count { buffer = LargeBuffer.zeros(count: count) }
  }

  // MARK: Rayleigh–Ritz

  /// Ritz pairs of the current basis in target order.
  struct Ritz {
    /// Ritz values θ, in target order.
    var values: [Double]
    /// Coefficient vectors y (count × count, column-major), column i for values[i].
    var vectors: [Double]
    /// Residual norms ‖C y‖ from the Krylov–Schur relation.
    var estimates: [Double]
    var order: Int
  }

  /// The Ritz pairs of the current basis (values, coefficient vectors and estimates).
  /// - Complexity: O(m³) (a dense symmetric eigendecomposition of T with eigenvectors).
  func ritz(target: EigenTarget) throws -> Ritz {
    let m = count
    let eig = try SymmetricEigensolver.decompose(projectedMatrix(), order: m)
    var values = eig.values
    var vectors = eig.vectors
    if target == .smallest {
      values.reverse()
      var rev = [Double](repeating: 0, count: m * m)
      for i in 0..<m {
        let src = m - 1 - i
        for l in 0..<m { rev[i * m + l] = vectors[src * m + l] }
      }
      vectors = rev
    }
    var estimates = [Double](repeating: 0, count: m)
    for i in 0..<m {
      var s2 = 0.0
      for r in 0..<zCount {
        var sum = 0.0
        for j in 0..<m { sum += c[r * capacity + j] * vectors[i * m + j] }
        s2 += sum * sum
      }
      estimates[i] = s2.squareRoot()
    }
    return Ritz(values: values, vectors: vectors, estimates: estimates, order: m)
  }

  /// The Ritz values in target order and their residual estimates ‖C y‖, without the Ritz
  /// vectors (`vectors` is empty).
  ///
  /// T goes through the same reduction and QL iteration as in ``ritz(target:)``, but only the
  /// zCount rows of C are transformed (``SymmetricEigensolver/eigenvalues(_:order:rows:count:)``)
  /// instead of the whole eigenvector matrix: the values and estimates agree with those of
  /// ``ritz(target:)`` to round-off.
  /// - Complexity: O(m³) for the reduction (about 4m³/3 flops) and O(zCount · m²) after it,
  ///   against about 9m³ flops with the eigenvectors.
  func ritzEstimates(target: EigenTarget) throws -> Ritz {
    let m = count
    let s = zCount
    if m == 0 { return Ritz(values: [], vectors: [], estimates: [], order: 0) }
    let tm = projectedMatrix()
    if tm.contains(where: { !$0.isFinite }) {
      throw CurvatureError.nonFinite(name: "projected matrix", index: 0)
    }
    var rows = [Double](repeating: 0, count: s * m)
    for r in 0..<s { for j in 0..<m { rows[r * m + j] = c[r * capacity + j] } }
    let eig = try SymmetricEigensolver.eigenvalues(tm, order: m, rows: rows, count: s)
    var values = eig.values
    var estimates = [Double](repeating: 0, count: m)
    for i in 0..<m {
      var s2 = 0.0
      for r in 0..<s {
        let x = eig.vectors[i * s + r]
        s2 += x * x
      }
      estimates[i] = s2.squareRoot()
    }
    if target == .smallest {
      values.reverse()
      estimates.reverse()
    }
    return Ritz(values: values, vectors: [], estimates: estimates, order: m)
  }

  /// T as a dense m × m array (T is stored with row stride `capacity`). - Complexity: O(m²).
  private func projectedMatrix() -> [Double] {
    let m = count
    var tm = [Double](repeating: 0, count: m * m)
    for i in 0..<m { for j in 0..<m { tm[i * m + j] = t[i * capacity + j] } }
    return tm
  }

  /// The Ritz vectors u = V y and exact residual norms ‖W y − θ V y‖/‖V y‖ for the first `k`
  /// pairs (no operator product).
  /// - Returns: unit Ritz vectors (P × k, column-major) and residual norms.
  func explicitPairs(_ ritz: Ritz, count k: Int) -> (vectors: [Float], residuals: [Double]) {
    let m = count
    let y = Array(ritz.vectors[0..<(m * k)])
    // U = V Y, every element written by the product (no zero fill first).
    var u: [Float] = v.withUnsafeBufferPointer { vp in
      y.withUnsafeBufferPointer { yp in
        LargeBuffer.uninitialized(count: p * k) {
          ColumnBlock.times(
            vp.baseAddress!, rows: p, columns: m, yp.baseAddress!, columns: k, into: $0)
        }
      }
    }
    // ‖W yᵢ − θᵢ uᵢ‖ with W Y formed tile by tile (H U is never stored), then both divided by
    // ‖uᵢ‖ as uᵢ is normalised.
    let raw = u.withUnsafeBufferPointer { up in
      w.withUnsafeBufferPointer { wp in
        y.withUnsafeBufferPointer { yp in
          ColumnBlock.residualNorms(
            up.baseAddress!, wp.baseAddress!, rows: p, columns: m, yp.baseAddress!, columns: k,
            values: Array(ritz.values[0..<k]), scalingStored: true)
        }
      }
    }
    var residuals = [Double](repeating: 0, count: k)
    u.withUnsafeMutableBufferPointer { up in
      for i in 0..<k {
        let uc = UnsafeMutableBufferPointer(rebasing: up[(i * p)..<((i + 1) * p)])
        let n = Kernels.norm(UnsafeBufferPointer(uc))
        let inv = n > 0 ? 1 / n : 0
        Kernels.scale(Float(inv), uc)
        residuals[i] = raw[i] * inv
      }
    }
    return (u, residuals)
  }

  // MARK: Restart

  /// Thick restart: keeps the first `keep` Ritz pairs (V ← V Y, W ← W Y, T ← diag θ, C ← C Y).
  /// - Complexity: O(P m keep).
  func restart(_ ritz: Ritz, keep: Int) {
    let m = count
    let y = Array(ritz.vectors[0..<(m * keep)])
    // V ← V Y and W ← W Y in place, tile by tile (no P-length scratch).
    y.withUnsafeBufferPointer { yp in
      v.withUnsafeMutableBufferPointer {
        ColumnBlock.multiplyInPlace(
          $0.baseAddress!, rows: p, columns: m, yp.baseAddress!, columns: keep)
      }
      w.withUnsafeMutableBufferPointer {
        ColumnBlock.multiplyInPlace(
          $0.baseAddress!, rows: p, columns: m, yp.baseAddress!, columns: keep)
      }
    }
    for i in 0..<capacity { for j in 0..<capacity { t[i * capacity + j] = 0 } }
    for i in 0..<keep { t[i * capacity + i] = ritz.values[i] }
    var newC = [Double](repeating: 0, count: zCount * capacity)
    for r in 0..<zCount {
      for i in 0..<keep {
        var sum = 0.0
        for j in 0..<m { sum += c[r * capacity + j] * y[i * m + j] }
        newC[r * capacity + i] = sum
      }
    }
    c = newC
    count = keep
    compressResidualSpace()
  }

  // MARK: Directions

  /// Up to `b` expansion directions from the open residual space Z: the residual directions of
  /// the unconverged wanted pairs (worst first), orthonormalised; random vectors fill the rest.
  func directions(
    _ ritz: Ritz?, wanted k: Int, tolerance: Double, count b: Int,
    rng: inout SeededGenerator
  ) -> [Float] {
    var out: [Float] = []
    var taken = 0
    if zCount > 0 {
      var coeffs: [[Double]] = []
      if zCount <= b || ritz == nil {
        for r in 0..<min(zCount, b) {
          var e = [Double](repeating: 0, count: zCount)
          e[r] = 1
          coeffs.append(e)
        }
      } else if let ritz {
        let m = ritz.order
        let kk = min(k, m)
        let ranked = (0..<kk).sorted {
          ritz.estimates[$0] / max(abs(ritz.values[$0]), 1e-300)
            > ritz.estimates[$1] / max(abs(ritz.values[$1]), 1e-300)
        }
        var basis: [[Double]] = []
        for i in ranked where basis.count < b {
          var a = [Double](repeating: 0, count: zCount)
          for r in 0..<zCount {
            var sum = 0.0
            for j in 0..<m { sum += c[r * capacity + j] * ritz.vectors[i * m + j] }
            a[r] = sum
          }
          let n0 = (a.reduce(0) { $0 + $1 * $1 }).squareRoot()
          if n0 == 0 { continue }
          for _ in 0..<2 {
            for q in basis {
              var d = 0.0
              for r in 0..<zCount { d += q[r] * a[r] }
              for r in 0..<zCount { a[r] -= d * q[r] }
            }
          }
          let n = (a.reduce(0) { $0 + $1 * $1 }).squareRoot()
          if n <= 1e-8 * n0 { continue }
          basis.append(a.map { $0 / n })
        }
        coeffs = basis
      }
      for a in coeffs {
        var col = [Float](repeating: 0, count: p)
        for r in 0..<zCount where a[r] != 0 {
          z.withUnsafeBufferPointer { zp in
            col.withUnsafeMutableBufferPointer {
              Kernels.axpy(
                Float(a[r]), UnsafeBufferPointer(rebasing: zp[(r * p)..<((r + 1) * p)]), $0)
            }
          }
        }
        out.append(contentsOf: col)
        taken += 1
      }
    }
    while taken < b {
      // Any vector with a component along every wanted eigenvector will do, which a continuous
      // distribution gives with probability 1; a uniform entry takes one generator step, a
      // Gaussian one a rejection loop and a logarithm per pair.
      out.append(contentsOf: rng.uniformVector(count: p))
      taken += 1
    }
    return out
  }
}
