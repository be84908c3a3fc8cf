import Curvature
import CurvatureModels
import Foundation

/// Prints the stabilisation figures: evaluation-stage and end-to-end cost of the Gaussian-moment
/// closed form against direct Monte Carlo, and each estimator's accuracy against a long direct
/// Monte Carlo run next to its cost (all measured side by side in one run).
///
///     swift run -c release Figures stabilization [--k 256] [--reference-probes 4096]
func stabilizationFigures(arguments: [String]) throws {
  func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count,
      let v = Int(arguments[i + 1])
    else { return fallback }
    return v
  }
  let k = option("--k", 256)
  let referenceProbes = option("--reference-probes", 4096)
  let clock = ContinuousClock()
  func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    var out: T? = nil
    let d = try clock.measure { out = try body() }
    return (out!, stabSeconds(d))
  }

  // A trained digits MLP (seeded): 64-32-10 tanh, P = 2,410, 300 SGD steps of batch 64.
  let data = try ClassificationData.digits()
  let model = try MLP(layerSizes: [64, 32, 10], activation: .tanh, data: data)
  var w = model.initialParameters(seed: 1)
  var config = DriverConfiguration(steps: 300)
  config.batchSize = 64
  config.seed = 1
  let report = try TrainingDriver(
    objective: model, optimizer: SGD(learningRate: 0.1, momentum: 0.9),
    monitor: try TrainingMonitor(), configuration: config
  ).run(parameters: &w)
  let trainLoss = try model.loss(at: w, samples: .all(data.count))
  print(
    "\n## Stabilisation estimators (digits MLP 64-32-10, P = \(model.parameterCount), "
      + "\(report.completedSteps) SGD steps, training loss \(stabSci(trainLoss)), k = \(k), σ = 1e-3)"
  )

  try stabilizationCostTables(model: model, at: w, k: k, name: "MLP")

  // 2. Accuracy against a long direct Monte Carlo run (same sample order), next to cost.
  let s = 64
  for (dim, sigma) in [(10, 1e-3), (45, 1e-3), (10, 1e-2)] {
    let e = try StabilizationEstimator(
      configuration: .init(
        sigma: sigma, subspaceDimension: dim, probeCount: s, orderCount: 1, seed: 2))
    let long = try StabilizationEstimator(
      configuration: .init(
        sigma: sigma, subspaceDimension: dim, probeCount: referenceProbes, orderCount: 1, seed: 2))
    let (ref, refSeconds) = try time {
      try long.curve(of: model, at: w, sampleCounts: [k], method: .direct)
    }
    print(
      "\n### Accuracy against direct Monte Carlo with S = \(referenceProbes) (D = \(dim), σ = \(sigma), k = \(k)): "
        + "\(stabSci(ref.mean[0])) ± \(stabSci(ref.standardError[0])) in \(stabDuration(refSeconds))"
    )
    print("| estimator | Δ | relative difference | time (incl. eigenvectors) |")
    print("|---|---:|---:|---:|")
    for method in [
      StabilizationMethod.gaussianMoment, .quadratic, .direct, .fullSpace, .pointwise,
    ] {
      let (c, t) = try time { try e.curve(of: model, at: w, sampleCounts: [k], method: method) }
      // Δ₁ is |increment|, so compare its square.
      let value = method == .pointwise ? c.mean[0] * c.mean[0] : c.mean[0]
      let name: String
      switch method {
      case .gaussianMoment: name = "closed form Δ̂_GM"
      case .quadratic: name = "quadratic MC, S = \(s)"
      case .direct: name = "direct MC, S = \(s)"
      case .fullSpace: name = "full-space Δ₂, S = \(s)"
      case .pointwise: name = "Δ₁² (pointwise)"
      }
      print(
        "| \(name) | \(stabSci(value)) | \(stabSci((value - ref.mean[0]) / ref.mean[0])) | \(stabDuration(t)) |"
      )
    }
  }
  // 3. The curve: closed form and full-space Δ₂ over k, averaged over 8 seeded orders.
  let grid = [8, 16, 32, 64, 128, 256, 512, 1024]
  let curveEstimator = try StabilizationEstimator(
    configuration: .init(
      sigma: 1e-3, subspaceDimension: 10, probeCount: 32, orderCount: 16, seed: 4))
  let (gmCurve, gmCurveSeconds) = try time {
    try curveEstimator.curve(of: model, at: w, sampleCounts: grid, method: .gaussianMoment)
  }
  let (fullCurve, fullCurveSeconds) = try time {
    try curveEstimator.curve(of: model, at: w, sampleCounts: grid, method: .fullSpace)
  }
  print("\n### Curves over k (D = 10, σ = 1e-3, 16 orders; full-space S = 32)")
  print("| k | Δ̂_GM ± stderr | full-space Δ₂ ± stderr | ratio |")
  print("|---:|---:|---:|---:|")
  for i in grid.indices {
    print(
      "| \(grid[i]) | \(stabSci(gmCurve.mean[i])) ± \(stabSci(gmCurve.standardError[i])) | "
        + "\(stabSci(fullCurve.mean[i])) ± \(stabSci(fullCurve.standardError[i])) | "
        + "\(String(format: "%.3f", gmCurve.mean[i] / fullCurve.mean[i])) |")
  }
  let eps = gmCurve.mean[0] / 100
  print(
    "log–log slope: closed form \(String(format: "%.2f", gmCurve.slope ?? .nan)), full-space "
      + "\(String(format: "%.2f", fullCurve.slope ?? .nan)); m*(ε = Δ(8)/100) = "
      + "\(try gmCurve.sufficientSampleSize(epsilon: eps).map(String.init) ?? "beyond the grid"); "
      + "time \(stabDuration(gmCurveSeconds)) (closed form, \(gmCurve.productCount) HVPs) vs "
      + "\(stabDuration(fullCurveSeconds)) (full-space)")
  // 4. The transformer: modular addition (p = 23, 529 sequences), 2 layers, width 32.
  let tokens = try TokenSequences.modularAddition(modulus: 23, seed: 1)
  let transformer = try Transformer(
    configuration: .init(
      vocabularySize: 24, contextLength: 3, modelWidth: 32, headCount: 4, layerCount: 2),
    data: tokens)
  var wt = transformer.initialParameters(seed: 1)
  var tconfig = DriverConfiguration(steps: 300)
  tconfig.batchSize = 64
  tconfig.seed = 1
  let treport = try TrainingDriver(
    objective: transformer, optimizer: Adam(learningRate: 3e-3), monitor: try TrainingMonitor(),
    configuration: tconfig
  ).run(parameters: &wt)
  print(
    "\n## Transformer (modular addition p = 23, 2 layers, width 32, P = \(transformer.parameterCount), "
      + "\(treport.completedSteps) Adam steps, training loss "
      + "\(stabSci(try transformer.loss(at: wt, samples: .all(transformer.sampleCount)))))")
  try stabilizationCostTables(model: transformer, at: wt, k: 256, name: "Transformer")
}

/// Evaluation-stage and end-to-end cost of the closed form against direct Monte Carlo at
/// D = 45, S = 64 for one model at sample count `k`.
func stabilizationCostTables(
  model: some DifferentiableObjective, at w: [Float], k: Int, name: String
) throws {
  let clock = ContinuousClock()
  func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    var out: T? = nil
    let d = try clock.measure { out = try body() }
    return (out!, stabSeconds(d))
  }
  let d = 45
  let s = 64
  let est = try StabilizationEstimator(
    configuration: .init(sigma: 1e-3, subspaceDimension: d, probeCount: s, orderCount: 1, seed: 1))
  let order = est.sampleOrder(0, sampleCount: model.sampleCount)
  let hessian = try ObjectiveHessian(
    objective: model, at: w, samples: .indices(Array(order[0..<k])))
  let (eig, eigSeconds) = try time {
    try Lanczos(configuration: est.configuration.lanczos).eigenpairs(of: hessian, count: d)
  }
  let (inc, incSeconds) = try time {
    try est.subspaceIncrement(of: model, at: w, order: order, sampleCount: k)
  }
  var sink = 0.0
  let gmSeconds = stabBest { sink += inc.expansion.gaussianMoment(sigma: 1e-3) }
  var qrng = SeededGenerator(seed: 5)
  let qmcSeconds = stabBest(minimum: 0.02) {
    sink += inc.expansion.quadraticMonteCarlo(sigma: 1e-3, probes: s, generator: &qrng).mean
  }
  var direct = (mean: 0.0, standardError: 0.0)
  let directSeconds = stabBest(trials: 3, minimum: 0.01) {
    direct = try! est.directMonteCarlo(
      of: model, at: w, basis: inc.basis, order: order, sampleCount: k)
  }
  let gm = inc.expansion.gaussianMoment(sigma: 1e-3)
  print(
    "\n### \(name): evaluation stage, D = \(d), S = \(s), k = \(k) (given U_D and a, c, B; best of 5)"
  )
  print("| stage | time | ratio to closed form |")
  print("|---|---:|---:|")
  print("| closed form Δ̂_GM (O(D²)) | \(stabDuration(gmSeconds)) | 1× |")
  print(
    "| quadratic Monte Carlo, S = \(s) | \(stabDuration(qmcSeconds)) | \(stabRatio(qmcSeconds / gmSeconds)) |"
  )
  print(
    "| direct Monte Carlo, S = \(s) (S·(k+1) per-sample losses) | \(stabDuration(directSeconds)) | **\(stabRatio(directSeconds / gmSeconds))** |"
  )
  print("\n### \(name): end to end, D = \(d), S = \(s), k = \(k) (single run each)")
  print("| stage | time | HVPs |")
  print("|---|---:|---:|")
  print(
    "| top-\(d) eigenvectors of H^(k) alone (Lanczos) | \(stabDuration(eigSeconds)) | \(eig.productCount) |"
  )
  print(
    "| eigenvectors + a, c, B setup (losses, 2 gradients, 2D HVPs) | \(stabDuration(incSeconds)) | \(inc.productCount) |"
  )
  let gmTotal = incSeconds + gmSeconds
  let directTotal = eigSeconds + directSeconds
  print("| closed form, total | \(stabDuration(gmTotal)) | |")
  print("| direct Monte Carlo, total | \(stabDuration(directTotal)) | |")
  print(
    "| direct / closed form, total | \(stabRatio(directTotal / gmTotal)) | |")
  print(
    "closed form \(stabSci(gm)), direct \(stabSci(direct.mean)) ± \(stabSci(direct.standardError)) (sink \(sink > 0))"
  )

}

private func stabSeconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Best time per call: `trials` trials of enough calls to last ≥ `minimum` seconds.
private func stabBest(trials: Int = 5, minimum: Double = 0.05, _ body: () -> Void) -> Double {
  let clock = ContinuousClock()
  body()
  var reps = 1
  while true {
    let t = clock.measure { for _ in 0..<reps { body() } }
    if stabSeconds(t) >= minimum || reps >= 1 << 24 { break }
    reps *= 2
  }
  var best = Double.infinity
  for _ in 0..<trials {
    let t = clock.measure { for _ in 0..<reps { body() } }
    best = min(best, stabSeconds(t) / Double(reps))
  }
  return best
}

private func stabSci(_ x: Double) -> String { String(format: "%.3e", x) }

private func stabRatio(_ x: Double) -> String {
  x >= 100 ? String(format: "%.0f×", x) : String(format: "%.1f×", x)
}

private func stabDuration(_ s: Double) -> String {
  if s < 1e-6 { return String(format: "%.0f ns", s * 1e9) }
  if s < 1e-3 { return String(format: "%.1f µs", s * 1e6) }
  if s < 1 { return String(format: "%.1f ms", s * 1e3) }
  return String(format: "%.2f s", s)
}
