/// Error bars for the top-k eigenpairs of a sub-sampled Hessian: each eigenvalue, the subspace,
/// and optionally the gradient's share in it. Made by ``BatchJackknife/eigenvalues(of:target:gradient:)``.
public struct EigenvalueUncertainty: Sendable, Equatable, Codable {
  /// One interval per eigenvalue (descending), for the eigenvalue of the Hessian over all
  /// ``populationCount`` samples.
  public var eigenvalues: [UncertainValue]
  /// E‖sin Θ(Û, U)‖²_F/k subtracted from 1: the expected overlap ‖ÛᵀU‖²_F/k between the
  /// batch's top-k subspace Û and the all-samples one U.
  public var expectedOverlapWithAllSamples: Double
  /// The expected overlap between the subspaces of two independent batches of this size.
  public var expectedOverlapBetweenEstimates: Double
  /// f_top = ‖Uᵀg‖²/‖g‖² of the batch gradient g, with its interval (when asked for).
  public var gradientTopFraction: UncertainValue?
  /// The Hessian batch size n.
  public var sampleCount: Int
  /// The number of samples N the intervals refer to.
  public var populationCount: Int
  /// The number of jackknife groups G.
  public var groups: Int
  /// HVP directions computed on sub-batches (G · k; their sample work equals k full-batch HVPs;
  /// 0 when the batch is every sample).
  public var productCount: Int
  /// Gradient evaluations on sub-batches (G, one full-batch gradient of work; 0 if none).
  public var gradientCount: Int

  /// The lower ends, one per eigenvalue.
  public var lowerBounds: [Double] { eigenvalues.map(\.lower) }
  /// The upper ends, one per eigenvalue.
  public var upperBounds: [Double] { eigenvalues.map(\.upper) }
  /// The sampling standard errors, one per eigenvalue.
  public var samplingStandardErrors: [Double] { eigenvalues.map(\.samplingStandardError) }
}

/// Error bars for the spectral density's summary numbers from Hutchinson probes, with sampling
/// and probe errors apart. Made by ``BatchJackknife/spectralMoments(probes:seed:)``.
public struct SpectralMomentsUncertainty: Sendable, Equatable, Codable {
  /// tr(H).
  public var trace: UncertainValue
  /// The mean eigenvalue tr(H)/P (the density's first moment).
  public var meanEigenvalue: UncertainValue
  /// The mean squared eigenvalue tr(H²)/P (the density's second moment).
  public var secondMoment: UncertainValue
  /// The standard deviation of the eigenvalue distribution, √(tr(H²)/P − (tr(H)/P)²).
  public var spread: UncertainValue
  /// Probe vectors used.
  public var probes: Int
  /// HVP directions computed on sub-batches (G · probes: the sample work of `probes` full HVPs,
  /// what plain Hutchinson on the batch costs).
  public var productCount: Int
}
