/// Settings for ``Lanczos``.
public struct LanczosConfiguration: Sendable, Hashable {
  /// Relative residual tolerance: a pair converges when ‖H u − θ u‖ ≤ tolerance · |θ|.
  public var tolerance: Double = 1e-4
  /// The maximum number of operator products (HVPs) to spend.
  public var maxProducts: Int = 5000
  /// Which end of the spectrum to compute.
  public var target: EigenTarget = .largest
  /// Seed for the random start vector (and breakdown restarts).
  public var seed: UInt64 = 0

  /// Creates a configuration.
  public init(
    tolerance: Double = 1e-4, maxProducts: Int = 5000, target: EigenTarget = .largest,
    seed: UInt64 = 0
  ) {
    self.tolerance = tolerance
    self.maxProducts = maxProducts
    self.target = target
    self.seed = seed
  }
}

/// Lanczos iteration with full reorthogonalisation for extreme eigenpairs of a symmetric operator.
public struct Lanczos: Sendable {
  /// The settings.
  public var configuration: LanczosConfiguration

  /// Creates a solver.
  public init(configuration: LanczosConfiguration = LanczosConfiguration()) {
    self.configuration = configuration
  }

  /// The `k` extreme eigenpairs of `op`, optionally warm-started from a previous basis.
  /// - Throws: `CurvatureError` if `k` is not in 1..<P, the warm start has the wrong dimension,
  ///   or the operator returns NaN/Inf.
  /// - Complexity: O(m) products and O(P m²) vector work for a Krylov dimension m.
  public func eigenpairs(of op: some HessianOperator, count k: Int, warmStart: Basis? = nil)
    throws -> EigenResult
  {
    let p = op.dimension
    if k < 1 || k >= p {
      throw CurvatureError.outOfRange(name: "k", value: Double(k), range: "[1, \(p - 1)]")
    }
    if let w = warmStart, w.dimension != p {
      throw CurvatureError.dimensionMismatch(name: "warmStart", expected: p, actual: w.dimension)
    }
    let tol = configuration.tolerance
    let sign: Double = configuration.target == .largest ? 1 : -1
    var rng = SeededGenerator(seed: configuration.seed)
    let start0 = op.productCount
    var q = Basis(dimension: p)
    var alphas: [Double] = []
    var betas: [Double] = []
    var v: [Float]
    if let w = warmStart, w.count > 0 {
      v = [Float](repeating: 0, count: p)
      for j in 0..<w.count { Kernels.axpy(1, w.column(j), &v) }
      let noise = rng.gaussianVector(count: p, standardDeviation: 1e-3 / Double(p).squareRoot())
      Kernels.axpy(1, noise, &v)
    } else {
      v = rng.gaussianVector(count: p)
    }
    _ = q.append(orthogonalizing: v)
    var hq = [Float](repeating: 0, count: p)
    let maxDim = min(p, max(configuration.maxProducts - k, k + 1))
    var iterations = 0
    while true {
      let m = q.count
      try q.withColumn(m - 1) { col in
        try hq.withUnsafeMutableBufferPointer { try op.apply(col, into: $0) }
      }
      if let bad = hq.firstIndex(where: { !$0.isFinite }) {
        throw CurvatureError.nonFinite(name: "operator output", index: bad)
      }
      let alpha = q.withColumn(m - 1) { col in hq.withUnsafeBufferPointer { Kernels.dot(col, $0) } }
      alphas.append(alpha)
      var r = hq
      let c = q.coefficients(of: r)
      let pr = q.combine(c)
      for i in 0..<p { r[i] -= pr[i] }
      let c2 = q.coefficients(of: r)
      let pr2 = q.combine(c2)
      for i in 0..<p { r[i] -= pr2[i] }
      let beta = Kernels.norm(r)
      let done = q.count >= maxDim
      if m >= k && (m % 5 == 0 || done || beta < 1e-10) {
        iterations += 1
        let t = tridiagonal(alphas, betas, sign: sign)
        let eig = SymmetricEigensolver.jacobi(t, order: m)
        var estimatesOK = true
        for i in 0..<k {
          let est = abs(beta * eig.vectors[i * m + m - 1])
          if est > tol * abs(eig.values[i]) * 0.5 { estimatesOK = false }
        }
        if estimatesOK || done || beta < 1e-10 && q.count + 1 > p {
          return try finish(op: op, q: q, eig: eig, k: k, sign: sign, start: start0, iterations: iterations)
        }
      }
      if done {
        let t = tridiagonal(alphas, betas, sign: sign)
        let eig = SymmetricEigensolver.jacobi(t, order: m)
        return try finish(op: op, q: q, eig: eig, k: k, sign: sign, start: start0, iterations: iterations)
      }
      if beta < 1e-7 * max(abs(alpha), 1e-30) {
        // Invariant subspace: continue from a fresh random direction orthogonal to Q.
        betas.append(0)
        var added = false
        while !added { added = q.append(orthogonalizing: rng.gaussianVector(count: p)) }
      } else {
        betas.append(beta)
        let inv = Float(1 / beta)
        _ = q.append(orthogonalizing: r.map { $0 * inv })
      }
    }
  }

  private func tridiagonal(_ a: [Double], _ b: [Double], sign: Double) -> [Double] {
    let m = a.count
    var t = [Double](repeating: 0, count: m * m)
    for i in 0..<m { t[i * m + i] = sign * a[i] }
    for i in 0..<(m - 1) {
      t[i * m + i + 1] = sign * b[i]
      t[(i + 1) * m + i] = sign * b[i]
    }
    return t
  }

  private func finish(
    op: some HessianOperator, q: Basis, eig: SymmetricEigendecomposition, k: Int, sign: Double,
    start: Int, iterations: Int
  ) throws -> EigenResult {
    let m = eig.order
    let p = q.dimension
    var values: [Double] = []
    var residuals: [Double] = []
    var converged: [Bool] = []
    var storage: [Float] = []
    storage.reserveCapacity(p * k)
    var hu = [Float](repeating: 0, count: p)
    for i in 0..<k {
      let y = Array(eig.vectors[(i * m)..<((i + 1) * m)])
      var u = q.combine(y)
      let n = Kernels.norm(u)
      Kernels.scale(Float(1 / n), &u)
      try u.withUnsafeBufferPointer { up in try hu.withUnsafeMutableBufferPointer { try op.apply(up, into: $0) } }
      let theta = sign * eig.values[i]
      var res = 0.0
      for j in 0..<p {
        let d = Double(hu[j]) - theta * Double(u[j])
        res += d * d
      }
      res = res.squareRoot()
      values.append(theta)
      residuals.append(res)
      converged.append(res <= configuration.tolerance * abs(theta))
      storage.append(contentsOf: u)
    }
    return EigenResult(
      eigenvalues: values, vectors: Basis(uncheckedStorage: storage, dimension: p, count: k),
      residuals: residuals, converged: converged, productCount: op.productCount - start,
      iterations: iterations, tolerance: configuration.tolerance)
  }
}
