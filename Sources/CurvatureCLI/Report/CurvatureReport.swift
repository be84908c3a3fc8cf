/// Everything a report shows: the runs of several optimizers from one initial point, the
/// curvature measured along the way, and the stabilisation curves. Plain values; the writer turns
/// them into HTML, CSV and JSON.
struct CurvatureReport {
  /// One optimizer's run.
  struct Run {
    var optimizer: String
    var learningRate: Double
    /// Optimizer steps taken.
    var stepsTaken = 0
    /// Steps at which `losses` were recorded (training loss on the minibatch or the full set).
    var steps: [Int] = []
    var losses: [Double] = []
    var finalTrainLoss: Double = .nan
    var testAccuracy: Double = .nan
    var hessianVectorProducts = 0
    var seconds = 0.0
    /// Sharpness λ₁ at the refresh steps.
    var sharpnessSteps: [Int] = []
    var sharpness: [Double] = []
    /// The ends of λ₁'s confidence interval at each sharpness point (empty if not measured).
    var sharpnessLower: [Double] = []
    var sharpnessUpper: [Double] = []
    /// Gradient alignment f_top = ‖P_dom g‖² / ‖g‖² (per step or sampled).
    var alignmentSteps: [Int] = []
    var alignment: [Double] = []
    /// Why the run ended ("completed", "stabilised at step 340", "diverged", ...).
    var ending = "completed"
  }

  /// One refresh of the dominant subspace (of the reference run).
  struct Refresh {
    var step: Int
    /// Top-k eigenvalues, descending.
    var eigenvalues: [Double]
    /// ‖UᵀV‖²_F / k against the previous basis (nil for the first).
    var overlap: Double?
    var hessianVectorProducts: Int
    var residualMax: Double = .nan
  }

  /// A Δ₂^(D)(k) curve measured at one training step.
  struct StabilizationCurve {
    var step: Int
    var k: [Int]
    var delta: [Double]
    var standardError: [Double]
    /// Fitted log–log slope and intercept: log₁₀ Δ ≈ intercept + slope · log₁₀ k.
    var slope: Double
    var intercept: Double
  }

  var title = "Curvature report"
  /// Settings shown in the header, in order (model, data, k, η, seed, ...).
  var settings: [(String, String)] = []
  /// Dominant-subspace dimension k and parameter count P (chance level k/P).
  var k = 10
  var parameterCount = 1
  var classCount = 10
  var runs: [Run] = []
  /// Which run the curvature plots follow.
  var referenceRun = ""
  var refreshes: [Refresh] = []
  /// Leading eigenvalues (more than k, to show the outlier gap) at one step.
  struct Spectrum {
    var step: Int
    var eigenvalues: [Double]
  }

  /// Leading spectra along training, the last one at the end.
  var spectra: [Spectrum] = []
  /// Spectral density (stochastic Lanczos quadrature): grid points and density values.
  var densityGrid: [Double] = []
  var density: [Double] = []
  var densityNote = ""
  /// Stabilisation: Δ₂^(D) curves along training, the dimension D, σ and the threshold ε.
  var stabilization: [StabilizationCurve] = []
  var stabilizationD = 10
  var stabilizationSigma = 1e-3
  var stabilizationEpsilon: Double?
  /// Free-form lines shown under the summary (honest caveats, timings).
  var notes: [String] = []

  /// k/P, the fraction of a random direction's energy in a random k-dimensional subspace.
  var chanceLevel: Double { Double(k) / Double(max(1, parameterCount)) }
}
