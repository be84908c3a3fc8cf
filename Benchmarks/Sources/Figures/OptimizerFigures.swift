import Curvature
import CurvatureModels
import Foundation

/// Prints the optimizer figures (ratios measured side by side in one run).
///
///     swift run -c release Figures optimizers [training] [projection] [overhead] [loop]
///       [refresh] [--steps N]
///
/// `training`: plain SGD against Bulk-SGD with a warm-started refresh every 100 steps, and
/// against refreshing every step (Song et al.'s method), on a ReLU MLP [64, 32, 10] over the
/// 1,797 bundled digits, minibatch 64, Hessian batch a fixed seeded subset of 512, k = 10,
/// η = 0.1, N steps (default 1,000); plus HVPs per refresh, warm against cold.
/// `projection`: a Bulk-SGD step and the bare projection at P = 10⁷, k = 10…100, as a
/// fraction of the triad bandwidth measured in the same run.
/// `overhead`, `loop`: the per-step cost of the tracker and the projection at P = 2,410.
/// `refresh`: one cold and one warm refresh against their HVPs and 100 training steps.
func optimizerFigures(arguments: [String]) throws {
  var words = arguments
  var steps = 1000
  if let i = words.firstIndex(of: "--steps") {
    guard i + 1 < words.count, let n = Int(words[i + 1]), n >= 100 else {
      throw CurvatureError.invalidArgument(name: "--steps", reason: "expects a count ≥ 100")
    }
    steps = n
    words.removeSubrange(i...(i + 1))
  }
  let sections = Set(words.isEmpty ? ["training", "projection"] : words)
  if sections.contains("training") { try trainingFigures(steps: steps) }
  if sections.contains("projection") { try projectionStepFigures() }
  if sections.contains("overhead") { try stepOverheadFigures() }
  if sections.contains("loop") { try loopOverheadFigures() }
  if sections.contains("refresh") { try refreshCostFigures() }
}

/// One tracker refresh of the digits MLP (P = 2,410, k = 10, Hessian batch 512): the cold one
/// at the initial parameters and a warm one 100 SGD steps later, against the time of the same
/// number of single HVPs and of those 100 training steps (the window an asynchronous refresh
/// with lag 100 has); warm refreshes also serially, as a background refresh runs. Best of 10.
private func refreshCostFigures() throws {
  let data = try ClassificationData.digits()
  let model = try MLP(layerSizes: [64, 32, 10], activation: .relu, data: data)
  let n = model.sampleCount
  let w0 = model.initialParameters(seed: 1)
  // 100 plain SGD steps (minibatch 64, η = 0.1), timed: the window of a lag-100 refresh.
  var window = Double.infinity
  var w1 = w0
  for _ in 0..<10 {
    var w = w0
    var opt = SGD(learningRate: 0.1)
    var rng = SeededGenerator(seed: 4)
    let t0 = ContinuousClock.now
    for _ in 0..<100 {
      let batch = SampleSet.indices((0..<64).map { _ in rng.nextInt(below: n) })
      let (_, g) = try model.lossAndGradient(at: w, samples: batch)
      try opt.step(parameters: &w, gradient: g)
    }
    window = min(window, seconds(ContinuousClock.now - t0))
    w1 = w
  }
  let hb = try HessianBatch.subset(count: 512, seed: 2).fixedSamples(sampleCount: data.count)!
  var rng = SeededGenerator(seed: 8)
  let v = rng.gaussianVector(count: model.parameterCount)
  let hvp = bestSeconds {
    blackHoleValue = Double(try! model.hessianVectorProduct(at: w0, samples: hb, direction: v)[0])
  }
  let serialHVP = bestSeconds {
    SerialScope.run {
      blackHoleValue = Double(
        try! model.hessianVectorProduct(at: w0, samples: hb, direction: v)[0])
    }
  }
  print(
    "\n## One tracker refresh, P = \(model.parameterCount), k = 10, Hessian batch 512 (best of 10)")
  print(
    "one HVP \(fmt(hvp * 1e3, 3)) ms (serial \(fmt(serialHVP * 1e3, 3)) ms); 100 SGD steps "
      + "\(fmt(window * 1e3, 2)) ms")
  print("\n| refresh | ms | HVPs | the HVPs alone, ms | ÷ HVPs' time | ÷ 100 SGD steps |")
  print("|---|---:|---:|---:|---:|---:|")
  for (name, method, serial) in [
    ("cold Lanczos", nil, false), ("warm Lanczos", RefreshMethod.lanczos, false),
    ("warm block Ritz, 1 step", .blockRitz(iterations: 1), false),
    ("warm subspace iteration", .subspaceIteration, false),
    ("warm Lanczos, serial", .lanczos, true),
    ("warm block Ritz, 1 step, serial", .blockRitz(iterations: 1), true),
    ("warm subspace iteration, serial", .subspaceIteration, true),
  ] as [(String, RefreshMethod?, Bool)] {
    var best = (Double.infinity, 0)
    for _ in 0..<10 {
      let tracker = try DominantSubspaceTracker(
        objective: model,
        configuration: .init(
          k: 10, hessianBatch: .subset(count: 512, seed: 2), refresh: .every(1),
          method: method ?? .lanczos, seed: 3))
      let t0 = ContinuousClock.now
      let a = try tracker.refresh(parameters: w0)
      let t1 = ContinuousClock.now
      var r = (seconds(t1 - t0), a.productCount)
      if method != nil {
        var b: RefreshReport? = nil
        let t2 = ContinuousClock.now
        if serial {
          try SerialScope.run { b = try tracker.refresh(parameters: w1) }
        } else {
          b = try tracker.refresh(parameters: w1)
        }
        r = (seconds(ContinuousClock.now - t2), b!.productCount)
      }
      if r.0 < best.0 { best = r }
    }
    let products = Double(best.1) * (serial ? serialHVP : hvp)
    print(
      "| \(name) | \(fmt(best.0 * 1e3, 2)) | \(best.1) | \(fmt(products * 1e3, 2)) | "
        + "\(fmt(best.0 / products, 2)) | \(fmt(best.0 / window, 2)) |")
  }
}

/// SGD against Bulk-SGD with one refresh at step 0, best of 20 interleaved runs each: the
/// tracker's and the projection's cost per step inside the real training loop.
private func loopOverheadFigures() throws {
  let data = try ClassificationData.digits()
  let model = try MLP(layerSizes: [64, 32, 10], activation: .relu, data: data)
  let once = Variant(name: "one refresh at step 0", policy: .onDemand)
  var sgd = Double.infinity
  var tracked = Double.infinity
  var first = Double.infinity
  for _ in 0..<20 {
    sgd = min(sgd, try trainDigits(model: model, variant: nil, steps: 1000).seconds)
    tracked = min(tracked, try trainDigits(model: model, variant: once, steps: 1000).seconds)
    first = min(first, try trainDigits(model: model, variant: once, steps: 1).seconds)
  }
  print("\n## Per-step cost in the training loop (best of 20 interleaved runs of 1,000 steps)")
  print(
    "SGD \(fmt(sgd / 1000 * 1e6, 1)) µs/step; Bulk-SGD with one refresh at step 0 "
      + "\(fmt(tracked / 1000 * 1e6, 1)) µs/step; the refresh itself (a 1-step run) "
      + "\(fmt(first * 1e3, 2)) ms; tracker + projection beyond SGD "
      + "\(fmt((tracked - first - sgd * 0.999) / 1000 * 1e6, 1)) µs/step")
}

/// The per-step cost of the tracker and the projection at the digits MLP's size (P = 2,410,
/// k = 10), piece by piece, against a plain SGD step.
private func stepOverheadFigures() throws {
  let data = try ClassificationData.digits()
  let model = try MLP(layerSizes: [64, 32, 10], activation: .relu, data: data)
  let p = model.parameterCount
  var rng = SeededGenerator(seed: 7)
  let g = rng.gaussianVector(count: p)
  let w0 = model.initialParameters(seed: 1)
  let tracker = try DominantSubspaceTracker(
    objective: model,
    configuration: .init(k: 10, hessianBatch: .subset(count: 512, seed: 2), refresh: .onDemand))
  var opt = SGD(learningRate: 1e-9).projected(.bulk)
  var w = w0
  try tracker.step(&opt, parameters: &w, gradient: g)
  let basis = tracker.basis!
  print("\n## Per-step overhead at P = \(p), k = 10 (best of 5, µs per call)")
  print("\n| piece | µs |")
  print("|---|---:|")
  func show(_ name: String, _ body: () -> Void) {
    print("| \(name) | \(fmt(bestSeconds(body) * 1e6, 2)) |")
  }
  var plain = SGD(learningRate: 1e-9)
  show("SGD step (validated)") { try! plain.step(parameters: &w, gradient: g) }
  show("Bulk-SGD step (ProjectedOptimizer, validated)") {
    try! opt.step(parameters: &w, gradient: g)
  }
  show("tracker step + Bulk-SGD step") {
    _ = try! tracker.step(&opt, parameters: &w, gradient: g)
  }
  show("tracker.alignment (χ_k, validated)") { blackHoleValue = try! tracker.alignment(of: g) }
  var c = [Double](repeating: 0, count: 10)
  show("Uᵀg") {
    g.withUnsafeBufferPointer { gp in
      c.withUnsafeMutableBufferPointer { basis.coefficients(of: gp, into: $0) }
    }
  }
  var out = [Float](repeating: 0, count: p)
  show("bulk projection g − U(Uᵀg)") {
    g.withUnsafeBufferPointer { gp in
      out.withUnsafeMutableBufferPointer {
        basis.project(gp, dominantWeight: 0, bulkWeight: 1, into: $0)
      }
    }
  }
  show("‖g‖") { blackHoleValue = Kernels.norm(g) }
  show("finite check of g (Array.allSatisfy)") {
    blackHoleValue = g.allSatisfy { $0.isFinite } ? 1 : 0
  }
}

private struct TrainingRun {
  var loss: Double
  var seconds: Double
  var products: Int
  var refreshes: Int
  var productsPerRefresh: [Int]
  /// Time the training thread waited for asynchronous refreshes.
  var waited: Double = 0
  /// The mean share of the gradient the projection removed, f_top = ‖UᵀG‖²/‖g‖² with the basis
  /// in use, over steps 0–299 and over the rest.
  var removed: (early: Double, late: Double) = (0, 0)
  /// Each refresh's overlap ‖UᵀV‖²_F/k with the basis before it.
  var overlaps: [Double] = []
}

/// How a Bulk-SGD run refreshes its basis.
private struct Variant {
  var name: String
  var policy: RefreshPolicy = .every(100)
  var method: RefreshMethod = .lanczos
  var warmStart = true
  /// The install lag of an asynchronous refresh (`nil`: synchronous).
  var lag: Int? = nil
  /// Whether an asynchronous tracker computes its first refresh in the background too.
  var firstInBackground = false
}

/// One seeded training run; `variant == nil` means plain SGD without a tracker.
private func trainDigits(
  model: MLP, variant: Variant?, steps: Int, batchSeed: UInt64 = 4
) throws -> TrainingRun {
  let n = model.sampleCount
  var w = model.initialParameters(seed: 1)
  var opt = SGD(learningRate: 0.1).projected(.bulk)
  let (data, sizes) = (model.data, model.layerSizes)
  let tracker = try variant.map { v in
    try DominantSubspaceTracker(
      objective: model,
      configuration: .init(
        k: 10, hessianBatch: .subset(count: 512, seed: 2), refresh: v.policy,
        warmStart: v.warmStart, method: v.method, seed: 3,
        execution: v.lag.map { lag in
          .asynchronous(
            lag: lag, objective: { try MLP(layerSizes: sizes, activation: .relu, data: data) },
            firstRefreshInBackground: v.firstInBackground)
        } ?? .synchronous))
  }
  var plain = SGD(learningRate: 0.1)
  var rng = SeededGenerator(seed: batchSeed)
  var perRefresh: [Int] = []
  var removed = (early: 0.0, late: 0.0)
  var overlaps: [Double] = []
  let clock = ContinuousClock()
  let began = clock.now
  for step in 0..<steps {
    let batch = SampleSet.indices((0..<64).map { _ in rng.nextInt(below: n) })
    let (_, g) = try model.lossAndGradient(at: w, samples: batch)
    if let tracker {
      let r = try tracker.step(&opt, parameters: &w, gradient: g, minibatch: batch)
      if let refresh = r.refresh {
        perRefresh.append(refresh.productCount)
        if let o = refresh.overlapWithPrevious { overlaps.append(o) }
      }
      if step < 300 { removed.early += r.topFraction } else { removed.late += r.topFraction }
    } else {
      try plain.step(parameters: &w, gradient: g)
    }
  }
  let elapsed = seconds(clock.now - began)
  return TrainingRun(
    loss: try model.loss(at: w, samples: .all(n)), seconds: elapsed,
    products: tracker?.productCount ?? 0, refreshes: tracker?.refreshCount ?? 0,
    productsPerRefresh: perRefresh, waited: tracker.map { seconds($0.backgroundWaitTime) } ?? 0,
    removed: (removed.early / 300, removed.late / Double(steps - 300)), overlaps: overlaps)
}

private func trainingFigures(steps: Int) throws {
  let data = try ClassificationData.digits()
  let model = try MLP(layerSizes: [64, 32, 10], activation: .relu, data: data)
  print("\n## Bulk-SGD with a periodically refreshed subspace, MLP [64, 32, 10] ReLU on digits")
  print(
    "P = \(model.parameterCount), N = \(data.count), minibatch 64, Hessian batch 512 (fixed, seeded), "
      + "k = 10, η = 0.1, \(steps) steps; wall time best of 3, interleaved")
  let variants: [Variant] = [
    Variant(name: "every 100, warm Lanczos"),
    Variant(name: "every 100, warm block Ritz, 1 step", method: .blockRitz(iterations: 1)),
    Variant(name: "every 100, warm block Ritz, ≤ 2 steps", method: .blockRitz(iterations: 2)),
    Variant(name: "every 100, warm Lanczos, asynchronous (lag 100)", lag: 100),
    Variant(
      name: "every 100, warm block Ritz, 1 step, asynchronous (lag 100)",
      method: .blockRitz(iterations: 1), lag: 100),
    Variant(
      name: "every 100, warm block Ritz, 1 step, asynchronous (lag 100) from the first refresh "
        + "(steps 0–99 plain SGD)",
      method: .blockRitz(iterations: 1), lag: 100, firstInBackground: true),
    Variant(name: "every 100, warm subspace iteration", method: .subspaceIteration),
    Variant(
      name: "every 100, warm subspace iteration, asynchronous (lag 100)",
      method: .subspaceIteration, lag: 100),
    Variant(
      name: "adaptive, every 1–100 (overlap ≥ 0.99), warm subspace iteration",
      policy: .adaptive(maximum: 100, targetOverlap: 0.99), method: .subspaceIteration),
    Variant(
      name: "adaptive, every 1–100 (overlap ≥ 0.99), warm Lanczos",
      policy: .adaptive(maximum: 100, targetOverlap: 0.99)),
    Variant(
      name: "adaptive, every 1–100 (overlap ≥ 0.99), warm subspace iteration, asynchronous "
        + "(lag 100) at an interval of 100",
      policy: .adaptive(maximum: 100, targetOverlap: 0.99), method: .subspaceIteration, lag: 100),
  ]
  let once = Variant(name: "one refresh at step 0 (per-step overhead)", policy: .onDemand)
  var sgd: TrainingRun? = nil
  var best = [TrainingRun?](repeating: nil, count: variants.count + 1)
  for _ in 0..<3 {
    let a = try trainDigits(model: model, variant: nil, steps: steps)
    if sgd == nil || a.seconds < sgd!.seconds { sgd = a }
    for (i, v) in (variants + [once]).enumerated() {
      let r = try trainDigits(model: model, variant: v, steps: steps)
      if best[i] == nil || r.seconds < best[i]!.seconds { best[i] = r }
    }
  }
  let cold100 = try trainDigits(
    model: model, variant: Variant(name: "every 100, cold Lanczos", warmStart: false), steps: steps)
  let drift = Variant(
    name: "on drift ‖w − w_ref‖/‖w_ref‖ > 0.05, warm Lanczos",
    policy: RefreshPolicy(maximumDrift: 0.05))
  let driftRun = try trainDigits(model: model, variant: drift, steps: steps)
  let everyStep = Variant(name: "every step, warm Lanczos (Song et al.)", policy: .every(1))
  let every1 = try trainDigits(model: model, variant: everyStep, steps: steps)
  let s = sgd!
  func row(_ name: String, _ r: TrainingRun) -> String {
    let perRefresh =
      r.refreshes > 1
      ? fmt(Double(r.productsPerRefresh.dropFirst().reduce(0, +)) / Double(r.refreshes - 1), 1)
      : "–"
    return
      "| \(name) | \(fmt(r.loss, 4)) | \(fmt(r.seconds, 3)) | \(fmt(r.seconds / s.seconds, 2)) | "
      + "\(r.products) | \(r.refreshes) | \(r.productsPerRefresh.first.map(String.init) ?? "–") | \(perRefresh) |"
  }
  print(
    "\n| run | final loss (full set) | seconds | ÷ SGD time | HVPs | refreshes | first refresh HVPs | later refreshes, HVPs each |"
  )
  print("|---|---:|---:|---:|---:|---:|---:|---:|")
  print(row("SGD", s))
  for (i, v) in variants.enumerated() { print(row("Bulk-SGD, \(v.name)", best[i]!)) }
  print(row("Bulk-SGD, every 100, cold Lanczos", cold100))
  print(row("Bulk-SGD, \(drift.name)", driftRun))
  print(row("Bulk-SGD, \(once.name)", best[variants.count]!))
  print(row("Bulk-SGD, \(everyStep.name)", every1))
  print("")
  let onceRun = best[variants.count]!
  print(
    "- one refresh at step 0: \(fmt((onceRun.seconds - s.seconds) / Double(steps) * 1e6, 1)) µs "
      + "per step beyond SGD, including its \(onceRun.products) HVPs")
  for (i, v) in variants.enumerated() {
    let r = best[i]!
    print(
      "- \(v.name): wall time ÷ SGD \(fmt(r.seconds / s.seconds, 2))× (target ≤ 1.5×); "
        + "HVPs every step ÷ this \(fmt(Double(every1.products) / Double(r.products), 1))× "
        + "(target ≥ 20×)"
        + (v.lag == nil ? "" : "; training thread waited \(fmt(r.waited * 1e3, 1)) ms in total"))
  }
  // What a stale basis changes: the share of the gradient the projection removes.
  print(
    "- gradient share removed by the projection (mean f_top with the basis in use), steps "
      + "0–299 / 300–\(steps - 1): every step \(fmt(every1.removed.early, 3)) / "
      + "\(fmt(every1.removed.late, 3)); "
      + variants.enumerated().map { i, v in
        "\(v.name) \(fmt(best[i]!.removed.early, 3)) / \(fmt(best[i]!.removed.late, 3))"
      }.joined(separator: "; "))
  print(
    "- overlap of each refresh's basis with the one before, \(variants[0].name): "
      + best[0]!.overlaps.map { fmt($0, 3) }.joined(separator: ", "))
  // The final-loss comparison over several minibatch orders: one order is noisy.
  let seeds: [UInt64] = [4, 5, 6, 7, 8]
  var references: [TrainingRun] = [every1]
  for seed in seeds.dropFirst() {
    references.append(
      try trainDigits(model: model, variant: everyStep, steps: steps, batchSeed: seed))
  }
  for (i, v) in (variants + [drift]).enumerated() {
    var ratios: [Double] = []
    for (j, seed) in seeds.enumerated() {
      let a =
        j == 0
        ? (i < variants.count ? best[i]! : driftRun)
        : try trainDigits(model: model, variant: v, steps: steps, batchSeed: seed)
      ratios.append(a.loss / references[j].loss)
    }
    let meanRatio = ratios.reduce(0, +) / Double(ratios.count)
    let inBand = ratios.filter { $0 >= 0.95 && $0 <= 1.05 }.count
    print(
      "- final loss, \(v.name) ÷ every step, over 5 minibatch orders: "
        + ratios.map { fmt($0, 4) }.joined(separator: ", ")
        + "; mean \(fmt(meanRatio, 4)); \(inBand) of 5 within 0.95–1.05")
  }
  // Batched against single HVPs on the Hessian batch (what block refreshes rely on).
  let hb = try HessianBatch.subset(count: 512, seed: 2).fixedSamples(sampleCount: data.count)!
  let w = model.initialParameters(seed: 1)
  var rng = SeededGenerator(seed: 6)
  let v = rng.gaussianVector(count: model.parameterCount * 10)
  var out = [Float](repeating: 0, count: v.count)
  let single = bestSeconds {
    w.withUnsafeBufferPointer { wp in
      v.withUnsafeBufferPointer { vp in
        out.withUnsafeMutableBufferPointer { op in
          for j in 0..<10 {
            let r = (j * model.parameterCount)..<((j + 1) * model.parameterCount)
            try! model.hessianVectorProduct(
              at: wp, samples: hb, direction: UnsafeBufferPointer(rebasing: vp[r]),
              into: UnsafeMutableBufferPointer(rebasing: op[r]))
          }
        }
      }
    }
  }
  let block = bestSeconds {
    w.withUnsafeBufferPointer { wp in
      v.withUnsafeBufferPointer { vp in
        out.withUnsafeMutableBufferPointer {
          try! model.hessianVectorProducts(at: wp, samples: hb, directions: vp, count: 10, into: $0)
        }
      }
    }
  }
  let gradient = bestSeconds {
    blackHoleValue = try! model.lossAndGradient(at: w, samples: .range(0..<64)).loss
  }
  print(
    "- one HVP on the 512-sample Hessian batch: \(fmt(single / 10 * 1e3, 3)) ms single, "
      + "\(fmt(block / 10 * 1e3, 3)) ms per vector in a block of 10; one minibatch-64 gradient: "
      + "\(fmt(gradient * 1e3, 3)) ms")
}

nonisolated(unsafe) private var blackHoleValue = 0.0

private func projectionStepFigures() throws {
  let p = 10_000_000
  var rng = SeededGenerator(seed: 5)
  let x = rng.gaussianVector(count: p)
  var w = rng.gaussianVector(count: p)
  var a = [Float](repeating: 0, count: p)
  var triadBest = Double.infinity
  print(
    "\n## Projected optimizer step at P = 10⁷ (all cores, best of 5, interleaved with the triad)")
  print(
    "bytes counted: projection = U read twice + x read + out written, (2k + 2)·4P; "
      + "Bulk-SGD step = projection + input checks (2 reads) + SGD update (3), (2k + 7)·4P")
  print("\n| operation | k | ms | GB/s | ÷ triad |")
  print("|---|---:|---:|---:|---:|")
  for k in [10, 20, 50, 100] {
    // Columns are cyclic shifts of one Gaussian vector scaled to unit norm: the cost of a
    // projection does not depend on orthonormality, and this fills 4·P·k bytes quickly.
    var storage = [Float](repeating: 0, count: p * k)
    let scale = Float(1 / Kernels.norm(x))
    storage.withUnsafeMutableBufferPointer { s in
      for j in 0..<k {
        let shift = (j * 7919) % p
        for i in 0..<p { s[j * p + i] = scale * x[(i + shift) % p] }
      }
    }
    var state = SGD(learningRate: 1e-6).projected(.bulk).snapshot()
    state.arrays["basis"] = storage
    state.scalars["basis.dimension"] = Double(p)
    state.scalars["basis.count"] = Double(k)
    storage = []
    var opt = SGD(learningRate: 1e-6).projected(.bulk)
    try opt.restore(state)
    state = OptimizerState(kind: "")
    let basis = opt.projection.basis!
    var out = [Float](repeating: 0, count: p)
    var stepBest = Double.infinity
    var projBest = Double.infinity
    for _ in 0..<5 {
      a.withUnsafeMutableBufferPointer { ap in
        x.withUnsafeBufferPointer { bp in
          w.withUnsafeBufferPointer { cp in
            triadBest = min(
              triadBest, bestSeconds(trials: 1, minimum: 0.1) { triad(ap, bp, cp, 3) })
          }
        }
      }
      projBest = min(
        projBest,
        bestSeconds(trials: 1, minimum: 0.1) {
          x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer {
              basis.project(xp, dominantWeight: 0, bulkWeight: 1, into: $0)
            }
          }
        })
      stepBest = min(
        stepBest,
        bestSeconds(trials: 1, minimum: 0.1) { try! opt.step(parameters: &w, gradient: x) })
    }
    let triadRate = 12 * Double(p) / triadBest
    let fp = 4 * Double(p)
    let projRate = (2 * Double(k) + 2) * fp / projBest
    let stepRate = (2 * Double(k) + 7) * fp / stepBest
    print(
      "| projection x − U(Uᵀx) | \(k) | \(fmt(projBest * 1e3, 1)) | \(fmt(projRate / 1e9, 1)) | \(fmt(projRate / triadRate, 2)) |"
    )
    print(
      "| Bulk-SGD step | \(k) | \(fmt(stepBest * 1e3, 1)) | \(fmt(stepRate / 1e9, 1)) | \(fmt(stepRate / triadRate, 2)) |"
    )
  }
  print("\ntriad a ← b + s·c (best over the run): \(fmt(12 * Double(p) / triadBest / 1e9, 1)) GB/s")
}
