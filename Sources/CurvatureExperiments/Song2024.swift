import Curvature
import CurvatureModels

/// Song, Ahn & Yun 2024: although the gradient aligns with the top-k Hessian eigenspace,
/// training only in it (Dom-SGD) stalls, while removing it (Bulk-SGD) trains about as well as
/// SGD.
///
/// Setting: SGD, Bulk-SGD and Dom-SGD from one seeded initialisation, k = C = 10, the subspace
/// refreshed every 10 steps at full size (warm-started Lanczos) on a fixed seeded Hessian batch.
enum Song2024 {
  struct Size {
    var samples: Int
    var steps: Int
    var hessianBatch: Int
    /// Steps between refreshes of the top-k subspace.
    var every: Int
  }

  static func size(_ s: ExperimentSize) -> Size {
    s == .quick
      ? Size(samples: 200, steps: 100, hessianBatch: 64, every: 20)
      : Size(samples: 1797, steps: 1500, hessianBatch: 256, every: 10)
  }

  static let eta: Float = 0.1

  static func run(_ s: ExperimentSize, progress: (String) -> Void) throws -> ClaimsReport {
    let z = size(s)
    let model = try ImageClassifier.make(s, samples: z.samples, seed: 1)
    let k = model.classCount
    let w0 = model.initialParameters(1)
    let record = max(1, z.steps / (s == .quick ? 20 : 60))
    func train<O: Optimizer>(_ name: String, _ o: O) throws -> Lab.TrackedRun {
      progress("\(name), \(z.steps) steps")
      return try Lab.trainTracked(
        model.objective, optimizer: o, start: w0, steps: z.steps, batch: 32, k: k, every: z.every,
        hessianBatch: z.hessianBatch, recordEvery: record)
    }
    let sgd = try train("SGD", SGD(learningRate: eta))
    let bulk = try train("Bulk-SGD", SGD(learningRate: eta).projected(.bulk))
    let dom = try train("Dom-SGD", SGD(learningRate: eta).projected(.dominant))
    let late = Array(sgd.topFractions.suffix(z.steps / 3))
    let align = Lab.mean(late)
    let p = model.objective.parameterCount
    let accuracies = try [sgd, bulk, dom].map { try model.accuracy($0.parameters) }
    let claims = [
      Claim(
        id: "bulk_vs_sgd_loss_ratio", statement: "Bulk-SGD trains about as well as SGD.",
        paperValue:
          "qualitative: 'just as effective as the original update' (training-loss curves overlap)",
        measured: bulk.finalLoss / sgd.finalLoss, threshold: .between(0.8, 1.25),
        thresholdSource:
          "'about as well' read as final losses within 25% (symmetric on a log scale)",
        quantification: "final full-set loss of Bulk-SGD ÷ that of SGD after \(z.steps) steps"),
      Claim(
        id: "dom_vs_sgd_loss_ratio", statement: "Dom-SGD stalls: its loss stays far above SGD's.",
        paperValue: "qualitative: 'the training loss does not decrease further'",
        measured: dom.finalLoss / sgd.finalLoss, threshold: .atLeast(2),
        thresholdSource: "'stalls' read as ending at least twice SGD's loss",
        quantification: "final full-set loss of Dom-SGD ÷ that of SGD after \(z.steps) steps"),
      Claim(
        id: "gradient_alignment",
        statement: "The SGD gradient is (spuriously) aligned with the dominant subspace.",
        paperValue: "χ_k² close to 1 late in training (Gur-Ari et al. 2018)",
        measured: align, threshold: .atLeast(0.5),
        thresholdSource:
          "'aligned' read as more than half the squared norm (chance k/P = \(Claim.format(Double(k) / Double(p))))",
        quantification: "mean f_top = ‖P_dom g‖²/‖g‖² over the last third of the SGD run"),
    ]
    let figures = [
      ExperimentFigure(
        id: "loss", title: "Training loss: SGD, Bulk-SGD, Dom-SGD",
        caption:
          "Full training-set loss from the same initialisation (η = \(eta), batch 32, k = \(k)).",
        xLabel: "step", yLabel: "training loss (nats)", yLog: true,
        series: [
          .init("SGD", x: sgd.steps.map(Double.init), y: sgd.losses),
          .init("Bulk-SGD", x: bulk.steps.map(Double.init), y: bulk.losses),
          .init("Dom-SGD", x: dom.steps.map(Double.init), y: dom.losses),
        ]),
      ExperimentFigure(
        id: "alignment", title: "Gradient alignment f_top",
        caption: "‖P_dom g‖²/‖g‖² of the minibatch gradient with the basis in use, per step.",
        xLabel: "step", yLabel: "f_top",
        series: [
          .init("SGD", x: Lab.steps(sgd.topFractions.count), y: sgd.topFractions),
          .init("Bulk-SGD", x: Lab.steps(bulk.topFractions.count), y: bulk.topFractions),
        ],
        references: [.init(value: Double(k) / Double(p), label: "chance k/P")]),
      ExperimentFigure(
        id: "sharpness", title: "λ₁ at the refreshes",
        caption: "The top Hessian eigenvalue on the Hessian batch.", xLabel: "step",
        yLabel: "λ₁ (nats / parameter²)", yLog: true,
        series: [
          .init("SGD", x: sgd.sharpnessSteps.map(Double.init), y: sgd.sharpness),
          .init("Bulk-SGD", x: bulk.sharpnessSteps.map(Double.init), y: bulk.sharpness),
          .init("Dom-SGD", x: dom.sharpnessSteps.map(Double.init), y: dom.sharpness),
        ], references: [.init(value: 2 / Double(eta), label: "2/η")]),
    ]
    return ClaimsReport(
      paper: .song2024, size: s,
      settings: [
        .init("model", model.spec), .init("data", "\(z.samples) digits (seed 1)"),
        .init("optimizers", "SGD, Bulk-SGD, Dom-SGD; η = \(eta), batch 32, \(z.steps) steps"),
        .init("k", "\(k), refreshed every \(z.every) steps (warm Lanczos)"),
        .init("Hessian batch", "\(z.hessianBatch) samples (seed 3)"),
      ],
      claims: claims, figures: figures,
      notes: [
        "Final loss: SGD \(Claim.format(sgd.finalLoss)), Bulk-SGD \(Claim.format(bulk.finalLoss)), Dom-SGD \(Claim.format(dom.finalLoss)); training accuracy \(accuracies.map { Claim.format($0) })."
      ])
  }
}
