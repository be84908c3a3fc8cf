/// A stabilisation curve Δ(k) over a grid of sample counts, averaged over seeded sample orders.
///
/// Point i measures adding sample k_i + 1 to the first k_i samples of each order. `mean` is the
/// average over orders; `standardError` is the standard error of that average across orders
/// (with one order, the Monte Carlo standard error of its probes; 0 for deterministic methods).
public struct StabilizationCurve: Sendable, Equatable {
  /// The method that produced the curve.
  public var method: StabilizationMethod
  /// The probe scale σ used.
  public var sigma: Double
  /// The subspace dimension D (0 for methods without a subspace).
  public var subspaceDimension: Int
  /// The sample counts k (strictly increasing).
  public var sampleCounts: [Int]
  /// Δ(k) averaged over orders (squared loss units; loss units for ``StabilizationMethod/pointwise``).
  public var mean: [Double]
  /// The standard error of each mean.
  public var standardError: [Double]
  /// Per-order values: `perOrder[r][i]` is order r at `sampleCounts[i]`.
  public var perOrder: [[Double]]
  /// Within-order Monte Carlo standard errors, `[r][i]` (0 for deterministic methods).
  public var monteCarloStandardError: [[Double]]
  /// Hessian-vector products spent (eigenvectors and B).
  public var productCount: Int
  /// Per-sample loss evaluations spent (forward passes, counted per sample).
  public var sampleLossCount: Int
  /// How many of the (order, k) subspaces U_D had Lanczos pairs above the tolerance (reported,
  /// not hidden: loosen ``StabilizationConfiguration/lanczos`` limits if this is not 0).
  public var unconvergedSubspaces: Int = 0

  /// Creates a curve (for curves measured elsewhere, e.g. to hand to a ``TrainingMonitor``).
  /// `perOrder` and `monteCarloStandardError` may be empty.
  /// - Complexity: O(1).
  public init(
    method: StabilizationMethod, sigma: Double, subspaceDimension: Int, sampleCounts: [Int],
    mean: [Double], standardError: [Double], perOrder: [[Double]] = [],
    monteCarloStandardError: [[Double]] = [], productCount: Int = 0, sampleLossCount: Int = 0,
    unconvergedSubspaces: Int = 0
  ) {
    self.method = method
    self.sigma = sigma
    self.subspaceDimension = subspaceDimension
    self.sampleCounts = sampleCounts
    self.mean = mean
    self.standardError = standardError
    self.perOrder = perOrder
    self.monteCarloStandardError = monteCarloStandardError
    self.productCount = productCount
    self.sampleLossCount = sampleLossCount
    self.unconvergedSubspaces = unconvergedSubspaces
  }

  /// The least-squares slope of log Δ against log k over the points with a positive, finite
  /// mean (about −2 when the landscape stabilises at the O(k⁻²) rate); `nil` with fewer than
  /// two such points.
  /// - Complexity: O(grid size).
  public var slope: Double? {
    StabilizationCurve.logLogSlope(sampleCounts: sampleCounts, values: mean)
  }

  /// The sufficient sample size m*(ε): the smallest k on the grid with Δ(k) ≤ ε, or `nil`.
  /// - Throws: `CurvatureError` if `epsilon` is negative or not finite.
  /// - Complexity: O(grid size).
  public func sufficientSampleSize(epsilon: Double) throws(CurvatureError) -> Int? {
    if !(epsilon >= 0) || !epsilon.isFinite {
      throw .outOfRange(name: "epsilon", value: epsilon, range: "[0, ∞)")
    }
    for (k, d) in zip(sampleCounts, mean) where d <= epsilon { return k }
    return nil
  }

  /// The least-squares slope of log(value) on log(k), skipping non-positive or non-finite
  /// values; `nil` with fewer than two usable points.
  /// - Complexity: O(n).
  public static func logLogSlope(sampleCounts: [Int], values: [Double]) -> Double? {
    logLogFit(sampleCounts: sampleCounts, values: values)?.slope
  }

  /// The least-squares line log₁₀ value = intercept + slope · log₁₀ k over the points with
  /// k > 0 and a positive finite value; `nil` with fewer than two usable points or when all
  /// usable k are equal.
  /// - Complexity: O(n).
  public static func logLogFit(sampleCounts: [Int], values: [Double])
    -> (slope: Double, intercept: Double)?
  {
    let ln10 = _log(10.0)
    var xs: [Double] = []
    var ys: [Double] = []
    for (k, v) in zip(sampleCounts, values) where v > 0 && v.isFinite && k > 0 {
      xs.append(_log(Double(k)) / ln10)
      ys.append(_log(v) / ln10)
    }
    guard xs.count >= 2 else { return nil }
    let n = Double(xs.count)
    let mx = xs.reduce(0, +) / n
    let my = ys.reduce(0, +) / n
    var sxy = 0.0
    var sxx = 0.0
    for (x, y) in zip(xs, ys) {
      sxy += (x - mx) * (y - my)
      sxx += (x - mx) * (x - mx)
    }
    guard sxx > 0 else { return nil }
    let slope = sxy / sxx
    return (slope, my - slope * mx)
  }
}
