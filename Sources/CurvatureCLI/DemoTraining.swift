import Curvature
import CurvatureModels
import Foundation

/// The demo's experiment: a model (by default an MLP on the bundled digits) trained from one
/// initial point with
/// SGD, Dom-SGD, Bulk-SGD and an interpolated optimizer, with the top-k Hessian eigenspace
/// refreshed (warm-started) along the way and the stabilisation signal Δ₂⁽ᴰ⁾ measured on the
/// reference (SGD) run until it says the landscape has stabilised.
struct DemoTraining {
  /// Settings, all with command-line flags.
  struct Settings {
    /// The model and data (``ModelSpec`` and ``DatasetSpec`` grammar).
    var model = "mlp:64,32,10"
    var dataset = "digits"
    var k = 10
    var seed: UInt64 = 1
    var maxSteps = 1500
    var learningRate = 1.0
    var batchSize = 64
    var hessianBatch = 512
    var refreshEvery = 50
    var stabilizationEvery = 200
    var stabilizationGrid = [16, 32, 64, 128, 256, 512, 1024]
    var orders = 16
    var stabilizationD = 10
    var sigma = 1e-3
    var epsilon = 2e-9
    var consecutive = 2
    var interpolated: (dominant: Float, bulk: Float) = (0.5, 1)
    /// Steps between recorded points of the loss and alignment curves.
    var recordEvery = 10
  }

  /// One optimizer of the comparison.
  struct Contender {
    var name: String
    var mode: SubspaceProjection.Mode
  }

  let settings: Settings
  let context: CommandContext
  /// The model on the training part (80 %) and its held-out part.
  let workload: Workload
  let model: any DifferentiableObjective
  /// The number of training samples.
  let trainCount: Int
  let initial: [Float]
  let hessianSamples: SampleSet
  let hessianBatch: HessianBatch

  init(settings: Settings, context: CommandContext) throws {
    self.settings = settings
    self.context = context
    workload = try Workload(
      model: ModelSpec.parse(settings.model), dataset: DatasetSpec.parse(settings.dataset),
      testFraction: 0.2, seed: settings.seed)
    model = workload.objective
    trainCount = model.sampleCount
    initial = workload.initialParameters(seed: settings.seed)
    hessianBatch = .subset(
      count: min(settings.hessianBatch, trainCount), seed: settings.seed &+ 0x4865_7373)
    hessianSamples = try hessianBatch.fixedSamples(sampleCount: trainCount) ?? .all(trainCount)
  }

  var contenders: [Contender] {
    let (a, b) = settings.interpolated
    return [
      Contender(name: "SGD", mode: .full),
      Contender(name: "Dom-SGD", mode: .dominant),
      Contender(name: "Bulk-SGD", mode: .bulk),
      Contender(
        name: "interpolated(\(trim(a)), \(trim(b)))", mode: .interpolated(dominant: a, bulk: b)),
    ]
  }

  func trim(_ x: Float) -> String { AxisScale.trim(Double(x), 2) }

  /// Runs every contender (the first one decides the step count through the stabilisation
  /// signal) and returns the report.
  func run() throws -> CurvatureReport {
    var report = CurvatureReport()
    report.title =
      workload.dataset == .digits
      ? "Curvature demo: SGD, Dom-SGD and Bulk-SGD on handwritten digits"
      : "Curvature demo: SGD, Dom-SGD and Bulk-SGD, \(workload.model) on \(workload.dataset)"
    report.k = settings.k
    report.parameterCount = model.parameterCount
    report.classCount =
      (model as? Transformer)?.configuration.vocabularySize ?? workload.mlp?.layerSizes.last
      ?? Self.classCount(workload.model)
    report.stabilizationD = settings.stabilizationD
    report.stabilizationSigma = settings.sigma
    report.stabilizationEpsilon = settings.epsilon
    report.settings = [
      ("model", "\(workload.model), P = \(model.parameterCount)"),
      ("data", "\(workload.dataset), \(trainCount) train / \(workload.testCount) test"),
      ("k", "\(settings.k)"), ("η", AxisScale.trim(settings.learningRate, 4)),
      ("batch", "\(settings.batchSize)"), ("Hessian batch", "\(hessianSamples.count)"),
      ("refresh", "every \(settings.refreshEvery) steps"), ("seed", "\(settings.seed)"),
    ]
    var steps = settings.maxSteps
    for (index, contender) in contenders.enumerated() {
      let measure = index == 0
      var run = try train(contender, steps: steps, measureStabilization: measure, report: &report)
      if measure {
        steps = max(1, run.stepsTaken)
        report.referenceRun = contender.name
      } else if run.ending == "completed" {
        run.ending = "same steps as \(report.referenceRun)"
      }
      report.runs.append(run)
    }
    return report
  }

  /// Trains one contender for at most `steps` steps with a ``DominantSubspaceTracker`` keeping
  /// the basis fresh and a ``TrainingMonitor`` watching sharpness, divergence and (on the
  /// reference run) stabilisation.
  func train(
    _ contender: Contender, steps: Int, measureStabilization: Bool, report: inout CurvatureReport
  ) throws -> CurvatureReport.Run {
    let clock = ContinuousClock()
    let start = clock.now
    var w = initial
    let eta = settings.learningRate
    var optimizer = SGD(learningRate: Float(eta)).projected(contender.mode)
    var run = CurvatureReport.Run(optimizer: contender.name, learningRate: eta)
    let tracker = try DominantSubspaceTracker(
      objective: model,
      configuration: .init(
        k: settings.k, hessianBatch: hessianBatch, refresh: .every(settings.refreshEvery),
        lanczos: LanczosConfiguration(tolerance: 1e-3, maxProducts: 300), warmStart: true,
        seed: settings.seed,
        // Error bars on every refresh's eigenvalues, for the Hessian over the training set.
        uncertainty: SamplingUncertaintyConfiguration(seed: settings.seed)))
    let monitor = try TrainingMonitor(
      configuration: MonitorConfiguration(
        stabilizationEpsilon: settings.epsilon, stabilizedChecks: settings.consecutive))
    monitor.register(StopOnDivergence())
    if measureStabilization { monitor.register(StopWhenStabilized()) }
    var stabilizationProducts = 0
    var batches = SeededGenerator(seed: settings.seed &+ 0xBA7C)
    var order: [Int] = []
    var cursor = 0
    let progress = context.progress(total: steps, label: contender.name)
    var lastLoss = Double.nan
    var lastDelta = Double.nan
    var lastAlignment = Double.nan
    var alignmentWindow: [Double] = []
    var stepsTaken = 0

    training: for step in 0..<steps {
      // Stabilisation of the local landscape at the current parameters (reference run).
      if measureStabilization && step > 0 && step % settings.stabilizationEvery == 0 {
        let (curve, raw) = try stabilization(at: w, step: step)
        stabilizationProducts += raw.productCount
        report.stabilization.append(curve)
        if let basis = tracker.basis {
          let (spectrum, products) = try leadingSpectrum(at: w, step: step, warmStart: basis)
          report.spectra.append(spectrum)
          stabilizationProducts += products
        }
        lastDelta = curve.delta.last ?? .nan
        let response = monitor.recordStabilization(raw, step: step, learningRate: eta)
        if response.shouldStop {
          run.ending = "stabilised at step \(step)"
          progress.message(
            "\(contender.name): Δ₂⁽ᴰ⁾(k = \(curve.k.last ?? 0)) ≤ ε = \(ReportWriter.short(settings.epsilon)) "
              + "on \(settings.consecutive) consecutive checks: stopping at step \(step)")
          break training
        }
      }
      // Next minibatch (the same sequence for every optimizer).
      if cursor + settings.batchSize > order.count {
        order = batches.permutation(count: trainCount)
        cursor = 0
      }
      let batch = SampleSet.indices(Array(order[cursor..<(cursor + settings.batchSize)]))
      cursor += settings.batchSize
      let (loss, gradient) = try model.lossAndGradient(at: w, samples: batch)
      if step % settings.recordEvery == 0 {
        // The full training loss (smooth, comparable across optimizers).
        run.steps.append(step)
        run.losses.append(try model.loss(at: w, samples: .all(trainCount)))
        lastLoss = run.losses.last!
      }
      if monitor.observe(step: step, loss: loss, gradient: gradient, learningRate: eta).shouldStop {
        run.ending = "diverged at step \(step)"
        break training
      }
      // Refresh (every N steps, warm-started), measure χ_k, step the optimizer.
      let stepReport = try tracker.step(
        &optimizer, parameters: &w, gradient: gradient, minibatch: batch)
      stepsTaken = step + 1
      if let refresh = stepReport.refresh {
        run.sharpnessSteps.append(step)
        run.sharpness.append(refresh.eigenvalues[0])
        if let interval = refresh.eigenvalueUncertainty?.eigenvalues.first {
          run.sharpnessLower.append(interval.lower)
          run.sharpnessUpper.append(interval.upper)
        }
        _ = try monitor.recordSharpness(
          refresh.eigenvalues[0], step: step, learningRate: eta, rule: .gradientDescent)
        _ = monitor.recordSubspaceRefresh(
          SubspaceRefresh(
            step: step, eigenvalues: refresh.eigenvalues, gradientAlignment: stepReport.topFraction,
            overlap: refresh.overlapWithPrevious, productCount: refresh.productCount),
          learningRate: eta)
        if measureStabilization {
          report.refreshes.append(
            CurvatureReport.Refresh(
              step: step, eigenvalues: refresh.eigenvalues, overlap: refresh.overlapWithPrevious,
              hessianVectorProducts: refresh.productCount,
              residualMax: refresh.residuals.max() ?? .nan))
        }
      }
      alignmentWindow.append(stepReport.topFraction)
      if alignmentWindow.count == settings.recordEvery {
        // f_top averaged over the window of steps ending here.
        lastAlignment = alignmentWindow.reduce(0, +) / Double(alignmentWindow.count)
        run.alignmentSteps.append(step)
        run.alignment.append(lastAlignment)
        alignmentWindow.removeAll(keepingCapacity: true)
      }
      progress.update(
        step: step + 1,
        [
          "loss": ReportWriter.number(lastLoss, digits: 4),
          "λ₁": ReportWriter.number(run.sharpness.last ?? .nan, digits: 4),
          "χ_k": ReportWriter.number(lastAlignment.squareRoot(), digits: 3),
          "Δ₂⁽ᴰ⁾": ReportWriter.number(lastDelta, digits: 3),
        ])
    }
    progress.finish()
    run.stepsTaken = stepsTaken
    run.finalTrainLoss = try model.loss(at: w, samples: .all(trainCount))
    run.testAccuracy = try workload.test(at: w)?.accuracy ?? .nan
    var hvps = tracker.productCount + stabilizationProducts
    if measureStabilization, let basis = tracker.basis, report.spectra.last?.step != stepsTaken {
      let (spectrum, products) = try leadingSpectrum(at: w, step: stepsTaken, warmStart: basis)
      report.spectra.append(spectrum)
      hvps += products
    }
    if measureStabilization {
      // The whole spectrum at the end: stochastic Lanczos quadrature on the Hessian batch.
      let hessian = try ObjectiveHessian(objective: model, at: w, samples: hessianSamples)
      let slq = try SpectralDensity(
        of: hessian, steps: 60, probes: 6, gridPoints: 300, seed: settings.seed)
      report.densityGrid = slq.grid
      report.density = slq.density
      report.densityNote = "at step \(stepsTaken), \(slq.productCount) HVPs"
      hvps += slq.productCount
    }
    run.hessianVectorProducts = hvps
    run.seconds = DemoTraining.seconds(clock.now - start)
    return run
  }

  /// The leading 2k eigenvalues of the Hessian batch at `w` (beyond k, to show the outlier gap),
  /// and the HVPs spent.
  func leadingSpectrum(at w: [Float], step: Int, warmStart: Basis) throws -> (
    CurvatureReport.Spectrum, Int
  ) {
    let hessian = try ObjectiveHessian(objective: model, at: w, samples: hessianSamples)
    let count = min(2 * settings.k, model.parameterCount - 1)
    let result = try Lanczos(
      configuration: LanczosConfiguration(tolerance: 1e-3, maxProducts: 600, seed: settings.seed)
    )
    .eigenpairs(of: hessian, count: count, warmStart: warmStart)
    return (
      CurvatureReport.Spectrum(step: step, eigenvalues: result.eigenvalues), result.productCount
    )
  }

  /// The Δ₂⁽ᴰ⁾ curve (Gaussian-moment closed form) at `w`, for the report and as measured.
  func stabilization(at w: [Float], step: Int) throws -> (
    CurvatureReport.StabilizationCurve, StabilizationCurve
  ) {
    let estimator = try StabilizationEstimator(
      configuration: StabilizationConfiguration(
        sigma: settings.sigma, subspaceDimension: settings.stabilizationD,
        orderCount: settings.orders,
        seed: settings.seed))
    let grid = settings.stabilizationGrid.filter { $0 + 1 <= trainCount }
    let c = try estimator.curve(of: model, at: w, sampleCounts: grid, method: .gaussianMoment)
    let (slope, intercept) =
      StabilizationCurve.logLogFit(sampleCounts: c.sampleCounts, values: c.mean) ?? (.nan, .nan)
    return (
      CurvatureReport.StabilizationCurve(
        step: step, k: c.sampleCounts, delta: c.mean, standardError: c.standardError, slope: slope,
        intercept: intercept),
      c
    )
  }

  /// The class count a model names (C outliers are expected in the spectrum).
  static func classCount(_ model: ModelSpec) -> Int {
    switch model {
    case .mlp(let sizes, _): return sizes.last!
    case .cnn(_, let k, _): return k
    default: return 10
    }
  }

  static func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
  }

}
