import Foundation

/// The spectral density of H by stochastic Lanczos quadrature (SLQ), smoothed by a Gaussian.
///
/// For each of `probes` random unit vectors z, `steps` Lanczos steps (full reorthogonalisation)
/// give a tridiagonal T whose eigenvalues θⱼ and squared first eigenvector components τⱼ form a
/// Gauss quadrature rule for zᵀ f(H) z. The density is
/// φ(t) = (1/probes) Σ_z Σⱼ τⱼ g_σ(t − θⱼ), with g_σ the normalised Gaussian of width σ,
/// an estimate of (1/P) Σᵢ g_σ(t − λᵢ); it integrates to 1.
public struct SpectralDensity: Sendable {
  /// The grid points t (equally spaced).
  public var grid: [Double]
  /// φ(t) on the grid.
  public var density: [Double]
  /// Quadrature nodes θ from all probes.
  public var nodes: [Double]
  /// Quadrature weights (sum to 1 over all probes).
  public var weights: [Double]
  /// The Gaussian width σ.
  public var width: Double
  /// Operator products spent.
  public var productCount: Int

  /// The integral of φ over the grid (trapezoid rule); ≈ 1 when the grid covers the spectrum.
  public var integral: Double {
    guard grid.count > 1 else { return 0 }
    let h = grid[1] - grid[0]
    var s = 0.0
    for i in 0..<grid.count { s += (i == 0 || i == grid.count - 1 ? 0.5 : 1) * density[i] }
    return s * h
  }

  /// Estimates the density of `op`.
  /// - Parameters:
  ///   - op: the symmetric operator (usually a Hessian).
  ///   - steps: Lanczos steps per probe (quadrature nodes), at most P.
  ///   - probes: random probe vectors (Rademacher, normalised).
  ///   - gridPoints: points of the output grid.
  ///   - width: Gaussian σ; `nil` means 1% of the spectral range found.
  ///   - range: the grid's interval; `nil` means the node range padded by 5σ.
  ///   - seed: seed of the probe vectors.
  /// - Throws: `CurvatureError` for out-of-range settings or NaN/Inf operator output.
  /// - Complexity: probes · steps products and O(P · steps²) vector work per probe.
  public init(
    of op: some HessianOperator, steps: Int = 40, probes: Int = 8, gridPoints: Int = 400,
    width: Double? = nil, range: ClosedRange<Double>? = nil, seed: UInt64 = 0
  ) throws {
    let p = op.dimension
    if steps < 1 || steps > p {
      throw CurvatureError.outOfRange(name: "steps", value: Double(steps), range: "[1, \(p)]")
    }
    if probes < 1 {
      throw CurvatureError.outOfRange(name: "probes", value: Double(probes), range: "[1, ∞)")
    }
    if gridPoints < 2 {
      throw CurvatureError.outOfRange(
        name: "gridPoints", value: Double(gridPoints), range: "[2, ∞)")
    }
    if let width, !(width > 0) || !width.isFinite {
      throw CurvatureError.outOfRange(name: "width", value: width, range: "(0, ∞)")
    }
    if let range,
      !(range.upperBound > range.lowerBound) || !range.lowerBound.isFinite
        || !range.upperBound.isFinite
    {
      throw CurvatureError.invalidArgument(
        name: "range", reason: "must be a finite interval of positive length")
    }
    var rng = SeededGenerator(seed: seed)
    var nodes: [Double] = []
    var weights: [Double] = []
    let start = op.productCount
    var spent = 0
    var hv = [Float](repeating: 0, count: p)
    for _ in 0..<probes {
      var q = try Basis(dimension: p)
      let z = rng.rademacherVector(count: p)
      q.append(orthogonalizing: z)
      var alpha: [Double] = []
      var beta: [Double] = []
      for j in 0..<steps {
        try q.withColumn(j) { col in
          try hv.withUnsafeMutableBufferPointer { try op.apply(col, into: $0) }
        }
        spent += 1
        if let bad = hv.firstIndex(where: { !$0.isFinite }) {
          throw CurvatureError.nonFinite(name: "operator output", index: bad)
        }
        alpha.append(q.withColumn(j) { col in hv.withUnsafeBufferPointer { Kernels.dot(col, $0) } })
        if j == steps - 1 { break }
        let before = q.count
        var r = hv
        for _ in 0..<2 {
          let c = q.coefficients(of: r)
          let pc = q.combine(c)
          for i in 0..<p { r[i] -= pc[i] }
        }
        let b = Kernels.norm(r)
        if b <= 1e-6 * max(Kernels.norm(hv), 1e-300) { break }  // invariant subspace: exact rule
        q.append(orthogonalizing: r.map { $0 * Float(1 / b) })
        if q.count == before { break }
        beta.append(b)
      }
      let n = alpha.count
      let e = try SymmetricTridiagonalEigensolver.decompose(
        diagonal: alpha, offDiagonal: Array(beta.prefix(n - 1)))
      for t in 0..<n {
        let first = e.vectors[t * n]
        nodes.append(e.values[t])
        weights.append(first * first / Double(probes))
      }
    }
    let lo0 = nodes.min() ?? 0
    let hi0 = nodes.max() ?? 0
    let sigma = width ?? max(0.01 * (hi0 - lo0), 1e-12 * max(abs(lo0), abs(hi0), 1))
    let interval = range ?? ((lo0 - 5 * sigma)...(hi0 + 5 * sigma))
    let h = (interval.upperBound - interval.lowerBound) / Double(gridPoints - 1)
    var grid = [Double](repeating: 0, count: gridPoints)
    var density = [Double](repeating: 0, count: gridPoints)
    let norm = 1 / (sigma * (2 * Double.pi).squareRoot())
    for i in 0..<gridPoints {
      let t = interval.lowerBound + Double(i) * h
      grid[i] = t
      var s = 0.0
      for (x, w) in zip(nodes, weights) {
        let u = (t - x) / sigma
        if abs(u) < 12 { s += w * exp(-0.5 * u * u) }
      }
      density[i] = s * norm
    }
    _ = start
    self.grid = grid
    self.density = density
    self.nodes = nodes
    self.weights = weights
    self.width = sigma
    self.productCount = spent
  }
}
