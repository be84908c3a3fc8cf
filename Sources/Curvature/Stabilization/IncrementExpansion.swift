/// The second-order model of the loss increment L_{k+1} − L_k in a D-dimensional subspace around w*.
///
/// With U_D an orthonormal basis and w = w* + U_D z,
///
///     L_{k+1}(w) − L_k(w) ≈ a + cᵀz + ½ zᵀBz,
///
/// where a = L_{k+1}(w*) − L_k(w*), c = U_Dᵀ(g^(k+1) − g^(k)) and B = U_Dᵀ(H^(k+1) − H^(k))U_D
/// (symmetrised). The gradient term is kept: w* need not be a stationary point.
///
/// For z ~ N(0, σ² I_D) the mean square of the model has the Gaussian-moment closed form
///
///     E[(a + cᵀz + ½zᵀBz)²] = a² + aσ² tr B + σ²‖c‖² + (σ⁴/4)(2 tr B² + (tr B)²),
///
/// which follows from E[z] = 0, E[zzᵀ] = σ²I, the vanishing odd moments and
/// E[(zᵀBz)²] = σ⁴(2 tr B² + (tr B)²) for symmetric B.
public struct IncrementExpansion: Sendable, Equatable {
  /// The increment at w*: a = L_{k+1}(w*) − L_k(w*) (loss units).
  public let value: Double
  /// c = U_Dᵀ(g^(k+1) − g^(k)) (length D).
  public let gradient: [Double]
  /// B = U_Dᵀ(H^(k+1) − H^(k))U_D, symmetric, row-major D × D.
  public let hessian: [Double]
  /// The subspace dimension D.
  public let dimension: Int

  /// Creates an expansion from a, c and B; B is symmetrised as (B + Bᵀ)/2.
  /// - Throws: `CurvatureError` if `hessian.count != D²` or any value is NaN/Inf.
  /// - Complexity: O(D²).
  public init(value: Double, gradient: [Double], hessian: [Double]) throws(CurvatureError) {
    let d = gradient.count
    try Validate.count("hessian", hessian.count, d * d)
    if !value.isFinite { throw .nonFinite(name: "value", index: 0) }
    try Validate.finite("gradient", gradient)
    try Validate.finite("hessian", hessian)
    self.init(unchecked: value, gradient: gradient, hessian: hessian)
  }

  init(unchecked value: Double, gradient: [Double], hessian: [Double]) {
    let d = gradient.count
    var sym = hessian
    SmallMatrix.symmetrize(&sym, order: d)
    self.value = value
    self.gradient = gradient
    self.hessian = sym
    self.dimension = d
  }

  /// tr B.
  /// - Complexity: O(D).
  public var hessianTrace: Double {
    var t = 0.0
    for i in 0..<dimension { t += hessian[i * dimension + i] }
    return t
  }

  /// tr B² = ‖B‖_F² (B symmetric).
  /// - Complexity: O(D²).
  public var hessianSquaredTrace: Double {
    var t = 0.0
    for x in hessian { t += x * x }
    return t
  }

  /// The Gaussian-moment closed form Δ̂_GM = a² + aσ² tr B + σ²‖c‖² + (σ⁴/4)(2 tr B² + (tr B)²):
  /// the exact mean square of the quadratic model under z ~ N(0, σ² I_D).
  /// - Parameter sigma: the probe standard deviation σ (parameter units), > 0.
  /// - Complexity: O(D²).
  public func gaussianMoment(sigma: Double) -> Double {
    let s2 = sigma * sigma
    let tr = hessianTrace
    var cc = 0.0
    for x in gradient { cc += x * x }
    return value * value + value * s2 * tr + s2 * cc
      + 0.25 * s2 * s2 * (2 * hessianSquaredTrace + tr * tr)
  }

  /// The model a + cᵀz + ½zᵀBz at subspace coordinates `z` (length D).
  /// - Complexity: O(D²).
  public func evaluate(_ z: [Double]) -> Double {
    precondition(z.count == dimension)
    var lin = 0.0
    var quad = 0.0
    for i in 0..<dimension {
      lin += gradient[i] * z[i]
      var row = 0.0
      for j in 0..<dimension { row += hessian[i * dimension + j] * z[j] }
      quad += z[i] * row
    }
    return value + lin + 0.5 * quad
  }

  /// Quadratic Monte Carlo: the mean of (a + cᵀz_s + ½z_sᵀBz_s)² over `probes` draws
  /// z_s ~ N(0, σ² I_D), with its Monte Carlo standard error.
  /// - Complexity: O(S D²) for S = `probes`.
  public func quadraticMonteCarlo(
    sigma: Double, probes: Int, generator: inout SeededGenerator
  ) -> (mean: Double, standardError: Double) {
    var stats = RunningMoments()
    var z = [Double](repeating: 0, count: dimension)
    for _ in 0..<max(probes, 1) {
      for i in 0..<dimension { z[i] = sigma * generator.nextGaussian() }
      let q = evaluate(z)
      stats.add(q * q)
    }
    return (stats.mean, stats.standardError)
  }
}

/// Welford's running mean and variance (Double), for Monte Carlo standard errors.
struct RunningMoments: Sendable {
  private(set) var count = 0
  private(set) var mean = 0.0
  private var m2 = 0.0

  mutating func add(_ x: Double) {
    count += 1
    let d = x - mean
    mean += d / Double(count)
    m2 += d * (x - mean)
  }

  /// The sample variance (n − 1 denominator); 0 for fewer than two values.
  var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }
  /// The standard error of the mean; 0 for fewer than two values.
  var standardError: Double { count > 1 ? (variance / Double(count)).squareRoot() : 0 }
}
