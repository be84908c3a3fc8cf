import Curvature
import CurvatureModels

/// Shared pieces of the experiments: data, sharpness, tracked training, small statistics.
enum Lab {
  /// Calls of `opaque(_:)`; the write is a side effect the optimiser must keep.
  nonisolated(unsafe) static var opaqueCalls = 0

  /// Returns `x` through a call the optimiser may neither inline nor treat as pure, so a timing
  /// loop that passes its input through it recomputes everything derived from that input on
  /// every iteration (nothing can be hoisted out of the loop or merged across iterations).
  @inline(never) @_optimize(none)
  static func opaque<T>(_ x: T) -> T {
    opaqueCalls &+= 1
    return x
  }

  static func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
    let d = clock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }

  /// A seeded random subset of `count` bundled digits (8×8 images, 10 classes).
  static func digits(count: Int, seed: UInt64) throws -> ClassificationData {
    let all = try ClassificationData.digits()
    var g = SeededGenerator(seed: seed)
    return try all.subset(Array(g.permutation(count: all.count).prefix(min(count, all.count))))
  }

  /// The top-`k` Hessian eigenpairs of `objective` at `w` on `samples`.
  static func eigenpairs(
    _ objective: any DifferentiableObjective, at w: [Float], samples: SampleSet, k: Int,
    tolerance: Double = 1e-3, maxProducts: Int = 3000, seed: UInt64 = 0
  ) throws -> EigenResult {
    let h = try ObjectiveHessian(objective: objective, at: w, samples: samples)
    return try Lanczos(
      configuration: LanczosConfiguration(
        tolerance: tolerance, maxProducts: maxProducts, seed: seed)
    ).eigenpairs(of: h, count: k)
  }

  /// λ₁ of the Hessian at `w` on `samples`.
  static func sharpness(
    _ objective: any DifferentiableObjective, at w: [Float], samples: SampleSet, seed: UInt64 = 0
  ) throws -> Double {
    try eigenpairs(objective, at: w, samples: samples, k: 1, tolerance: 1e-4, seed: seed)
      .eigenvalues[0]
  }

  /// What a tracked minibatch run recorded.
  struct TrackedRun {
    var parameters: [Float]
    /// Steps at which the full-set loss was recorded, and the losses.
    var steps: [Int] = []
    var losses: [Double] = []
    /// f_top = ‖P_dom g‖²/‖g‖² per step (with the basis in use).
    var topFractions: [Double] = []
    /// λ₁ at the refreshes: (step, λ₁).
    var sharpnessSteps: [Int] = []
    var sharpness: [Double] = []
    var products = 0
    var seconds = 0.0
    var finalLoss: Double { losses.last ?? .nan }
  }

  /// Trains with `optimizer` through a ``DominantSubspaceTracker`` (k, refresh every `every`
  /// steps, warm-started, on a fixed seeded Hessian batch), minibatches of `batch` drawn with
  /// replacement from a seeded generator; records the full-set loss every `recordEvery` steps.
  static func trainTracked<O: Optimizer>(
    _ objective: any DifferentiableObjective, optimizer: O, start: [Float], steps: Int,
    batch: Int, k: Int, every: Int, hessianBatch: Int, recordEvery: Int, seed: UInt64 = 9
  ) throws -> TrackedRun {
    let clock = ContinuousClock()
    let t0 = clock.now
    let n = objective.sampleCount
    var w = start
    var opt = optimizer
    let tracker = try DominantSubspaceTracker(
      objective: objective,
      configuration: .init(
        k: k, hessianBatch: hessianBatch >= n ? .full : .subset(count: hessianBatch, seed: 3),
        refresh: .every(every), warmStart: true))
    var rng = SeededGenerator(seed: seed)
    var run = TrackedRun(parameters: w)
    let all = SampleSet.all(n)
    for t in 0..<steps {
      if t % recordEvery == 0 {
        run.steps.append(t)
        run.losses.append(try objective.loss(at: w, samples: all))
      }
      let mb: SampleSet =
        batch >= n ? all : .indices((0..<batch).map { _ in rng.nextInt(below: n) })
      let (_, g) = try objective.lossAndGradient(at: w, samples: mb)
      let report = try tracker.step(&opt, parameters: &w, gradient: g, minibatch: mb)
      run.topFractions.append(report.topFraction)
      if let r = report.refresh, let l = r.eigenvalues.first {
        run.sharpnessSteps.append(t)
        run.sharpness.append(l)
      }
      if !w.allSatisfy({ $0.isFinite }) { break }
    }
    run.steps.append(steps)
    run.losses.append(
      w.allSatisfy { $0.isFinite } ? try objective.loss(at: w, samples: all) : .nan)
    run.parameters = w
    run.products = tracker.productCount
    run.seconds = seconds(since: t0, clock)
    return run
  }

  static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }

  static func median(_ x: [Double]) -> Double {
    let s = x.filter(\.isFinite).sorted()
    if s.isEmpty { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
  }

  /// Ranks (1-based, ties averaged).
  static func ranks(_ x: [Double]) -> [Double] {
    let order = x.indices.sorted { x[$0] < x[$1] }
    var r = [Double](repeating: 0, count: x.count)
    var i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
      let avg = Double(i + j) / 2 + 1
      for m in i...j { r[order[m]] = avg }
      i = j + 1
    }
    return r
  }

  static func pearson(_ x: [Double], _ y: [Double]) -> Double {
    let mx = mean(x)
    let my = mean(y)
    var sxy = 0.0
    var sxx = 0.0
    var syy = 0.0
    for (a, b) in zip(x, y) {
      sxy += (a - mx) * (b - my)
      sxx += (a - mx) * (a - mx)
      syy += (b - my) * (b - my)
    }
    return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : .nan
  }

  /// Spearman's rank correlation.
  static func spearman(_ x: [Double], _ y: [Double]) -> Double { pearson(ranks(x), ranks(y)) }

  static func steps(_ n: Int) -> [Double] { (0..<n).map(Double.init) }
}
