import Curvature
import CurvatureModels

/// Gilmer et al. 2022: training instabilities follow the loss curvature. Above the edge of
/// stability (η λ₁ > 2) full-batch gradient descent diverges; lowering η when λ₁ η crosses 2
/// (our ``LearningRateGuard``) prevents it, and a learning-rate warm-up lets the iterate reach
/// flatter regions so that a larger peak η stays stable.
///
/// Setting: a tanh MLP on the bundled digits, full-batch gradient descent from a seeded
/// initialisation, learning rates as multiples of 2/λ₁(w₀).
enum Gilmer2022 {
  struct Size {
    var samples: Int
    var layers: [Int]
    var steps: Int
    var guardSteps: Int
    var warmup: Int
    var multipliers: [Double]
  }

  static func size(_ s: ExperimentSize) -> Size {
    switch s {
    case .quick:
      return Size(
        samples: 200, layers: [64, 16, 10], steps: 40, guardSteps: 30, warmup: 20,
        multipliers: [1, 2, 4, 8])
    case .full:
      return Size(
        samples: 1797, layers: [64, 256, 256, 10], steps: 400, guardSteps: 200, warmup: 200,
        multipliers: [
          0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32,
        ])
    }
  }

  /// Divergence as the experiments define it: a non-finite loss, or a final loss above the
  /// initial one (the run made no progress), or a loss that grew tenfold at some step.
  static func diverged(_ r: TrainingReport) -> Bool {
    guard let first = r.losses.first, let last = r.losses.last else { return true }
    return r.diverged || !last.isFinite || last >= first
      || r.losses.contains { !$0.isFinite || $0 > 10 * first }
  }

  static func run(_ s: ExperimentSize, progress: (String) -> Void) throws -> ClaimsReport {
    let z = size(s)
    let data = try Lab.digits(count: z.samples, seed: 21)
    let model = try MLP(layerSizes: z.layers, activation: .tanh, data: data)
    let w0 = model.initialParameters(seed: 3)
    let all = SampleSet.all(model.sampleCount)
    progress("sharpness at initialisation")
    let lambda0 = try Lab.sharpness(model, at: w0, samples: all)
    let edge = 2 / lambda0

    // 1. The guard: η = 3 · 2/λ₁(w₀), with and without LearningRateGuard(0.9).
    let eta = 3 * edge
    var config = DriverConfiguration(steps: z.guardSteps)
    config.sharpnessInterval = 5
    config.hessianSampleCount = 0
    progress("η = 3·2/λ₁ without the guard")
    var w1 = w0
    let plain = try TrainingDriver(
      objective: model, optimizer: SGD(learningRate: Float(eta)), monitor: try TrainingMonitor(),
      configuration: config
    ).run(parameters: &w1)
    progress("η = 3·2/λ₁ with the guard")
    let monitor = try TrainingMonitor()
    monitor.register(try LearningRateGuard(safetyFactor: 0.9))
    var w2 = w0
    let guarded = try TrainingDriver(
      objective: model, optimizer: SGD(learningRate: Float(eta)), monitor: monitor,
      configuration: config
    ).run(parameters: &w2)
    let plainDiverged = diverged(plain)
    let guardedRatio =
      (guarded.losses.last ?? .nan) / (guarded.losses.first ?? .nan)
    let finalEta = guarded.learningRates.last ?? eta
    let finalLambda = try Lab.sharpness(model, at: w2, samples: all)

    func sharpnessSeries(_ r: TrainingReport) -> (x: [Double], y: [Double]) {
      var x: [Double] = []
      var y: [Double] = []
      for e in r.events {
        switch e {
        case .sharpnessMeasured(let m), .stabilityThresholdExceeded(let m):
          if x.last != Double(m.step) {
            x.append(Double(m.step))
            y.append(m.sharpness * m.learningRate)
          }
        default: break
        }
      }
      return (x, y)
    }

    // 2. Warm-up: the largest non-divergent η on a grid, with and without a linear warm-up.
    var cold: [Double] = []
    var warm: [Double] = []
    var coldLoss: [Double] = []
    var warmLoss: [Double] = []
    for m in z.multipliers {
      progress("η = \(Claim.format(m))·2/λ₁, with and without warm-up")
      for withWarmup in [false, true] {
        var c = DriverConfiguration(steps: z.steps)
        c.warmupSteps = withWarmup ? z.warmup : 0
        var w = w0
        let r = try TrainingDriver(
          objective: model, optimizer: SGD(learningRate: Float(m * edge)),
          monitor: try TrainingMonitor(), configuration: c
        ).run(parameters: &w)
        let ok = !diverged(r)
        let final = r.losses.last ?? .nan
        if withWarmup {
          if ok { warm.append(m) }
          warmLoss.append(final.isFinite ? final : .nan)
        } else {
          if ok { cold.append(m) }
          coldLoss.append(final.isFinite ? final : .nan)
        }
      }
    }
    let coldMax = cold.max() ?? 0
    let warmMax = warm.max() ?? 0

    var claims: [Claim] = []
    claims.append(
      Claim(
        id: "guard_prevents_divergence",
        statement:
          "A learning rate that diverges without the guard converges with it (η = 3·2/λ₁(w₀); the guard lowers η to 0.9·2/λ₁ whenever λ₁η > 2).",
        paperValue:
          "qualitative: instabilities occur when λ₁η exceeds 2; lowering η (or warm-up) removes them",
        measured: guardedRatio, threshold: .atMost(0.5),
        thresholdSource:
          "'converges' read as: the guarded run at least halves its initial loss, with no step above it",
        quantification:
          "final ÷ initial full-batch loss of the guarded run; precondition: the unguarded run diverges (non-finite, tenfold growth, or no progress)",
        precondition: ("the unguarded run diverged", plainDiverged)))
    claims.append(
      Claim(
        id: "warmup_raises_stable_lr",
        statement:
          "The largest non-divergent learning rate with warm-up exceeds the one without.",
        paperValue: "qualitative: warm-up allows larger peak learning rates (Gilmer et al. §4)",
        measured: coldMax > 0 ? warmMax / coldMax : .nan, threshold: .above(1),
        thresholdSource: "the paper's statement: strictly larger",
        quantification:
          "η*_warm ÷ η*_no-warm-up, each the largest grid multiple of 2/λ₁(w₀) whose run does not diverge (\(z.steps) steps, linear warm-up over \(z.warmup))"
      ))
    claims.append(
      Claim(
        id: "guarded_final_stability_ratio",
        statement:
          "With the guard, training ends below the edge of stability: λ₁η/2 ≤ 1 at the end.",
        paperValue: "stable GD needs λ₁η < 2 (Cohen et al. 2021; Gilmer et al. 2022)",
        measured: finalLambda * finalEta / 2, threshold: .atMost(1),
        thresholdSource: "the quadratic stability condition λ₁η < 2",
        quantification: "λ₁ of the final iterate (Lanczos, all samples) × the final η, ÷ 2"))

    let ps = sharpnessSeries(plain)
    let gs = sharpnessSeries(guarded)
    let figures = [
      ExperimentFigure(
        id: "loss", title: "Loss at η = 3·2/λ₁(w₀)",
        caption:
          "Full-batch training loss with and without the learning-rate guard, from the same initialisation.",
        xLabel: "step", yLabel: "training loss (nats)", yLog: true,
        series: [
          .init("no guard", x: Lab.steps(plain.losses.count), y: plain.losses),
          .init("guard 0.9", x: Lab.steps(guarded.losses.count), y: guarded.losses),
        ]),
      ExperimentFigure(
        id: "sharpness", title: "λ₁·η over training",
        caption:
          "λ₁ times the learning rate in use, at each sharpness measurement; above 2 gradient descent is unstable on the local quadratic.",
        xLabel: "step", yLabel: "λ₁ η (dimensionless)", yLog: true,
        series: [
          .init("no guard", x: ps.x, y: ps.y, style: .lineAndMarkers),
          .init("guard 0.9", x: gs.x, y: gs.y, style: .lineAndMarkers),
        ],
        references: [.init(value: 2, label: "λ₁η = 2")]),
      ExperimentFigure(
        id: "warmup", title: "Final loss against the peak learning rate",
        caption:
          "Final full-batch loss after \(z.steps) steps for each peak η (multiples of 2/λ₁(w₀)); missing points diverged. The vertical lines mark the largest non-divergent η.",
        xLabel: "peak η × λ₁(w₀)/2", yLabel: "final loss (nats)", xLog: true, yLog: true,
        series: [
          .init("no warm-up", x: z.multipliers, y: coldLoss, style: .lineAndMarkers),
          .init("warm-up \(z.warmup) steps", x: z.multipliers, y: warmLoss, style: .lineAndMarkers),
        ],
        references: [
          .init(horizontal: false, value: coldMax, label: "η* no warm-up"),
          .init(horizontal: false, value: warmMax, label: "η* warm-up"),
        ]),
    ]
    var notes: [String] = [
      "λ₁(w₀) = \(Claim.format(lambda0)), so 2/λ₁(w₀) = \(Claim.format(edge)); the unguarded run \(plainDiverged ? "diverged" : "did not diverge") (\(plain.stopReason ?? "completed")); the guarded run ended at η = \(Claim.format(finalEta))."
    ]
    notes.append(
      "Non-divergent multiples without warm-up: \(cold.map(Claim.format)); with warm-up: \(warm.map(Claim.format))."
    )
    return ClaimsReport(
      paper: .gilmer2022, size: s,
      settings: [
        .init("model", "mlp:\(z.layers.map(String.init).joined(separator: ",")) (tanh)"),
        .init("data", "\(z.samples) digits (seed 21)"),
        .init("optimizer", "full-batch gradient descent"),
        .init("initialisation seed", "3"),
        .init("guard run", "η = 3·2/λ₁(w₀), \(z.guardSteps) steps, λ₁ every 5 steps"),
        .init("warm-up grid", "\(z.steps) steps, linear warm-up \(z.warmup) steps"),
        .init("η multiples of 2/λ₁(w₀)", z.multipliers.map(Claim.format).joined(separator: ", ")),
      ],
      claims: claims, figures: figures, notes: notes)
  }
}
