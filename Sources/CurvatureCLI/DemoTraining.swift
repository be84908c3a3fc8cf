import Curvature
import CurvatureModels
import Foundation

/// The demo's experiment: an MLP on the bundled digits trained from one initial point with
/// SGD, Dom-SGD, Bulk-SGD and an interpolated optimizer, with the top-k Hessian eigenspace
/// refreshed (warm-started) along the way and the stabilisation signal Δ₂⁽ᴰ⁾ measured on the
/// reference (SGD) run until it says the landscape has stabilised.
struct DemoTraining {
  /// Settings, all with command-line flags.
  struct Settings {
    var hiddenWidth = 32
    var k = 10
    var seed: UInt64 = 1
    var maxSteps = 1500
    var learningRate = 0.2
    var batchSize = 64
    var hessianBatch = 512
    var refreshEvery = 50
    var stabilizationEvery = 250
    var stabilizationGrid = [16, 32, 64, 128, 256, 512]
    var stabilizationD = 10
    var sigma = 1e-3
    var epsilon = 1e-9
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
  let train: ClassificationData
  let test: ClassificationData
  let model: MLP
  let initial: [Float]
  let hessianSamples: SampleSet

  init(settings: Settings, context: CommandContext) throws {
    self.settings = settings
    self.context = context
    let data = try ClassificationData.digits()
    (train, test) = data.split(testFraction: 0.2, seed: settings.seed)
    model = try MLP(
      layerSizes: [data.featureCount, settings.hiddenWidth, data.classCount], activation: .tanh, data: train)
    initial = model.initialParameters(seed: settings.seed)
    var g = SeededGenerator(seed: settings.seed &+ 0x4865_7373)
    let order = g.permutation(count: train.count)
    hessianSamples = .indices(Array(order.prefix(min(settings.hessianBatch, train.count))).sorted())
    if settings.k >= model.parameterCount {
      throw UsageError("demo: --k must be below the parameter count \(model.parameterCount)")
    }
  }

  var contenders: [Contender] {
    let (a, b) = settings.interpolated
    return [
      Contender(name: "SGD", mode: .full),
      Contender(name: "Dom-SGD", mode: .dominant),
      Contender(name: "Bulk-SGD", mode: .bulk),
      Contender(name: "interpolated(\(trim(a)), \(trim(b)))", mode: .interpolated(dominant: a, bulk: b)),
    ]
  }

  func trim(_ x: Float) -> String { AxisScale.trim(Double(x), 2) }

  /// Runs every contender (the first one decides the step count through the stabilisation
  /// signal) and returns the report.
  func run() throws -> TrainingReport {
    var report = TrainingReport()
    report.title = "Curvature demo: SGD, Dom-SGD and Bulk-SGD on handwritten digits"
    report.k = settings.k
    report.parameterCount = model.parameterCount
    report.classCount = train.classCount
    report.stabilizationD = settings.stabilizationD
    report.stabilizationSigma = settings.sigma
    report.stabilizationEpsilon = settings.epsilon
    report.settings = [
      ("model", "MLP " + model.layerSizes.map(String.init).joined(separator: "–") + " tanh, P = \(model.parameterCount)"),
      ("data", "digits, \(train.count) train / \(test.count) test"),
      ("k", "\(settings.k)"), ("η", AxisScale.trim(settings.learningRate, 4)),
      ("batch", "\(settings.batchSize)"), ("Hessian batch", "\(hessianSamples.count)"),
      ("refresh", "every \(settings.refreshEvery) steps"), ("seed", "\(settings.seed)"),
    ]
    var steps = settings.maxSteps
    for (index, contender) in contenders.enumerated() {
      let measure = index == 0
      let run = try train(contender, steps: steps, measureStabilization: measure, report: &report)
      if measure {
        steps = max(1, run.stepsTaken)
        report.referenceRun = contender.name
      }
      report.runs.append(run)
    }
    return report
  }

  /// Trains one contender for at most `steps` steps.
  func train(
    _ contender: Contender, steps: Int, measureStabilization: Bool, report: inout TrainingReport
  ) throws -> TrainingReport.Run {
    let clock = ContinuousClock()
    let start = clock.now
    var w = initial
    var optimizer = SGD(learningRate: Float(settings.learningRate)).projected(contender.mode)
    var run = TrainingReport.Run(optimizer: contender.name, learningRate: settings.learningRate)
    var basis: Basis?
    var hvps = 0
    var batches = SeededGenerator(seed: settings.seed &+ 0xBA7C)
    var order: [Int] = []
    var cursor = 0
    var stableChecks = 0
    let lanczos = Lanczos(configuration: LanczosConfiguration(tolerance: 1e-3, maxProducts: 300, seed: settings.seed))
    let progress = context.progress(total: steps, label: contender.name)
    var lastLoss = Double.nan
    var lastDelta = Double.nan
    var lastAlignment = Double.nan
    var recordRefreshes = measureStabilization
    var alignmentWindow: [Double] = []
    var stepsTaken = 0

    for step in 0..<steps {
      if step % settings.refreshEvery == 0 {
        let hessian = try ObjectiveHessian(objective: model, at: w, samples: hessianSamples)
        let result = try lanczos.eigenpairs(of: hessian, count: settings.k, warmStart: basis)
        hvps += result.productCount
        let overlap = basis.map { DemoTraining.overlap($0, result.vectors) }
        basis = result.vectors
        _ = optimizer.updateProjection { $0.basis = result.vectors }
        run.sharpnessSteps.append(step)
        run.sharpness.append(result.eigenvalues[0])
        if recordRefreshes {
          report.refreshes.append(
            TrainingReport.Refresh(
              step: step, eigenvalues: result.eigenvalues, overlap: overlap,
              hessianVectorProducts: result.productCount, residualMax: result.residuals.max() ?? .nan))
        }
      }
      if measureStabilization && step > 0 && step % settings.stabilizationEvery == 0 {
        let curve = try stabilization(at: w, step: step)
        hvps += curve.products
        report.stabilization.append(curve.curve)
        lastDelta = curve.curve.delta.last ?? .nan
        if lastDelta <= settings.epsilon {
          stableChecks += 1
        } else {
          stableChecks = 0
        }
        if stableChecks >= settings.consecutive {
          run.ending = "stabilised at step \(step)"
          progress.message(
            "\(contender.name): Δ₂⁽ᴰ⁾(k = \(settings.stabilizationGrid.last!)) ≤ ε = \(ReportWriter.short(settings.epsilon)) "
              + "for \(settings.consecutive) checks: stopping at step \(step)")
          recordRefreshes = false
          break
        }
      }
      // Next minibatch (the same sequence for every optimizer).
      if cursor + settings.batchSize > order.count {
        order = batches.permutation(count: train.count)
        cursor = 0
      }
      let batch = SampleSet.indices(Array(order[cursor..<(cursor + settings.batchSize)]))
      cursor += settings.batchSize
      let (loss, gradient) = try model.lossAndGradient(at: w, samples: batch)
      if step % settings.recordEvery == 0 {
        // The full training loss (smooth, comparable across optimizers).
        run.steps.append(step)
        run.losses.append(try model.loss(at: w, samples: .all(train.count)))
        lastLoss = run.losses.last!
      }
      if !loss.isFinite || gradient.contains(where: { !$0.isFinite }) {
        run.ending = "diverged at step \(step)"
        break
      }
      if let basis {
        let c = basis.coefficients(of: gradient)
        let inside = c.reduce(0) { $0 + $1 * $1 }
        let total = Kernels.dot(gradient, gradient)
        let f = total > 0 ? inside / total : .nan
        alignmentWindow.append(f)
        if alignmentWindow.count == settings.recordEvery {
          // f_top averaged over the window of steps ending here.
          lastAlignment = alignmentWindow.reduce(0, +) / Double(alignmentWindow.count)
          run.alignmentSteps.append(step)
          run.alignment.append(lastAlignment)
          alignmentWindow.removeAll(keepingCapacity: true)
        }
      }
      try optimizer.step(parameters: &w, gradient: gradient)
      stepsTaken = step + 1
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
    let full = try model.loss(at: w, samples: .all(train.count))
    run.finalTrainLoss = full
    run.testAccuracy = try model.accuracy(at: w, data: test)
    run.hessianVectorProducts = hvps
    run.seconds = DemoTraining.seconds(clock.now - start)
    run.stepsTaken = stepsTaken
    if measureStabilization, let basis {
      // The leading spectrum at the end, beyond k, to show the outlier gap.
      let hessian = try ObjectiveHessian(objective: model, at: w, samples: hessianSamples)
      let result = try lanczos.eigenpairs(of: hessian, count: min(2 * settings.k, model.parameterCount - 1), warmStart: basis)
      report.finalSpectrum = result.eigenvalues
      hvps += result.productCount
      run.hessianVectorProducts = hvps
    }
    return run
  }

  /// The Δ₂⁽ᴰ⁾ curve (Gaussian-moment closed form) at `w`.
  func stabilization(at w: [Float], step: Int) throws -> (curve: TrainingReport.StabilizationCurve, products: Int) {
    let estimator = try StabilizationEstimator(
      configuration: StabilizationConfiguration(
        sigma: settings.sigma, subspaceDimension: settings.stabilizationD, orderCount: 2, seed: settings.seed))
    let grid = settings.stabilizationGrid.filter { $0 + 1 <= train.count }
    let c = try estimator.curve(of: model, at: w, sampleCounts: grid, method: .gaussianMoment)
    let (slope, intercept) = DemoTraining.fit(k: c.sampleCounts, values: c.mean)
    return (
      TrainingReport.StabilizationCurve(
        step: step, k: c.sampleCounts, delta: c.mean, standardError: c.standardError, slope: slope,
        intercept: intercept),
      c.productCount
    )
  }

  static func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
  }

  /// ‖UᵀV‖²_F / k for two orthonormal bases of the same size.
  static func overlap(_ u: Basis, _ v: Basis) -> Double {
    var total = 0.0
    for j in 0..<v.count {
      let c = u.coefficients(of: v.column(j))
      total += c.reduce(0) { $0 + $1 * $1 }
    }
    return total / Double(max(1, min(u.count, v.count)))
  }

  /// Least-squares fit log₁₀ Δ = intercept + slope · log₁₀ k over positive finite points.
  static func fit(k: [Int], values: [Double]) -> (slope: Double, intercept: Double) {
    let pairs = zip(k, values).filter { $0.0 > 0 && $0.1 > 0 && $0.1.isFinite }
    guard pairs.count >= 2 else { return (.nan, .nan) }
    let xs = pairs.map { log10(Double($0.0)) }
    let ys = pairs.map { log10($0.1) }
    let n = Double(xs.count)
    let mx = xs.reduce(0, +) / n
    let my = ys.reduce(0, +) / n
    var sxy = 0.0
    var sxx = 0.0
    for (x, y) in zip(xs, ys) {
      sxy += (x - mx) * (y - my)
      sxx += (x - mx) * (x - mx)
    }
    guard sxx > 0 else { return (.nan, .nan) }
    let slope = sxy / sxx
    return (slope, my - slope * mx)
  }
}
