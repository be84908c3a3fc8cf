/// Settings shared by the stabilisation estimators.
public struct StabilizationConfiguration: Sendable, Hashable {
  /// The probe standard deviation σ in parameter units (the paper keeps σ ≤ 1e-3).
  public var sigma: Double = 1e-3
  /// The subspace dimension D of the curvature-aligned methods (top-D eigenvectors of H^(k)).
  public var subspaceDimension: Int = 10
  /// Monte Carlo probes S per sample count and order.
  public var probeCount: Int = 64
  /// The number of seeded sample orders the curve is averaged over.
  public var orderCount: Int = 4
  /// Seed for the sample orders and the probes.
  public var seed: UInt64 = 0
  /// Settings of the Lanczos solve for U_D (its seed is derived from ``seed``).
  public var lanczos: LanczosConfiguration = LanczosConfiguration(tolerance: 1e-3, maxProducts: 400)

  /// Creates a configuration.
  /// - Complexity: O(1).
  public init(
    sigma: Double = 1e-3, subspaceDimension: Int = 10, probeCount: Int = 64, orderCount: Int = 4,
    seed: UInt64 = 0,
    lanczos: LanczosConfiguration = LanczosConfiguration(tolerance: 1e-3, maxProducts: 400)
  ) {
    self.sigma = sigma
    self.subspaceDimension = subspaceDimension
    self.probeCount = probeCount
    self.orderCount = orderCount
    self.seed = seed
    self.lanczos = lanczos
  }

  /// Checks every field.
  /// - Throws: `CurvatureError` naming the first bad field.
  /// - Complexity: O(1).
  public func validate() throws(CurvatureError) {
    try Validate.positive("sigma", sigma)
    if subspaceDimension < 1 {
      throw .outOfRange(
        name: "subspaceDimension", value: Double(subspaceDimension), range: "[1, P − 1]")
    }
    if probeCount < 1 {
      throw .outOfRange(name: "probeCount", value: Double(probeCount), range: "[1, ∞)")
    }
    if orderCount < 1 {
      throw .outOfRange(name: "orderCount", value: Double(orderCount), range: "[1, ∞)")
    }
    try Validate.positive("lanczos.tolerance", lanczos.tolerance)
    if lanczos.maxProducts < 1 {
      throw .outOfRange(
        name: "lanczos.maxProducts", value: Double(lanczos.maxProducts), range: "[1, ∞)")
    }
  }
}
