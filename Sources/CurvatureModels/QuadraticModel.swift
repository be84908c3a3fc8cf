import Curvature

/// A quadratic objective ½ wᵀA w − bᵀw with a chosen spectrum: exact answers for curvature code.
///
/// A = Q Λ Qᵀ with the chosen eigenvalues Λ and a seeded random orthogonal Q (Haar, by
/// Gram–Schmidt on a Gaussian matrix). The objective is the mean of N per-sample quadratics
///
///   ℓ_i(w) = ½ wᵀA_i w − b_iᵀw,  A_i = Q diag(λ ⊙ s_i) Qᵀ,  b_i = A_i c_i,
///
/// whose curvature scales s_i (mean exactly 1 over the N samples) and centres c_i vary by
/// sample, so that the full-batch mean is exactly ½ wᵀA w − bᵀw with b = mean_i b_i, while
/// subsets of samples have their own, known Hessians Q diag(λ ⊙ mean s_i) Qᵀ. This gives
/// stabilisation estimators per-sample losses whose mean is the loss and an exact HVP.
/// The Gauss–Newton matrix equals the Hessian. Arithmetic is in Double internally.
public final class QuadraticModel: DifferentiableObjective, Sendable {
  /// The eigenvalues λ of the full-batch Hessian A, in the order given.
  public let eigenvalues: [Double]
  /// Q, column-major P × P (column k is the eigenvector of `eigenvalues[k]`).
  public let eigenvectors: [Double]
  /// P.
  public let parameterCount: Int
  /// N.
  public let sampleCount: Int
  /// Per-sample curvature scales s_ik (N × P, row-major, column means exactly 1).
  let scales: [Double]
  /// Per-sample centres in eigen-coordinates, Qᵀc_i (N × P, row-major).
  let centers: [Double]

  /// Creates a quadratic with Hessian spectrum `eigenvalues`.
  ///
  /// - Parameters:
  ///   - eigenvalues: the P eigenvalues of A (any signs; P ≥ 1).
  ///   - sampleCount: N ≥ 1 per-sample terms.
  ///   - curvatureSpread: standard deviation of the per-sample scales s_ik around 1.
  ///   - centerSpread: standard deviation of the per-sample centres around a common centre.
  ///   - seed: seeds Q, the common centre, the scales and the centres.
  /// - Throws: `CurvatureError` for an empty or non-finite spectrum, `sampleCount < 1`, or a
  ///   negative or non-finite spread.
  /// - Complexity: O(P³ + N P).
  public init(
    eigenvalues: [Double], sampleCount: Int = 1, curvatureSpread: Double = 0,
    centerSpread: Double = 0, seed: UInt64
  ) throws(CurvatureError) {
    let p = eigenvalues.count
    if p < 1 { throw .invalidArgument(name: "eigenvalues", reason: "empty spectrum") }
    if let i = eigenvalues.firstIndex(where: { !$0.isFinite }) {
      throw .nonFinite(name: "eigenvalues", index: i)
    }
    if sampleCount < 1 {
      throw .outOfRange(name: "sampleCount", value: Double(sampleCount), range: "[1, ∞)")
    }
    for (name, v) in [("curvatureSpread", curvatureSpread), ("centerSpread", centerSpread)]
    where !(v >= 0) || !v.isFinite {
      throw .outOfRange(name: name, value: v, range: "[0, ∞)")
    }
    var rng = SeededGenerator(seed: seed)
    var q = [Double](repeating: 0, count: p * p)
    var k = 0
    while k < p {
      var u = (0..<p).map { _ in rng.nextGaussian() }
      for _ in 0..<2 {
        for j in 0..<k {
          var d = 0.0
          for i in 0..<p { d += q[j * p + i] * u[i] }
          for i in 0..<p { u[i] -= d * q[j * p + i] }
        }
      }
      let n = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
      if n < 1e-8 { continue }
      for i in 0..<p { q[k * p + i] = u[i] / n }
      k += 1
    }
    let common = (0..<p).map { _ in rng.nextGaussian() }
    let n = sampleCount
    var s = [Double](repeating: 1, count: n * p)
    var c = [Double](repeating: 0, count: n * p)
    for i in 0..<n {
      for j in 0..<p {
        s[i * p + j] = 1 + curvatureSpread * rng.nextGaussian()
        c[i * p + j] = common[j] + centerSpread * rng.nextGaussian()
      }
    }
    for j in 0..<p {
      var m = 0.0
      for i in 0..<n { m += s[i * p + j] }
      m = m / Double(n) - 1
      for i in 0..<n { s[i * p + j] -= m }
    }
    self.eigenvalues = eigenvalues
    self.eigenvectors = q
    self.parameterCount = p
    self.sampleCount = n
    self.scales = s
    self.centers = c
  }

  /// Eigenvector k of A as a Float vector. - Complexity: O(P).
  public func eigenvector(_ k: Int) -> [Float] {
    (0..<parameterCount).map { Float(eigenvectors[k * parameterCount + $0]) }
  }

  /// The linear term b = mean_i b_i of the full-batch objective. - Complexity: O(N P + P²).
  public var linearTerm: [Double] {
    let p = parameterCount
    var y = [Double](repeating: 0, count: p)
    for i in 0..<sampleCount {
      for j in 0..<p { y[j] += eigenvalues[j] * scales[i * p + j] * centers[i * p + j] }
    }
    for j in 0..<p { y[j] /= Double(sampleCount) }
    return fromEigen(y)
  }

  /// The minimiser A⁻¹b of the full-batch objective, or nil if an eigenvalue is zero.
  /// - Complexity: O(N P + P²).
  public var minimizer: [Float]? {
    if eigenvalues.contains(0) { return nil }
    let p = parameterCount
    var y = [Double](repeating: 0, count: p)
    for i in 0..<sampleCount {
      for j in 0..<p { y[j] += scales[i * p + j] * centers[i * p + j] }
    }
    for j in 0..<p { y[j] /= Double(sampleCount) }
    return fromEigen(y).map { Float($0) }
  }

  /// The dense Hessian over `samples` (row-major P × P, Double).
  /// - Throws: `CurvatureError.invalidArgument` for bad samples.
  /// - Complexity: O(|samples| P + P³).
  public func hessian(samples: SampleSet) throws(CurvatureError) -> [Double] {
    try samples.validate(sampleCount: sampleCount)
    let d = meanCurvature(samples)
    let p = parameterCount
    var h = [Double](repeating: 0, count: p * p)
    for k in 0..<p {
      let col = k * p
      for i in 0..<p {
        let f = d[k] * eigenvectors[col + i]
        for j in 0..<p { h[i * p + j] += f * eigenvectors[col + j] }
      }
    }
    return h
  }

  // MARK: - DifferentiableObjective

  /// - Complexity: O(P² + |samples| P).
  public func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    try check(w, samples)
    var total = 0.0
    let y = toEigen(w)
    for i in samples.indexArray { total += sampleLoss(i, y) }
    return total / Double(samples.count)
  }

  /// - Complexity: O(P² + |samples| P).
  public func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    try check(w, samples)
    try checkOut("gradient", gradient.count, parameterCount)
    let p = parameterCount
    let y = toEigen(w)
    var g = [Double](repeating: 0, count: p)
    var total = 0.0
    for i in samples.indexArray {
      total += sampleLoss(i, y)
      for j in 0..<p { g[j] += eigenvalues[j] * scales[i * p + j] * (y[j] - centers[i * p + j]) }
    }
    let m = Double(samples.count)
    for j in 0..<p { g[j] /= m }
    let out = fromEigen(g)
    for j in 0..<p { gradient[j] = Float(out[j]) }
    return total / m
  }

  /// Exact H v. - Complexity: O(P² + |samples| P).
  public func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try check(w, samples)
    try checkOut("direction", v.count, parameterCount)
    try checkOut("out", out.count, parameterCount)
    let d = meanCurvature(samples)
    var y = toEigen(v)
    for j in 0..<parameterCount { y[j] *= d[j] }
    let r = fromEigen(y)
    for j in 0..<parameterCount { out[j] = Float(r[j]) }
  }

  /// `true`: this model computes exact Gauss–Newton products.
  public var providesGaussNewtonProducts: Bool { true }

  /// Equal to the HVP (the objective is quadratic). - Complexity: O(P² + |samples| P).
  public func gaussNewtonVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try hessianVectorProduct(at: w, samples: samples, direction: v, into: out)
  }

  /// - Complexity: O(P² + |samples| P).
  public func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    try check(w, samples)
    try checkOut("losses", losses.count, samples.count)
    let y = toEigen(w)
    for (k, i) in samples.indexArray.enumerated() { losses[k] = sampleLoss(i, y) }
  }

  // MARK: - Internals

  private func check(_ w: UnsafeBufferPointer<Float>, _ samples: SampleSet) throws(CurvatureError) {
    try checkOut("parameters", w.count, parameterCount)
    try samples.validate(sampleCount: sampleCount)
  }

  /// ℓ_i = ½ yᵀΛ_i y − (Λ_i d_i)ᵀ y in eigen-coordinates y = Qᵀw.
  private func sampleLoss(_ i: Int, _ y: [Double]) -> Double {
    let p = parameterCount
    var s = 0.0
    for j in 0..<p {
      let a = eigenvalues[j] * scales[i * p + j]
      s += a * y[j] * (0.5 * y[j] - centers[i * p + j])
    }
    return s
  }

  private func meanCurvature(_ samples: SampleSet) -> [Double] {
    let p = parameterCount
    var d = [Double](repeating: 0, count: p)
    for i in samples.indexArray {
      for j in 0..<p { d[j] += scales[i * p + j] }
    }
    let m = Double(samples.count)
    for j in 0..<p { d[j] = eigenvalues[j] * d[j] / m }
    return d
  }

  private func toEigen(_ w: UnsafeBufferPointer<Float>) -> [Double] {
    let p = parameterCount
    var y = [Double](repeating: 0, count: p)
    for k in 0..<p {
      var s = 0.0
      for i in 0..<p { s += eigenvectors[k * p + i] * Double(w[i]) }
      y[k] = s
    }
    return y
  }

  private func fromEigen(_ y: [Double]) -> [Double] {
    let p = parameterCount
    var w = [Double](repeating: 0, count: p)
    for k in 0..<p {
      let f = y[k]
      for i in 0..<p { w[i] += f * eigenvectors[k * p + i] }
    }
    return w
  }
}
