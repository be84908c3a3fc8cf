import Curvature
import CurvatureModels

/// Fort & Ganguli 2019 (and Fort & Scherlis 2019): about C outlier eigenvalues above the bulk,
/// gradients concentrated in the top-C eigenspace, λ₁ rising then falling over training, and
/// training in random affine subspaces succeeding where Tr(H_d)/‖H_d‖ is high (the Goldilocks
/// zone).
enum Fort2019 {
  struct Size {
    var samples: Int
    var steps: Int
    var hessianBatch: Int
    var scales: [Double]
    var subspaceDimension: Int
    var subspaceSeeds: Int
    var subspaceSteps: Int
  }

  static func size(_ s: ExperimentSize) -> Size {
    s == .quick
      ? Size(
        samples: 200, steps: 120, hessianBatch: 64, scales: [0.25, 1, 4], subspaceDimension: 10,
        subspaceSeeds: 2, subspaceSteps: 20)
      : Size(
        samples: 1797, steps: 1500, hessianBatch: 256, scales: [0.125, 0.25, 0.5, 1, 2, 4, 8],
        subspaceDimension: 60, subspaceSeeds: 3, subspaceSteps: 300)
  }

  static func run(_ s: ExperimentSize, progress: (String) -> Void) throws -> ClaimsReport {
    let z = size(s)
    let model = try ImageClassifier.make(s, samples: z.samples, seed: 2)
    let c = model.classCount
    let p = model.objective.parameterCount
    let w0 = model.initialParameters(1)
    progress("SGD \(z.steps) steps, λ₁ and f_top tracked")
    let every = s == .quick ? 15 : max(5, z.steps / 40)
    let run = try Lab.trainTracked(
      model.objective, optimizer: SGD(learningRate: 0.1), start: w0, steps: z.steps, batch: 32,
      k: c, every: every, hessianBatch: z.hessianBatch, recordEvery: every)
    var hrng = SeededGenerator(seed: 3)
    let n = model.objective.sampleCount
    let hb = SampleSet.indices(Array(hrng.permutation(count: n).prefix(min(z.hessianBatch, n))))
    progress("top-\(c + 4) eigenvalues at the end")
    let spectrum = try Lab.eigenpairs(
      model.objective, at: run.parameters, samples: hb, k: c + 4, tolerance: 1e-4, maxProducts: 4000
    ).eigenvalues
    let gapAfterCm1 = spectrum[c - 2] / spectrum[c - 1]
    let gapAfterC = spectrum[c - 1] / spectrum[c]
    let gap = max(gapAfterCm1, gapAfterC)
    let late = Lab.mean(Array(run.topFractions.suffix(z.steps / 3)))
    let sharp = run.sharpness
    let peak = sharp.max() ?? .nan
    let riseFall = min(peak / (sharp.first ?? .nan), peak / (sharp.last ?? .nan))

    // Goldilocks: random affine subspaces through scaled initialisations.
    var measures: [Double] = []
    var accuracies: [Double] = []
    var scaleOf: [Double] = []
    let all = SampleSet.all(n)
    for scale in z.scales {
      let origin = w0.map { $0 * Float(scale) }
      for seed in 0..<z.subspaceSeeds {
        progress("Goldilocks: init scale \(Claim.format(scale)), subspace \(seed + 1)")
        let sub = try RandomAffineSubspace(
          objective: model.objective, origin: origin, dimension: z.subspaceDimension,
          seed: UInt64(100 + seed))
        var zz = [Float](repeating: 0, count: z.subspaceDimension)
        let measure = try sub.goldilocksMeasure(at: zz, samples: hb)
        var adam = Adam(learningRate: 0.05)
        for _ in 0..<z.subspaceSteps {
          let (_, g) = try sub.lossAndGradient(at: zz, samples: all)
          if g.contains(where: { !$0.isFinite }) { break }
          try adam.step(parameters: &zz, gradient: g)
        }
        let wz = try sub.parameters(for: zz)
        measures.append(measure)
        accuracies.append(try model.accuracy(wz))
        scaleOf.append(scale)
      }
    }
    let rho = Lab.spearman(measures, accuracies)

    let claims = [
      Claim(
        id: "outlier_gap", statement: "About C = \(c) outlier eigenvalues stand above the bulk.",
        paperValue: "C outliers for a C-class classifier (C = 10)",
        measured: gap, threshold: .atLeast(1.5),
        thresholdSource:
          "a visible gap read as a ≥ 1.5× drop right after the (C−1)th or Cth eigenvalue",
        quantification:
          "max(λ_{C−1}/λ_C, λ_C/λ_{C+1}) at the end of SGD (Lanczos, Hessian batch of \(hb.count))"),
      Claim(
        id: "gradient_top_fraction",
        statement: "The gradient concentrates in the top-C eigenspace.",
        paperValue: "qualitative: gradient mostly in the top subspace (Gur-Ari et al. 2018: ≈ 0.9)",
        measured: late, threshold: .atLeast(0.5),
        thresholdSource:
          "more than half the squared norm (chance k/P = \(Claim.format(Double(c) / Double(p))))",
        quantification: "mean f_top over the last third of SGD training"),
      Claim(
        id: "sharpness_rise_then_fall", statement: "λ₁ rises early in training, then falls.",
        paperValue: "qualitative: transient rise of λ₁ then decrease",
        measured: riseFall, threshold: .atLeast(1.1),
        thresholdSource: "a rise and a fall of at least 10% each",
        quantification:
          "min(max λ₁ ÷ first λ₁, max λ₁ ÷ last λ₁) over the refreshes (every \(every) steps)"),
      Claim(
        id: "goldilocks_correlation",
        statement:
          "Subspace training succeeds where Tr(H_d)/‖H_d‖ at the start is high.",
        paperValue:
          "qualitative: the Goldilocks zone of high Tr(H)/‖H‖ coincides with trainability",
        measured: rho, threshold: .atLeast(0.5),
        thresholdSource: "a clearly positive rank correlation (Spearman ρ ≥ 0.5)",
        quantification:
          "Spearman ρ between Tr(H_d)/‖H_d‖_F at z = 0 and the training accuracy after \(z.subspaceSteps) Adam steps in d = \(z.subspaceDimension) random affine subspaces, init scales \(z.scales.map(Claim.format)) × \(z.subspaceSeeds) seeds"
      ),
    ]
    let figures = [
      ExperimentFigure(
        id: "spectrum", title: "Top eigenvalues at the end",
        caption: "The top C + 4 Hessian eigenvalues; the outlier group ends near index C.",
        xLabel: "index", yLabel: "eigenvalue (nats / parameter²)", yLog: true,
        series: [
          .init("λᵢ", x: (1...spectrum.count).map(Double.init), y: spectrum, style: .lineAndMarkers)
        ],
        references: [.init(horizontal: false, value: Double(c) + 0.5, label: "C")]),
      ExperimentFigure(
        id: "sharpness", title: "λ₁ over training",
        caption: "At each refresh of the top-C subspace.",
        xLabel: "step", yLabel: "λ₁ (nats / parameter²)",
        series: [
          .init("λ₁", x: run.sharpnessSteps.map(Double.init), y: sharp, style: .lineAndMarkers)
        ]),
      ExperimentFigure(
        id: "alignment", title: "Gradient alignment f_top", caption: "Per SGD step.",
        xLabel: "step", yLabel: "f_top",
        series: [.init("SGD", x: Lab.steps(run.topFractions.count), y: run.topFractions)],
        references: [.init(value: Double(c) / Double(p), label: "chance")]),
      ExperimentFigure(
        id: "goldilocks", title: "Goldilocks zone",
        caption: "Each point: one random affine subspace (d = \(z.subspaceDimension)).",
        xLabel: "Tr(H_d)/‖H_d‖_F at the start", yLabel: "training accuracy",
        series: [.init("subspaces", x: measures, y: accuracies, style: .markers)]),
      ExperimentFigure(
        id: "loss", title: "SGD training loss", caption: "Full training-set loss.",
        xLabel: "step", yLabel: "loss (nats)", yLog: true,
        series: [.init("SGD", x: run.steps.map(Double.init), y: run.losses)]),
    ]
    var notes = [
      "Top eigenvalues: \(spectrum.map(Claim.format)); gaps λ_{C−1}/λ_C = \(Claim.format(gapAfterCm1)), λ_C/λ_{C+1} = \(Claim.format(gapAfterC)).",
      "λ₁ at the refreshes: first \(Claim.format(sharp.first ?? .nan)), peak \(Claim.format(peak)), last \(Claim.format(sharp.last ?? .nan)).",
    ]
    for (i, sc) in scaleOf.enumerated() {
      notes.append(
        "scale \(Claim.format(sc)): Tr/‖H‖ = \(Claim.format(measures[i])), accuracy \(Claim.format(accuracies[i]))"
      )
    }
    return ClaimsReport(
      paper: .fort2019, size: s,
      settings: [
        .init("model", model.spec), .init("data", "\(z.samples) digits (seed 2)"),
        .init("SGD", "η = 0.1, batch 32, \(z.steps) steps, init seed 1"),
        .init("k", "C = \(c), refreshed every \(every) steps"),
        .init("Hessian batch", "\(hb.count) samples"),
        .init(
          "subspaces",
          "d = \(z.subspaceDimension), Adam η = 0.05 full batch \(z.subspaceSteps) steps, scales \(z.scales.map(Claim.format))"
        ),
      ],
      claims: claims, figures: figures, notes: notes)
  }
}
