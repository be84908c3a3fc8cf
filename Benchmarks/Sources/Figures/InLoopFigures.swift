import Curvature
import CurvatureModels
import Foundation

/// In-loop tracking at P ≈ 1.1M: plain SGD against Bulk-SGD with a tracked dominant subspace,
/// interleaved in one run, with the tracked basis compared against exact references.
///
///     swift run -c release Figures inloop [--width 1024] [--steps 500] [--repeats 3]
///       [--variants default,recommended] [--reference-every 0] [--json FILE] [--breakdown-only]
///
/// Variants: `recommended` (`Configuration.recommended`, what `train` and `compare` use without
/// flags), `hessian` (recommended, refreshes on the Hessian instead of the Gauss–Newton matrix),
/// `single`, `half`, `int8` (recommended, projections reading the basis in that precision), `default` (the former command-line default: Lanczos on a fixed 512-sample batch),
/// `minibatch`, `minibatch-loose`, `minibatch-plain`, `subspace512`, `subsetN`, `avgN`, `coldT`
/// (recommended, first refresh at Lanczos tolerance T), `asyncL` and `asyncLbg` (recommended,
/// refreshes in the background installed L steps later; `bg`: the first one too).
///
/// Model: MLP 64-W-W-10 (tanh) on the 1,797 digits, minibatch 64, η = 0.1, k = 10, a refresh
/// every 100 steps; the same initial parameters and minibatch order for every run. For each
/// variant: wall time ÷ SGD's (after one untimed round, every repetition interleaved SGD,
/// variant, SGD, …; the ratio of the minima and the median of the per-repetition ratios), HVPs, final full-data loss ÷ SGD's, and the overlap ‖UᵀV‖²_F / k of the in-loop
/// basis with the exact top-10 eigenspace of the full-data Hessian at the same parameters
/// (Lanczos, tolerance 10⁻³), at the end and every `--reference-every` steps (0: end only).
/// A cost breakdown (one gradient, one projected step, one refresh of each kind) is printed
/// first, so the ratio can be read against the cost model (`--breakdown-only`: nothing else).
func inLoopFigures(arguments: [String]) throws {
  var width = 1024
  var steps = 500
  var repeats = 3
  var variants = ["default", "recommended"]
  var referenceEvery = 0
  var jsonPath: String? = nil
  var breakdownOnly = false
  try forEachOption(arguments, switches: ["--breakdown-only"]) { name, value in
    switch name {
    case "--width": width = Int(value) ?? width
    case "--steps": steps = Int(value) ?? steps
    case "--repeats": repeats = Int(value) ?? repeats
    case "--variants": variants = value.split(separator: ",").map(String.init)
    case "--reference-every": referenceEvery = Int(value) ?? 0
    case "--json": jsonPath = value
    case "--breakdown-only": breakdownOnly = true
    default: return false
    }
    return true
  }
  let data = try ClassificationData.digits()
  let model = try MLP(layerSizes: [64, width, width, 10], activation: .tanh, data: data)
  let n = model.sampleCount
  let p = model.parameterCount
  print("\n## In-loop tracking, MLP 64-\(width)-\(width)-10 tanh on digits, P = \(p), k = 10")
  print("load average at start: \(loadAverage())")
  let w0 = model.initialParameters(seed: 1)

  // Cost breakdown.
  var rng = SeededGenerator(seed: 4)
  let batch = SampleSet.indices((0..<64).map { _ in rng.nextInt(below: n) })
  let gradient = bestOf(5) { _ = try! model.lossAndGradient(at: w0, samples: batch) }
  let probe = try DominantSubspaceTracker(
    objective: model,
    configuration: .init(
      k: 10, hessianBatch: .minibatch, refresh: .every(1), method: .subspaceIteration, seed: 3))
  let t0 = ContinuousClock.now
  let cold = try probe.refresh(parameters: w0, minibatch: batch)
  let coldSeconds = seconds(ContinuousClock.now - t0)
  let warm = bestOf(3) { _ = try! probe.refresh(parameters: w0, minibatch: batch) }
  var bulk = SGD(learningRate: 0.1).projected(.bulk)
  _ = bulk.updateProjection { $0.basis = probe.basis }
  let g = try model.lossAndGradient(at: w0, samples: batch).gradient
  var wStep = w0
  var bulkHalf = SGD(learningRate: 0.1).projected(.bulk)
  _ = bulkHalf.updateProjection { $0.basis = probe.basis?.withPrecision(.half) }
  var wHalf = w0
  var bulkInt8 = SGD(learningRate: 0.1).projected(.bulk)
  _ = bulkInt8.updateProjection { $0.basis = probe.basis?.withPrecision(.int8) }
  var wInt8 = w0
  var plain = SGD(learningRate: 0.1)
  var wPlain = w0
  // The three steps interleaved, each right after a gradient evaluation (untimed), as in a
  // training loop where the gradient's work passes through the caches between two steps.
  var stepTimes: [[Double]] = [[], [], [], []]
  for _ in 0..<15 {
    for kind in 0..<4 {
      _ = try model.lossAndGradient(at: w0, samples: batch)
      let t0 = ContinuousClock.now
      switch kind {
      case 0: try plain.step(parameters: &wPlain, gradient: g)
      case 1: try bulk.step(parameters: &wStep, gradient: g)
      case 2: try bulkHalf.step(parameters: &wHalf, gradient: g)
      default: try bulkInt8.step(parameters: &wInt8, gradient: g)
      }
      stepTimes[kind].append(seconds(ContinuousClock.now - t0))
    }
  }
  let plainStep = stepTimes[0].min()!
  let projected = stepTimes[1].min()!
  let projectedHalf = stepTimes[2].min()!
  let projectedInt8 = stepTimes[3].min()!
  let medians = stepTimes.map { $0.sorted()[$0.count / 2] }
  let v = rng.gaussianVector(count: p)
  let hvp = bestOf(3) {
    _ = try! model.hessianVectorProduct(at: w0, samples: batch, direction: v)
  }
  // Blocks of 10 products, as a warm subspace-iteration refresh computes them.
  let block = rng.gaussianVector(count: 10 * p)
  var blockOut = [Float](repeating: 0, count: 10 * p)
  let hessianBlock = try ObjectiveHessian(objective: model, at: w0, samples: batch)
  let gaussNewtonBlock = try ObjectiveGaussNewton(objective: model, at: w0, samples: batch)
  func blockTime(_ op: some HessianOperator) -> Double {
    bestOf(3) {
      block.withUnsafeBufferPointer { vp in
        blockOut.withUnsafeMutableBufferPointer { try! op.apply(block: vp, count: 10, into: $0) }
      }
    }
  }
  let hvpBlock = blockTime(hessianBlock)
  let ggnBlock = blockTime(gaussNewtonBlock)
  print("\n| piece (minibatch 64) | ms | ÷ gradient |")
  print("|---|---:|---:|")
  for (name, s) in [
    ("gradient", gradient), ("SGD step (update only)", plainStep),
    ("Bulk-SGD step (projection + update)", projected),
    ("Bulk-SGD step, binary16 basis copy", projectedHalf),
    ("Bulk-SGD step, int8 basis copy", projectedInt8), ("one HVP", hvp),
    ("10 HVPs in one block", hvpBlock), ("10 Gauss–Newton products in one block", ggnBlock),
    ("cold Lanczos refresh (\(cold.productCount) HVPs)", coldSeconds),
    ("warm subspace-iteration refresh (10 HVPs, one block)", warm),
  ] {
    print("| \(name) | \(fmt(s * 1e3, 2)) | \(fmt(s / gradient, 2)) |")
  }
  print(
    "(steps: min of 15, each after a gradient; medians \(medians.map { fmt($0 * 1e3, 2) }) ms)")
  if breakdownOnly { return }

  // Training runs, interleaved.
  struct Variant {
    var name: String
    var configuration: DominantSubspaceTracker.Configuration?
  }
  func configuration(_ name: String) -> DominantSubspaceTracker.Configuration? {
    switch name {
    case "sgd": return nil
    case "default":
      return .init(
        k: 10, hessianBatch: .subset(count: 512, seed: 2), refresh: .every(100), seed: 3)
    case "subspace512":
      return .init(
        k: 10, hessianBatch: .subset(count: 512, seed: 2), refresh: .every(100),
        method: .subspaceIteration, seed: 3)
    case "minibatch":
      return .init(
        k: 10, hessianBatch: .minibatch, refresh: .every(100), method: .subspaceIteration,
        seed: 3, refreshAveraging: 0.5)
    case "recommended":
      // What `train` and `compare` use without flags.
      return .recommended(sampleCount: n, k: 10, seed: 3)
    case "hessian":
      // The recommended settings with refreshes on the Hessian instead of the Gauss–Newton matrix.
      var c = DominantSubspaceTracker.Configuration.recommended(sampleCount: n, k: 10, seed: 3)
      c.curvature = .hessian
      return c
    case "single", "half", "int8":
      // The recommended settings with the projections reading the basis in this precision.
      var c = DominantSubspaceTracker.Configuration.recommended(sampleCount: n, k: 10, seed: 3)
      c.projectionPrecision = BasisPrecision(rawValue: name)!
      return c
    case "minibatch-loose":
      // The minibatch variant with a loose cold start (tolerance 0.05, at most 3k products).
      return .init(
        k: 10, hessianBatch: .minibatch, refresh: .every(100),
        lanczos: LanczosConfiguration(tolerance: 0.05, maxProducts: 30),
        method: .subspaceIteration, seed: 3, refreshAveraging: 0.5)
    case "minibatch-plain":
      return .init(
        k: 10, hessianBatch: .minibatch, refresh: .every(100), method: .subspaceIteration,
        seed: 3)
    default:
      if name.hasPrefix("cold"), let tolerance = Double(name.dropFirst(4)) {
        // coldT: the recommended settings with the first (Lanczos) refresh at tolerance T.
        var c = DominantSubspaceTracker.Configuration.recommended(sampleCount: n, k: 10, seed: 3)
        c.lanczos.tolerance = tolerance
        return c
      }
      if name.hasPrefix("async") {
        // asyncL or asyncLbg: the recommended settings with refreshes computed on a background
        // thread and installed L steps later (bg: the first refresh too).
        var c = DominantSubspaceTracker.Configuration.recommended(sampleCount: n, k: 10, seed: 3)
        let background = name.hasSuffix("bg")
        let lag = Int(name.dropFirst(5).prefix { $0.isNumber }) ?? 50
        let sizes = [64, width, width, 10]
        c.execution = .asynchronous(
          lag: lag, objective: { try MLP(layerSizes: sizes, activation: .tanh, data: data) },
          firstRefreshInBackground: background)
        return c
      }
      if name.hasPrefix("subset") || name.hasPrefix("avg") {
        // subsetN or avgN: a fixed subset of N samples (avg: with averaging 0.5).
        let count = Int(name.drop { !$0.isNumber }) ?? 128
        return .init(
          k: 10, hessianBatch: .subset(count: count, seed: 2), refresh: .every(100),
          method: .subspaceIteration, seed: 3, refreshAveraging: name.hasPrefix("avg") ? 0.5 : 0)
      }
      return nil
    }
  }
  let runs =
    [Variant(name: "sgd", configuration: nil)]
    + variants.map { Variant(name: $0, configuration: configuration($0)) }
  struct Outcome {
    var seconds: [Double] = []
    var loss = 0.0
    var products = 0
    var refreshes = 0
    var overlaps: [(Int, Double)] = []
    var basis: Basis? = nil
    var parameters: [Float] = []
    /// The split of the fastest repetition.
    var split = Split()
  }
  var outcomes = [Outcome](repeating: Outcome(), count: runs.count)
  // Round 0 is untimed: the first runs in a process pay for fresh memory (the allocator keeps
  // large freed blocks only once it has seen them), which slowed the first SGD run by up to
  // 40 % and flattered the first ratio. It also records the references, off the clock.
  for r in 0...repeats {
    for (index, variant) in runs.enumerated() {
      let recordReferences = r == 0 && referenceEvery > 0 && variant.configuration != nil
      let result = try trainTracked(
        model: model, start: w0, steps: steps, configuration: variant.configuration,
        referenceEvery: recordReferences ? referenceEvery : 0)
      if recordReferences { outcomes[index].overlaps = result.overlaps }
      if r == 0 { continue }
      if result.seconds < (outcomes[index].seconds.min() ?? .infinity) {
        outcomes[index].split = result.split
      }
      outcomes[index].seconds.append(result.seconds)
      outcomes[index].loss = result.loss
      outcomes[index].products = result.products
      outcomes[index].refreshes = result.refreshes
      outcomes[index].basis = result.basis
      outcomes[index].parameters = result.parameters
    }
  }
  // Exact references at the end.
  for index in outcomes.indices where runs[index].configuration != nil {
    guard let basis = outcomes[index].basis else { continue }
    let exact = try exactTop(model: model, at: outcomes[index].parameters, k: 10)
    outcomes[index].overlaps.append((steps, try SubspaceMetrics.overlap(basis, exact.vectors)))
  }
  print("load average at end: \(loadAverage())")
  let sgdSeconds = outcomes[0].seconds
  print(
    "\n| run | final loss | ÷ SGD loss | seconds (min) | ÷ SGD min time | median ratio | HVPs | "
      + "refreshes | overlap with exact top-10 (step: value) |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
  var json: [[String: Any]] = []
  for (index, variant) in runs.enumerated() {
    let o = outcomes[index]
    let ratios = zip(o.seconds, sgdSeconds).map { $0 / $1 }.sorted()
    let median = ratios[ratios.count / 2]
    let ratioOfMinima = o.seconds.min()! / sgdSeconds.min()!
    let overlapText = o.overlaps.map { "\($0.0): \(fmt($0.1, 3))" }.joined(separator: ", ")
    print(
      "| \(variant.name) | \(fmt(o.loss, 4)) | \(fmt(o.loss / outcomes[0].loss, 3)) | "
        + "\(fmt(o.seconds.min()!, 2)) | \(fmt(ratioOfMinima, 2)) | \(fmt(median, 2)) | "
        + "\(o.products) | \(o.refreshes) | \(overlapText) |")
    json.append([
      "run": variant.name, "final_loss": o.loss, "loss_ratio": o.loss / outcomes[0].loss,
      "seconds": o.seconds, "time_ratios": ratios, "ratio_of_minima": ratioOfMinima,
      "hvps": o.products,
      "refreshes": o.refreshes,
      "basis_precision": o.basis?.precision.rawValue ?? "none",
      "basis_precision_error": o.basis?.precisionError ?? 0,
      "split_of_fastest_seconds": [
        "gradients": o.split.gradient, "refresh_steps": o.split.refreshSteps,
        "other_steps": o.split.steps, "each_refresh": o.split.refreshes,
      ],
      "overlaps": o.overlaps.map { ["step": $0.0, "overlap": $0.1] as [String: Any] },
    ])
  }
  print(
    "\n| run (fastest repetition) | gradients s | refresh steps s | other steps s | each refresh ms |"
  )
  print("|---|---:|---:|---:|---|")
  for (index, variant) in runs.enumerated() {
    let t = outcomes[index].split
    print(
      "| \(variant.name) | \(fmt(t.gradient, 2)) | \(fmt(t.refreshSteps, 2)) | "
        + "\(fmt(t.steps, 2)) | \(t.refreshes.map { fmt($0 * 1e3, 0) }.joined(separator: ", ")) |")
  }
  for (index, variant) in runs.enumerated() {
    guard let basis = outcomes[index].basis else { continue }
    print(
      "\(variant.name): final basis read in \(basis.precision.rawValue), ε = ‖Ũ − U‖_F = "
        + "\(fmt(basis.precisionError, 4))")
  }
  if let jsonPath {
    let document: [String: Any] = [
      "command": "Figures inloop " + arguments.joined(separator: " "),
      "date": ISO8601DateFormatter().string(from: Date()), "parameters": p, "steps": steps,
      "breakdown_ms": [
        "gradient": gradient * 1e3, "sgd_update": plainStep * 1e3,
        "bulk_step": projected * 1e3, "bulk_step_half": projectedHalf * 1e3,
        "bulk_step_int8": projectedInt8 * 1e3, "hvp": hvp * 1e3,
        "hvp_block10": hvpBlock * 1e3, "gauss_newton_block10": ggnBlock * 1e3,
        "cold_lanczos": coldSeconds * 1e3,
        "cold_lanczos_hvps": cold.productCount, "warm_subspace_iteration": warm * 1e3,
      ],
      "runs": json, "load_average": loadAverage(),
    ]
    let bytes = try JSONSerialization.data(
      withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    try bytes.write(to: URL(fileURLWithPath: jsonPath))
    print("wrote \(jsonPath)")
  }
}

/// One training run (SGD when `configuration` is nil), minibatch 64 drawn with replacement
/// from seed 4, η = 0.1; optional exact references every `referenceEvery` steps (not timed:
/// the clock stops while they are computed).
private func trainTracked(
  model: MLP, start: [Float], steps: Int, configuration: DominantSubspaceTracker.Configuration?,
  referenceEvery: Int
) throws -> (
  seconds: Double, loss: Double, products: Int, refreshes: Int, overlaps: [(Int, Double)],
  basis: Basis?, parameters: [Float], split: Split
) {
  let n = model.sampleCount
  var w = start
  var rng = SeededGenerator(seed: 4)
  var plain = SGD(learningRate: 0.1)
  var bulk = SGD(learningRate: 0.1).projected(.bulk)
  let tracker = try configuration.map {
    try DominantSubspaceTracker(objective: model, configuration: $0)
  }
  var elapsed = 0.0
  var split = Split()
  var overlaps: [(Int, Double)] = []
  for step in 0..<steps {
    let t0 = ContinuousClock.now
    let batch = SampleSet.indices((0..<64).map { _ in rng.nextInt(below: n) })
    let (_, g) = try model.lossAndGradient(at: w, samples: batch)
    let t1 = ContinuousClock.now
    var refreshed = false
    if let tracker {
      refreshed =
        try tracker.step(&bulk, parameters: &w, gradient: g, minibatch: batch).refresh != nil
    } else {
      try plain.step(parameters: &w, gradient: g)
    }
    let t2 = ContinuousClock.now
    elapsed += seconds(t2 - t0)
    split.gradient += seconds(t1 - t0)
    if refreshed {
      split.refreshSteps += seconds(t2 - t1)
      split.refreshes.append(seconds(t2 - t1))
    } else {
      split.steps += seconds(t2 - t1)
    }
    if referenceEvery > 0, step > 0, step % referenceEvery == 0, let basis = tracker?.basis {
      let exact = try exactTop(model: model, at: w, k: 10)
      overlaps.append((step, try SubspaceMetrics.overlap(basis, exact.vectors)))
    }
  }
  return (
    elapsed, try model.loss(at: w, samples: .all(n)), tracker?.productCount ?? 0,
    tracker?.refreshCount ?? 0, overlaps, tracker?.basis, w, split
  )
}

/// Where a run's time went, in seconds: the minibatch gradients (with the sample draw), the
/// optimizer steps that refreshed the basis, and all other optimizer steps.
private struct Split {
  var gradient = 0.0
  var refreshSteps = 0.0
  var steps = 0.0
  /// Each refresh step's time.
  var refreshes: [Double] = []
}

/// The exact top-k eigenpairs of the full-data Hessian at `w` (Lanczos, tolerance 10⁻³).
private func exactTop(model: MLP, at w: [Float], k: Int) throws -> EigenResult {
  let op = try ObjectiveHessian(objective: model, at: w, samples: .all(model.sampleCount))
  return try Lanczos(configuration: LanczosConfiguration(tolerance: 1e-3, maxProducts: 400))
    .eigenpairs(of: op, count: k)
}

/// The best wall time of `count` calls of `body`, in seconds.
private func bestOf(_ count: Int, _ body: () -> Void) -> Double {
  var best = Double.infinity
  for _ in 0..<count {
    let t0 = ContinuousClock.now
    body()
    best = min(best, seconds(ContinuousClock.now - t0))
  }
  return best
}

/// The 1-minute load average from /proc/loadavg ("?" where unavailable).
func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first
    .map(String.init) ?? "?"
}
