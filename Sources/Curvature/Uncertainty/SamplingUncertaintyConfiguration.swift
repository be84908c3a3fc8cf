/// Settings of the sampling-error estimates of ``BatchJackknife``.
///
/// The Hessian batch is split into `groups` disjoint sub-batches by a seeded shuffle; the
/// delete-one-group jackknife over them gives standard errors and the bias correction.
public struct SamplingUncertaintyConfiguration: Sendable, Hashable, Codable {
  /// The number of disjoint sub-batches G (2 ≤ G; capped at the batch size). More groups give
  /// a steadier standard error (G − 1 degrees of freedom) at the price of smaller HVP calls; the
  /// sample work is the same for any G.
  public var groups: Int
  /// The confidence level C of the intervals, in (0, 1).
  public var confidence: Double
  /// Seed of the shuffle that assigns samples to groups.
  public var seed: UInt64
  /// Whether the jackknife estimate of the bias of sub-sampled eigenvalues is removed.
  public var biasCorrection: Bool
  /// The eigenvalue level assumed for the Hessian outside the computed top-k subspace when the
  /// coupling of a sub-batch's noise to that complement is modelled (0: a bulk near zero, as for
  /// cross-entropy losses).
  public var bulkLevel: Double

  /// Creates a configuration. - Complexity: O(1).
  public init(
    groups: Int = 16, confidence: Double = 0.95, seed: UInt64 = 0, biasCorrection: Bool = true,
    bulkLevel: Double = 0
  ) {
    self.groups = groups
    self.confidence = confidence
    self.seed = seed
    self.biasCorrection = biasCorrection
    self.bulkLevel = bulkLevel
  }

  /// Checks the settings.
  /// - Throws: `CurvatureError.outOfRange` naming the bad setting.
  public func validate() throws(CurvatureError) {
    if groups < 2 {
      throw .outOfRange(name: "groups", value: Double(groups), range: "[2, ∞)")
    }
    if !(confidence > 0 && confidence < 1) {
      throw .outOfRange(name: "confidence", value: confidence, range: "(0, 1)")
    }
    if !bulkLevel.isFinite {
      throw .outOfRange(name: "bulkLevel", value: bulkLevel, range: "finite")
    }
  }
}
