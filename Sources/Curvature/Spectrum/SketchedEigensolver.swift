/// How ``SketchedEigensolver`` turns its sketch into eigenpairs.
public enum SketchMethod: String, Sendable, Codable, CaseIterable {
  /// Stabilised Nyström approximation H ≈ (HΩ)(ΩᵀHΩ)⁺(HΩ)ᵀ (Tropp, Yurtsever, Udell, Cevher
  /// 2017). Needs H positive semidefinite; most accurate for PSD operators (Gauss–Newton,
  /// Fisher, convex losses).
  case nystrom
  /// Single-pass symmetric approximation H ≈ Q B Qᵀ with Q = orth(HΩ) and B fitted to
  /// B (QᵀΩ) = Qᵀ HΩ (Halko, Martinsson, Tropp 2011, §5.5); works for indefinite H.
  case symmetric
}

/// Eigenpairs of a low-rank sketch, with an a-posteriori error bound.
public struct SketchedEigendecomposition: Sendable {
  /// The largest eigenvalues of the approximation Â, descending.
  public var eigenvalues: [Double]
  /// The corresponding orthonormal eigenvectors of Â.
  public var vectors: Basis
  /// An upper bound on ‖H − Â‖₂ that holds with probability at least 1 − 10^(−probes)
  /// (Halko–Martinsson–Tropp, Lemma 4.1): by Weyl's inequality every |λᵢ(H) − eigenvalues[i]|
  /// is at most this value.
  public var errorEstimate: Double
  /// Operator products spent (sketch size + probes), all in one batch.
  public var productCount: Int
}

/// Randomised sketched eigendecomposition for hundreds to about a thousand eigenpairs.
///
/// All measurements are fixed up front: a Gaussian test matrix Ω (P × ℓ, ℓ = sketch size,
/// default 2k) and `probes` extra Gaussian vectors are multiplied by H in batched block products
/// (`apply(block:count:into:)`), one pass over the operator. The approximation is built from
/// HΩ alone; the probes give the error bound.
public struct SketchedEigensolver: Sendable {
  /// The approximation method.
  public var method: SketchMethod
  /// Sketch size ℓ; `nil` means 2k (at most P).
  public var sketchSize: Int?
  /// Probe vectors for the a-posteriori error bound (failure probability 10^(−probes)).
  public var probes: Int
  /// Vectors per block product.
  public var blockSize: Int
  /// Seed of the test matrix.
  public var seed: UInt64

  /// Creates a solver.
  public init(
    method: SketchMethod = .symmetric, sketchSize: Int? = nil, probes: Int = 10,
    blockSize: Int = 64, seed: UInt64 = 0
  ) {
    self.method = method
    self.sketchSize = sketchSize
    self.probes = probes
    self.blockSize = blockSize
    self.seed = seed
  }

  /// The `k` largest eigenpairs of the sketch of `op`.
  /// - Throws: `CurvatureError` if `k` or the sketch size is out of range, `probes < 1`,
  ///   `blockSize < 1`, the operator returns NaN/Inf, or (Nyström) H is detectably not PSD.
  /// - Complexity: ℓ + probes products in blocks; O(P ℓ²) vector work and O(ℓ³) dense work.
  public func eigenpairs(of op: some HessianOperator, count k: Int) throws
    -> SketchedEigendecomposition
  {
    let p = op.dimension
    if k < 1 || k >= p {
      throw CurvatureError.outOfRange(name: "k", value: Double(k), range: "[1, \(p - 1)]")
    }
    let l = sketchSize ?? min(p, 2 * k)
    if l < k || l > p {
      throw CurvatureError.outOfRange(
        name: "sketchSize", value: Double(l), range: "[k = \(k), P = \(p)]")
    }
    if probes < 1 {
      throw CurvatureError.outOfRange(name: "probes", value: Double(probes), range: "[1, ∞)")
    }
    if blockSize < 1 {
      throw CurvatureError.outOfRange(name: "blockSize", value: Double(blockSize), range: "[1, ∞)")
    }
    var rng = SeededGenerator(seed: seed)
    let total = l + probes
    // Ω (orthonormalised for Nyström's stability) and the probes, then one batched pass.
    var omega = [Float](repeating: 0, count: p * total)
    for j in 0..<total {
      let g = rng.gaussianVector(count: p)
      omega.replaceSubrange((j * p)..<((j + 1) * p), with: g)
    }
    if method == .nystrom {
      omega.withUnsafeMutableBufferPointer { op in
        var coef = [Double](repeating: 0, count: l)
        for j in 0..<l {
          let col = op.baseAddress! + j * p
          let n = coef.withUnsafeMutableBufferPointer {
            ColumnBlock.orthogonalize(
              col, against: op.baseAddress!, rows: p, columns: j, coefficients: $0.baseAddress!)
          }
          Kernels.scale(Float(1 / n), UnsafeMutableBufferPointer(start: col, count: p))
        }
      }
    }
    var y = [Float](repeating: 0, count: p * total)
    let before = op.productCount
    try omega.withUnsafeBufferPointer { o in
      try y.withUnsafeMutableBufferPointer { yp in
        var start = 0
        while start < total {
          let b = min(blockSize, total - start)
          let input = UnsafeBufferPointer(rebasing: o[(start * p)..<((start + b) * p)])
          let out = UnsafeMutableBufferPointer(rebasing: yp[(start * p)..<((start + b) * p)])
          if b == 1 {
            try op.apply(input, into: out)
          } else {
            try op.apply(block: input, count: b, into: out)
          }
          start += b
        }
      }
    }
    let spent = op.productCount - before
    if let bad = y.firstIndex(where: { !$0.isFinite }) {
      throw CurvatureError.nonFinite(name: "operator output", index: bad % p)
    }
    // Orthonormal basis Q of range(HΩ) (CGS2, dependent columns dropped) and R with HΩ = Q R.
    var q = [Float](repeating: 0, count: p * l)
    var r = [Double](repeating: 0, count: l * l)  // r[row * l + col], rows = columns of Q
    var qCount = 0
    q.withUnsafeMutableBufferPointer { qp in
      y.withUnsafeBufferPointer { yp in
        var coef = [Double](repeating: 0, count: l)
        for j in 0..<l {
          let dst = qp.baseAddress! + qCount * p
          dst.update(from: yp.baseAddress! + j * p, count: p)
          let original = Kernels.norm(UnsafeBufferPointer(start: dst, count: p))
          let n = coef.withUnsafeMutableBufferPointer {
            ColumnBlock.orthogonalize(
              dst, against: qp.baseAddress!, rows: p, columns: qCount, coefficients: $0.baseAddress!
            )
          }
          for i in 0..<qCount { r[i * l + j] = coef[i] }
          if n > 1e-5 * original && n > 0 {
            Kernels.scale(Float(1 / n), UnsafeMutableBufferPointer(start: dst, count: p))
            r[qCount * l + j] = n
            qCount += 1
          }
        }
      }
    }
    // Core matrix B (qCount × qCount) with Â = Q B Qᵀ.
    let m = qCount
    var core = [Double](repeating: 0, count: m * m)
    if m > 0 {
      // QᵀΩ (m × l) and QᵀY = R (m × l).
      var qo = [Double](repeating: 0, count: m * l)
      q.withUnsafeBufferPointer { qp in
        omega.withUnsafeBufferPointer { o in
          var c = [Double](repeating: 0, count: m)
          for j in 0..<l {
            c.withUnsafeMutableBufferPointer {
              ColumnBlock.transposeTimes(
                qp.baseAddress!, rows: p, columns: m, o.baseAddress! + j * p, into: $0.baseAddress!)
            }
            for i in 0..<m { qo[i * l + j] = c[i] }
          }
        }
      }
      // R restricted to its first m rows: QᵀY (m × l).
      let rm = Array(r[0..<(m * l)])
      switch method {
      case .symmetric:
        // Least squares B (QᵀΩ) = R: B = R Mᵀ (M Mᵀ)⁻¹ with M = QᵀΩ, then symmetrised; the
        // inverse of the SPD matrix M Mᵀ is taken as a pseudo-inverse.
        let mmt = SmallMatrix.product(qo, qo, rows: m, inner: l, columns: m, transposeB: true)
        let rmt = SmallMatrix.product(rm, qo, rows: m, inner: l, columns: m, transposeB: true)
        let e = try SymmetricEigensolver.decompose(mmt, order: m)
        let inverse = SmallMatrix.pseudoInverse(e, cutoff: (e.values.first ?? 0) * 1e-12)
        core = SmallMatrix.product(rmt, inverse, rows: m, inner: m, columns: m)
      case .nystrom:
        // Â = Y (ΩᵀY)⁺ Yᵀ = Q R (ΩᵀY)⁺ Rᵀ Qᵀ with ΩᵀY = (QᵀΩ)ᵀ R, symmetrised; a shift ν
        // keeps the small core positive definite (Tropp et al. 2017, Alg. 3).
        var oy = SmallMatrix.product(qo, rm, rows: l, inner: m, columns: l, transposeA: true)
        SmallMatrix.symmetrize(&oy, order: l)
        let e = try SymmetricEigensolver.decompose(oy, order: l)
        let top = max(abs(e.values.first ?? 0), abs(e.values.last ?? 0))
        if let low = e.values.last, low < -1e-4 * top {
          throw CurvatureError.invalidArgument(
            name: "operator",
            reason: "is not positive semidefinite (ΩᵀHΩ has eigenvalue \(low)); use .symmetric")
        }
        // core = R (ΩᵀY)⁺ Rᵀ.
        let pinv = SmallMatrix.pseudoInverse(e, cutoff: top * 1e-6)
        let rp = SmallMatrix.product(rm, pinv, rows: m, inner: l, columns: l)
        core = SmallMatrix.product(rp, rm, rows: m, inner: l, columns: m, transposeB: true)
      }
      SmallMatrix.symmetrize(&core, order: m)
    }
    let eig = try SymmetricEigensolver.decompose(core, order: m)
    let kk = min(k, m)
    var vectors = [Float](repeating: 0, count: p * kk)
    q.withUnsafeBufferPointer { qp in
      eig.vectors.withUnsafeBufferPointer { yp in
        vectors.withUnsafeMutableBufferPointer {
          ColumnBlock.times(
            qp.baseAddress!, rows: p, columns: m, yp.baseAddress!, columns: kk,
            into: $0.baseAddress!)
        }
      }
    }
    // A-posteriori bound from the probes: ‖H − Â‖₂ ≤ 10 √(2/π) maxᵢ ‖(H − Â) ωᵢ‖.
    var worst = 0.0
    for j in l..<total {
      let w = Array(omega[(j * p)..<((j + 1) * p)])
      var resid = Array(y[(j * p)..<((j + 1) * p)])
      var c = [Double](repeating: 0, count: m)
      q.withUnsafeBufferPointer { qp in
        w.withUnsafeBufferPointer { wp in
          c.withUnsafeMutableBufferPointer {
            ColumnBlock.transposeTimes(
              qp.baseAddress!, rows: p, columns: m, wp.baseAddress!, into: $0.baseAddress!)
          }
        }
      }
      var bc = [Double](repeating: 0, count: m)
      for i in 0..<m {
        var s = 0.0
        for t in 0..<m { s += core[i * m + t] * c[t] }
        bc[i] = s
      }
      q.withUnsafeBufferPointer { qp in
        bc.withUnsafeBufferPointer { bp in
          resid.withUnsafeMutableBufferPointer {
            ColumnBlock.subtractTimes(
              qp.baseAddress!, rows: p, columns: m, bp.baseAddress!, from: $0.baseAddress!)
          }
        }
      }
      worst = max(worst, Kernels.norm(resid))
    }
    let bound = 10 * (2 / Double.pi).squareRoot() * worst
    return SketchedEigendecomposition(
      eigenvalues: Array(eig.values[0..<kk]),
      vectors: Basis(uncheckedStorage: vectors, dimension: p, count: kk), errorEstimate: bound,
      productCount: spent)
  }
}
