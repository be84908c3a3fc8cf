import Curvature
import CurvatureModels

/// Kiselev & Grabovoy 2026: the curvature-aligned stabilisation measure Δ₂^(D)(k) decays like
/// k⁻², its Gaussian-moment closed form matches direct Monte Carlo where the quadratic model
/// holds and is orders of magnitude cheaper to evaluate, and Δ₂^(D) ≈ full-space Δ₂ at small σ.
///
/// Setting: a decoder-only transformer trained with Adam on modular addition; every estimator
/// is evaluated on the same increments (same sample orders, same U_D) at several σ.
enum Kiselev2026 {
  struct Size {
    var modulus: Int
    var width: Int
    var heads: Int
    var layers: [Int]
    var trainSteps: Int
    var grid: [Int]
    var d: Int
    var probes: Int
    var orders: Int
  }

  static func size(_ s: ExperimentSize) -> Size {
    switch s {
    case .quick:
      return Size(
        modulus: 7, width: 8, heads: 2, layers: [1], trainSteps: 20, grid: [4, 8, 16, 32],
        d: 4, probes: 16, orders: 1)
    case .full:
      return Size(
        modulus: 59, width: 64, heads: 4, layers: [2], trainSteps: 500,
        grid: [8, 16, 32, 64, 128, 256, 512], d: 10, probes: 256, orders: 3)
    }
  }

  static let sigmas = [1e-3, 1e-2, 3e-2, 1e-1, 3e-1]

  static func run(_ s: ExperimentSize, progress: (String) -> Void) throws -> ClaimsReport {
    let z = size(s)
    let data = try TokenSequences.modularAddition(modulus: z.modulus, seed: 7)
    let model = try Transformer(
      configuration: .init(
        vocabularySize: data.vocabularySize, contextLength: data.length, modelWidth: z.width,
        headCount: z.heads, layerCount: z.layers[0]),
      data: data)
    let n = model.sampleCount
    var w = model.initialParameters(seed: 1)
    progress("Adam \(z.trainSteps) steps on modular addition mod \(z.modulus)")
    var adam = Adam(learningRate: 3e-3)
    var rng = SeededGenerator(seed: 2)
    var trainLoss: [Double] = []
    for _ in 0..<z.trainSteps {
      let batch = SampleSet.indices((0..<min(64, n)).map { _ in rng.nextInt(below: n) })
      let (l, g) = try model.lossAndGradient(at: w, samples: batch)
      trainLoss.append(l)
      try adam.step(parameters: &w, gradient: g)
    }
    let finalLoss = try model.loss(at: w, samples: .all(n))

    func config(_ sigma: Double) -> StabilizationConfiguration {
      var c = StabilizationConfiguration(orderCount: z.orders)
      c.sigma = sigma
      c.subspaceDimension = z.d
      c.probeCount = z.probes
      c.seed = 4
      return c
    }
    let estimators = try sigmas.map { try StabilizationEstimator(configuration: config($0)) }
    let clock = ContinuousClock()
    let g = z.grid.count
    let m = sigmas.count
    // gm[σ][r][k], direct[σ][r][k]
    var gm = [[[Double]]](
      repeating: [[Double]](repeating: [Double](repeating: 0, count: g), count: z.orders),
      count: m)
    var direct = gm
    var curvatureShare = gm
    var gmTime = [Double](repeating: 0, count: m)
    var directTime = [Double](repeating: 0, count: m)
    var setupTime = 0.0
    for r in 0..<z.orders {
      let order = estimators[0].sampleOrder(r, sampleCount: n)
      for (i, k) in z.grid.enumerated() {
        progress("order \(r + 1)/\(z.orders), k = \(k): U_D, a, c, B")
        let t0 = clock.now
        let inc = try estimators[0].subspaceIncrement(
          of: model, at: w, order: order, sampleCount: k)
        setupTime += Lab.seconds(since: t0, clock)
        for (j, est) in estimators.enumerated() {
          let reps = 1000
          let t1 = clock.now
          var v = 0.0
          // Each evaluation takes its expansion through an opaque call (so tr B, ‖c‖² and
          // tr B² are recomputed, not hoisted) and chains σ to the previous result (`v * 0` is
          // 0 for finite v, and IEEE forbids folding it), so the optimiser can neither hoist the
          // loop-invariant work nor merge the repetitions into one.
          for _ in 0..<reps {
            let e = Lab.opaque(inc.expansion)
            v += e.gaussianMoment(sigma: sigmas[j] + v * 0)
          }
          gmTime[j] += Lab.seconds(since: t1, clock) / Double(reps)
          let value = v / Double(reps)
          gm[j][r][i] = value
          let a2 = inc.expansion.value * inc.expansion.value
          curvatureShare[j][r][i] = value > 0 ? 1 - a2 / value : .nan
          let t2 = clock.now
          direct[j][r][i] = try est.directMonteCarlo(
            of: model, at: w, basis: inc.basis, order: order, sampleCount: k
          ).mean
          directTime[j] += Lab.seconds(since: t2, clock)
        }
      }
    }
    progress("full-space Δ₂ at each σ")
    var full: [[Double]] = []
    for est in estimators {
      full.append(try est.curve(of: model, at: w, sampleCounts: z.grid, method: .fullSpace).mean)
    }
    func meanOverOrders(_ x: [[Double]]) -> [Double] {
      (0..<g).map { i in Lab.mean((0..<z.orders).map { x[$0][i] }) }
    }
    let shares = (0..<m).map { j in Lab.median(curvatureShare[j].flatMap { $0 }) }
    let c = shares.firstIndex { $0 >= 0.5 } ?? (m - 1)
    let sigmaC = sigmas[c]
    func relError(_ j: Int) -> Double {
      var e: [Double] = []
      for r in 0..<z.orders {
        for i in 0..<g where direct[j][r][i] > 0 {
          e.append(abs(gm[j][r][i] - direct[j][r][i]) / direct[j][r][i])
        }
      }
      return Lab.median(e)
    }
    func alignedRatio(_ j: Int) -> Double {
      let d = meanOverOrders(direct[j])
      return Lab.median(zip(d, full[j]).map { $0 / $1 })
    }
    let gmMean = meanOverOrders(gm[c])
    let slope = StabilizationCurve.logLogSlope(sampleCounts: z.grid, values: gmMean) ?? .nan
    let speedup = directTime[c] / gmTime[c]

    let kLabel = "samples k"
    var claims: [Claim] = []
    claims.append(
      Claim(
        id: "slope",
        statement: "Δ₂^(D)(k) decays like k⁻²: its log–log slope is about −2.",
        paperValue: "−2 (bound ∝ (k+1)⁻², Theorem; observed slope ≈ −2)",
        measured: slope, threshold: .between(-2.5, -1.5),
        thresholdSource: "the theorem's exponent −2, ± 0.5 for a finite grid and sample orders",
        quantification:
          "least-squares slope of log Δ̂_GM against log k at σ = \(Claim.format(sigmaC)), mean over \(z.orders) sample orders, k ∈ \(z.grid)"
      ))
    claims.append(
      Claim(
        id: "gm_vs_direct_median_rel_error",
        statement:
          "The Gaussian-moment closed form agrees with direct Monte Carlo where the curvature terms matter.",
        paperValue: "quadratic proxy valid for σ ≤ 1e-3 (107M-parameter transformer)",
        measured: relError(c), threshold: .atMost(0.2),
        thresholdSource:
          "agreement read as within 20%, above the ≈ \(Claim.format(100 / Double(z.probes).squareRoot()))% Monte Carlo noise of \(z.probes) probes",
        quantification:
          "median over k and orders of |Δ̂_GM − Δ̂_direct| ÷ Δ̂_direct at σ = \(Claim.format(sigmaC)), the smallest σ of \(sigmas.map(Claim.format)) where the curvature terms are at least half of Δ̂_GM (median share \(Claim.format(shares[c])))"
      ))
    claims.append(
      Claim(
        id: "gm_vs_direct_median_rel_error_small_sigma",
        statement: "At σ = 1e-3 the closed form agrees with direct Monte Carlo.",
        paperValue: "quadratic proxy valid for σ ≤ 1e-3",
        measured: relError(0), threshold: .atMost(0.2),
        thresholdSource: "as above",
        quantification:
          "as above at σ = 1e-3 (curvature share of Δ̂_GM there: \(Claim.format(shares[0])))"))
    claims.append(
      Claim(
        id: "gm_speedup",
        statement:
          "Evaluating the closed form is orders of magnitude faster than direct Monte Carlo.",
        paperValue: "≈ 18,000× at D = 45, S = 64 (107M parameters)",
        measured: speedup, threshold: .atLeast(100),
        thresholdSource:
          "two orders of magnitude: direct MC costs S(k+1) forward passes, the closed form O(D²) independent of the model, so the ratio shrinks with the model but should stay ≥ 100×",
        quantification:
          "evaluation-stage seconds of direct MC (S = \(z.probes)) ÷ closed form, summed over the grid and orders at σ = \(Claim.format(sigmaC)) (closed form \(Claim.format(gmTime[c] / Double(g * z.orders) * 1e9)) ns per evaluation, direct MC \(Claim.format(directTime[c] / Double(g * z.orders))) s; setup of U_D, a, c, B excluded: \(Claim.format(setupTime)) s in total)"
      ))
    claims.append(
      Claim(
        id: "aligned_vs_full_ratio_small_sigma",
        statement: "At small σ the curvature-aligned Δ₂^(D) ≈ the full-space Δ₂.",
        paperValue: "ratio ≈ 1 at σ ≤ 1e-3",
        measured: alignedRatio(0), threshold: .between(0.8, 1.25),
        thresholdSource: "'near 1' read as within 25% (symmetric on a log scale)",
        quantification: "median over k of Δ̂₂^(D)(direct) ÷ Δ̂₂(full space) at σ = 1e-3"))
    claims.append(
      Claim(
        id: "aligned_vs_full_ratio",
        statement:
          "Where the curvature terms matter the ratio departs from 1 (full-space probes see all P directions).",
        paperValue: "ratio breaks away from 1 at σ = 1e-2",
        measured: alignedRatio(c), threshold: .outside(0.8, 1.25),
        thresholdSource: "the complement of the small-σ band",
        quantification: "median over k of Δ̂₂^(D) ÷ Δ̂₂ at σ = \(Claim.format(sigmaC))"))

    let kx = z.grid.map(Double.init)
    var curves: [ExperimentFigure.Series] = [
      .init("closed form σ=\(Claim.format(sigmaC))", x: kx, y: gmMean, style: .lineAndMarkers),
      .init(
        "direct MC σ=\(Claim.format(sigmaC))", x: kx, y: meanOverOrders(direct[c]), style: .markers),
      .init("full space σ=\(Claim.format(sigmaC))", x: kx, y: full[c], style: .dashedLine),
    ]
    if c != 0 {
      curves.append(.init("closed form σ=1e-3", x: kx, y: meanOverOrders(gm[0]), style: .line))
    }
    let figures = [
      ExperimentFigure(
        id: "train", title: "Adam on modular addition",
        caption: "Minibatch loss while training w*.",
        xLabel: "step", yLabel: "loss (nats)", yLog: true,
        series: [.init("Adam", x: Lab.steps(trainLoss.count), y: trainLoss)]),
      ExperimentFigure(
        id: "stabilization", title: "Δ₂^(D)(k)",
        caption: "Mean over sample orders; the slope of the closed form is the `slope` claim.",
        xLabel: kLabel, yLabel: "Δ₂ (nats²)", xLog: true, yLog: true, series: curves),
      ExperimentFigure(
        id: "agreement", title: "Closed form ÷ direct MC against σ",
        caption:
          "Median over k and orders of Δ̂_GM ÷ Δ̂_direct, and the share of Δ̂_GM from the curvature terms (1 − a²/Δ̂_GM).",
        xLabel: "σ (parameter units)", yLabel: "ratio / share", xLog: true,
        series: [
          .init(
            "GM ÷ direct",
            x: sigmas,
            y: (0..<m).map { j in
              Lab.median(
                zip(gm[j].flatMap { $0 }, direct[j].flatMap { $0 }).map { $0 / $1 })
            }, style: .lineAndMarkers),
          .init("curvature share", x: sigmas, y: shares, style: .lineAndMarkers),
          .init(
            "Δ₂^(D) ÷ Δ₂ full", x: sigmas, y: (0..<m).map(alignedRatio), style: .lineAndMarkers),
        ],
        references: [.init(value: 1, label: "1")]),
    ]
    let notes = [
      "w*: loss \(Claim.format(finalLoss)) on all \(n) sequences after \(z.trainSteps) Adam steps.",
      "Per σ (\(sigmas.map(Claim.format))): median GM ÷ direct relative error \((0..<m).map { Claim.format(relError($0)) }), curvature share \(shares.map(Claim.format)), Δ₂^(D) ÷ Δ₂ \((0..<m).map { Claim.format(alignedRatio($0)) }).",
      "Where the closed form departs from direct MC at larger σ, the loss increment is no longer quadratic over the probe radius σ√D: the third- and fourth-order terms the closed form leaves out grow like σ³ and σ⁴ relative to the kept ones.",
    ]
    return ClaimsReport(
      paper: .kiselev2026, size: s,
      settings: [
        .init(
          "model",
          "transformer:\(z.width),\(z.heads),\(z.layers[0]) (P = \(model.parameterCount))"),
        .init("data", "modadd:\(z.modulus) (\(n) sequences, seed 7)"),
        .init("w*", "Adam η = 3e-3, batch 64, \(z.trainSteps) steps, init seed 1"),
        .init("D", "\(z.d)"), .init("probes S", "\(z.probes)"),
        .init("sample orders", "\(z.orders) (seed 4)"),
        .init("k grid", z.grid.map(String.init).joined(separator: ", ")),
        .init("σ grid", sigmas.map(Claim.format).joined(separator: ", ")),
      ],
      claims: claims, figures: figures, notes: notes)
  }
}
