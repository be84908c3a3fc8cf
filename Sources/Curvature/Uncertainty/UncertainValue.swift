/// A curvature number with its error bars, the sampling part kept apart from the numerical part.
///
/// `estimate` is the best value for the quantity over *all* samples of the population (the
/// bias-corrected measurement); `raw` is what was measured on the batch. With
/// h = t · √(samplingStandardError² + probeStandardError²) + solverErrorBound, where t is the
/// two-sided Student-t multiplier at ``confidence`` for ``degreesOfFreedom``, the interval is
/// [min(raw, estimate) − h, max(raw, estimate) + h]: statistical errors add in quadrature, the
/// solver's deterministic bound is added on top, and because a bias estimate is itself noisy the
/// interval reaches h beyond both the measured and the corrected value (without a bias it is
/// simply estimate ± h).
public struct UncertainValue: Sendable, Equatable, Codable {
  /// The best estimate of the all-samples value (after bias correction, if any).
  public var estimate: Double
  /// The value measured on the batch, before bias correction.
  public var raw: Double
  /// The estimated upward (positive) or downward bias of `raw` removed to get `estimate`.
  public var bias: Double
  /// Standard error from which samples are in the batch (0 when the batch is every sample).
  public var samplingStandardError: Double
  /// Standard error of random probes (Hutchinson, Monte Carlo; 0 for exact quantities).
  public var probeStandardError: Double
  /// A deterministic bound on the solver's error (Ritz residual bound; 0 when none applies).
  public var solverErrorBound: Double
  /// The confidence level C of the interval, in (0, 1).
  public var confidence: Double
  /// The degrees of freedom of the t multiplier (groups − 1); 0 when there is no sampling error.
  public var degreesOfFreedom: Int
  /// The interval's lower end.
  public var lower: Double
  /// The interval's upper end.
  public var upper: Double

  /// Builds the interval from its parts (see the type's discussion). `degreesOfFreedom` 0 uses
  /// the normal multiplier (for a probe-only error). Endpoints are clamped to `bounds` when given.
  /// - Complexity: O(1).
  public init(
    estimate: Double, raw: Double, samplingStandardError: Double, probeStandardError: Double = 0,
    solverErrorBound: Double = 0, confidence: Double, degreesOfFreedom: Int,
    bounds: ClosedRange<Double>? = nil
  ) {
    self.estimate = estimate
    self.raw = raw
    self.bias = raw - estimate
    self.samplingStandardError = samplingStandardError
    self.probeStandardError = probeStandardError
    self.solverErrorBound = solverErrorBound
    self.confidence = confidence
    self.degreesOfFreedom = degreesOfFreedom
    let statistical =
      (samplingStandardError * samplingStandardError + probeStandardError * probeStandardError)
      .squareRoot()
    let t =
      statistical == 0
      ? 0
      : StudentT.twoSidedMultiplier(
        confidence: confidence,
        degreesOfFreedom: max(degreesOfFreedom, 0) == 0 ? 100_000 : degreesOfFreedom)
    let half = t * statistical + solverErrorBound
    var lo = min(raw, estimate) - half
    var hi = max(raw, estimate) + half
    if let bounds {
      lo = min(max(lo, bounds.lowerBound), bounds.upperBound)
      hi = min(max(hi, bounds.lowerBound), bounds.upperBound)
    }
    self.lower = lo
    self.upper = hi
  }

  /// The statistical half-width h without the bias span: t · √(sampling² + probe²) plus the
  /// solver bound.
  public var errorHalfWidth: Double {
    let statistical =
      (samplingStandardError * samplingStandardError + probeStandardError * probeStandardError)
      .squareRoot()
    if statistical == 0 { return solverErrorBound }
    let nu = degreesOfFreedom == 0 ? 100_000 : degreesOfFreedom
    return StudentT.twoSidedMultiplier(confidence: confidence, degreesOfFreedom: nu) * statistical
      + solverErrorBound
  }

  /// Half the interval's width.
  public var halfWidth: Double { 0.5 * (upper - lower) }
  /// Whether `value` lies in [lower, upper].
  public func contains(_ value: Double) -> Bool { value >= lower && value <= upper }
}
