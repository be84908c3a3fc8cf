/// How ``SketchedEigensolver`` turns its sketch into eigenpairs.
public enum SketchMethod: String, Sendable, Codable, CaseIterable {
  /// Stabilised Nyström approximation H ≈ (HΩ)(ΩᵀHΩ)⁺(HΩ)ᵀ (Tropp, Yurtsever, Udell, Cevher
  /// 2017). Needs H positive semidefinite; most accurate for PSD operators (Gauss–Newton,
  /// Fisher, convex losses).
  case nystrom
  /// Single-pass symmetric approximation H ≈ Q B Qᵀ with Q = orth(HΩ) and B fitted to
  /// B (QᵀΩ) = Qᵀ HΩ (Halko, Martinsson, Tropp 2011, §5.5); works for indefinite H.
  ///
  /// Accurate when the spectrum decays fast enough for HΩ to capture the range, but when HΩ has
  /// full rank ℓ the fit is a square system that can be arbitrarily ill-conditioned on a slowly
  /// decaying spectrum: its top eigenvalues can then be far off (1,400× too large on such a test
  /// matrix; for an MLP Hessian at P = 301,066 whose λ₁ is 3.49, 31.3 with ℓ = 1,250 and 46.5
  /// with ℓ = 2,000), and only the a-posteriori bound, which is then large, says so. Prefer ``rayleighRitz`` unless a second
  /// pass over the operator is impossible.
  case symmetric
  /// Two-pass Rayleigh–Ritz approximation H ≈ Q (Qᵀ H Q) Qᵀ with Q = orth(HΩ) (Halko,
  /// Martinsson, Tropp 2011, §5.3, "direct eigenvalue decomposition"): a second batch of
  /// products H Q, as many as the sketch's rank, buys ‖H − Â‖ ≤ 2‖H − QQᵀH‖, the error of the
  /// range alone. Works for indefinite H; the most accurate of the three for the same sketch.
  case rayleighRitz
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
  /// Operator products spent: sketch size + probes in one batch, plus (``SketchMethod/rayleighRitz``)
  /// one product per column of the sketch's orthonormal basis in a second batch.
  public var productCount: Int
}

/// Randomised sketched eigendecomposition for hundreds to about a thousand eigenpairs.
///
/// All measurements are fixed up front: a Gaussian test matrix Ω (P × ℓ, ℓ = sketch size,
/// default 2k) and `probes` extra Gaussian vectors are multiplied by H in batched block products
/// (`apply(block:count:into:)`), one pass over the operator. The approximation is built from
/// HΩ alone (``SketchMethod/rayleighRitz`` adds a second pass, H Q); the probes give the error
/// bound. The orthonormal basis Q of range(HΩ) comes from blocked Gram–Schmidt
/// (matrix–matrix products), in place of HΩ.
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
  /// A directory for out-of-core storage of the sketch, or `nil` (the default) to keep it in
  /// memory. When set, Ω and HΩ (2 · P · (ℓ + probes) `Float`s, the solver's only large
  /// allocations) live in memory-mapped files there, which the operating system pages to disk
  /// as memory runs short; the files are removed from the directory as soon as they are
  /// created and their space is reserved up front, so nothing is left behind and a full disk is
  /// a thrown error.
  public var storageDirectory: String?

  /// Creates a solver (two-pass ``SketchMethod/rayleighRitz`` by default).
  public init(
    method: SketchMethod = .rayleighRitz, sketchSize: Int? = nil, probes: Int = 10,
    blockSize: Int = 64, seed: UInt64 = 0, storageDirectory: String? = nil
  ) {
    self.storageDirectory = storageDirectory
    self.method = method
    self.sketchSize = sketchSize
    self.probes = probes
    self.blockSize = blockSize
    self.seed = seed
  }

  /// The `k` largest eigenpairs of the sketch of `op`.
  /// - Throws: `CurvatureError` if `k` or the sketch size is out of range, `probes < 1`,
  ///   `blockSize < 1`, the operator returns NaN/Inf, (Nyström) H is detectably not PSD, or
  ///   (`.fileSystem`) the storage directory cannot hold the sketch.
  /// - Complexity: ℓ + probes products in blocks; O(P ℓ²) in matrix–matrix products
  ///   (blocked Gram–Schmidt and QᵀΩ) and O(ℓ³) dense work. Memory: 2 · P · (ℓ + probes)
  ///   `Float`s for Ω and HΩ (Q overwrites HΩ), in ``storageDirectory`` when set, plus P · k
  ///   for the eigenvectors and O(ℓ²) dense `Double`s.
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
    let omegaStore = try SketchStorage(count: p * total, directory: storageDirectory)
    let omega = omegaStore.base
    for j in 0..<total {
      let g = rng.gaussianVector(count: p)
      g.withUnsafeBufferPointer {
        omegaStore.column(j, rows: p).update(from: $0.baseAddress!, count: p)
      }
    }
    if method == .nystrom {
      let scratch = UnsafeMutablePointer<Double>.allocate(capacity: l * l)
      defer { scratch.deallocate() }
      scratch.initialize(repeating: 0, count: l * l)
      let rank = BlockOrthogonalization.orthonormalize(omega, rows: p, columns: l, r: scratch)
      if rank < l {
        throw CurvatureError.invalidArgument(
          name: "sketchSize",
          reason: "the Gaussian test matrix has rank \(rank) < \(l); use a smaller sketch")
      }
    }
    let yStore = try SketchStorage(count: p * total, directory: storageDirectory)
    let y = yStore.base
    // `omega`, `y` and `q` are raw pointers into the two stores: keep the stores alive until
    // the end (Swift may release an object after its last use, not at the end of the scope).
    defer {
      withExtendedLifetime(omegaStore) {}
      withExtendedLifetime(yStore) {}
    }
    let spent = try products(op, of: omega, columns: total, into: y)
    // Orthonormal basis Q of range(HΩ), in place of HΩ (blocked CGS2, dependent columns
    // dropped), and R with HΩ = Q R (r[row * l + col], rows = columns of Q).
    var r = [Double](repeating: 0, count: l * l)
    let qCount = r.withUnsafeMutableBufferPointer {
      BlockOrthogonalization.orthonormalize(y, rows: p, columns: l, r: $0.baseAddress!)
    }
    let q = UnsafePointer(y)
    // Core matrix B (qCount × qCount) with Â = Q B Qᵀ.
    let m = qCount
    var core = [Double](repeating: 0, count: m * m)
    var secondPass = 0
    if m > 0, method == .rayleighRitz {
      // H Q into the columns of Ω (only its probe columns, from l on, are still needed), then
      // the core Qᵀ H Q.
      let hq = omega
      secondPass = try products(op, of: q, columns: m, into: hq)
      var coreF = [Float](repeating: 0, count: m * m)
      coreF.withUnsafeMutableBufferPointer {
        Gemm.multiply(
          transposeA: false, transposeB: true, m: m, n: m, k: p, alpha: 1, a: q, lda: p,
          b: hq, ldb: p, beta: 0, c: $0.baseAddress!, ldc: m)
      }
      core = coreF.map(Double.init)
      SmallMatrix.symmetrize(&core, order: m)
    } else if m > 0 {
      // QᵀΩ (m × l) and QᵀY = R (m × l).
      var qoF = [Float](repeating: 0, count: m * l)
      qoF.withUnsafeMutableBufferPointer {
        Gemm.multiply(
          transposeA: false, transposeB: true, m: m, n: l, k: p, alpha: 1, a: q, lda: p,
          b: omega, ldb: p, beta: 0, c: $0.baseAddress!, ldc: l)
      }
      let qo = qoF.map(Double.init)
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
      case .rayleighRitz: break
      }
      SmallMatrix.symmetrize(&core, order: m)
    }
    let eig = try SymmetricEigensolver.decompose(core, order: m)
    let kk = min(k, m)
    // Eigenvectors Q S[:, :k], streaming Q once in panels of contiguous columns (sequential
    // reads, which matters when Q is paged from disk): Vᵀ += S[panel, :k]ᵀ Q[:, panel]ᵀ.
    var vectors = [Float](repeating: 0, count: p * kk)
    let st = eig.vectors.map(Float.init)  // row i = eigenvector i (S column-major)
    let panel = 256
    st.withUnsafeBufferPointer { sp in
      vectors.withUnsafeMutableBufferPointer { vp in
        var first = 0
        while first < m {
          let b = min(panel, m - first)
          Gemm.multiply(
            transposeA: false, transposeB: false, m: kk, n: p, k: b, alpha: 1,
            a: sp.baseAddress! + first, lda: m, b: q + first * p, ldb: p,
            beta: first == 0 ? 0 : 1, c: vp.baseAddress!, ldc: p)
          first += b
        }
      }
    }
    // A-posteriori bound from the probes: ‖H − Â‖₂ ≤ 10 √(2/π) maxᵢ ‖(H − Â) ωᵢ‖. The probes'
    // products H W (the storage's columns after the l of Q) become their residuals
    // H W − Q B (QᵀW) in place, in two matrix products: one pass over Q each, whatever the
    // number of probes (it matters when Q is paged from disk).
    var worst = 0.0
    if m > 0 {
      var c = [Float](repeating: 0, count: m * probes)  // QᵀW, m × probes
      c.withUnsafeMutableBufferPointer {
        Gemm.multiply(
          transposeA: false, transposeB: true, m: m, n: probes, k: p, alpha: 1, a: q, lda: p,
          b: omega + l * p, ldb: p, beta: 0, c: $0.baseAddress!, ldc: probes)
      }
      var bcT = [Float](repeating: 0, count: probes * m)  // (B C)ᵀ, probes × m
      for j in 0..<probes {
        for i in 0..<m {
          var s = 0.0
          for t in 0..<m { s += core[i * m + t] * Double(c[t * probes + j]) }
          bcT[j * m + i] = Float(s)
        }
      }
      bcT.withUnsafeBufferPointer {
        Gemm.multiply(
          transposeA: false, transposeB: false, m: probes, n: p, k: m, alpha: -1,
          a: $0.baseAddress!, lda: m, b: q, ldb: p, beta: 1, c: y + l * p, ldc: p)
      }
    }
    for j in l..<total {
      worst = max(worst, Kernels.norm(UnsafeBufferPointer(start: y + j * p, count: p)))
    }
    let bound = 10 * (2 / Double.pi).squareRoot() * worst
    return SketchedEigendecomposition(
      eigenvalues: Array(eig.values[0..<kk]),
      vectors: Basis(uncheckedStorage: vectors, dimension: p, count: kk), errorEstimate: bound,
      productCount: spent + secondPass)
  }

  /// H X for the `columns` columns of X (P × columns, column-major) into `out`, in block
  /// products of ``blockSize``; returns the operator products spent.
  /// - Throws: the operator's errors, or `.nonFinite` if a product holds NaN/Inf.
  /// - Complexity: `columns` products.
  private func products(
    _ op: some HessianOperator, of x: UnsafePointer<Float>, columns: Int,
    into out: UnsafeMutablePointer<Float>
  ) throws -> Int {
    let p = op.dimension
    let before = op.productCount
    var start = 0
    while start < columns {
      let b = min(blockSize, columns - start)
      let input = UnsafeBufferPointer(start: x + start * p, count: b * p)
      let output = UnsafeMutableBufferPointer(start: out + start * p, count: b * p)
      if b == 1 {
        try op.apply(input, into: output)
      } else {
        try op.apply(block: input, count: b, into: output)
      }
      start += b
    }
    let all = UnsafeBufferPointer(start: out, count: p * columns)
    if let bad = all.firstIndex(where: { !$0.isFinite }) {
      throw CurvatureError.nonFinite(name: "operator output", index: bad % p)
    }
    return op.productCount - before
  }
}
