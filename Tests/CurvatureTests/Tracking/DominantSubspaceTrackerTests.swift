import Testing

@testable import Curvature

@Suite struct DominantSubspaceTrackerTests {
  @Test func findsTheOutliersAndMeasuresAlignment() throws {
    let fx = try QuadraticFixture()
    let tracker = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(
        k: 5, hessianBatch: .full, refresh: .every(1),
        lanczos: LanczosConfiguration(tolerance: 1e-5, maxProducts: 400)))
    var rng = SeededGenerator(seed: 1)
    let w = rng.gaussianVector(count: fx.p)
    let (_, grad) = try fx.objective.lossAndGradient(at: w, samples: .all(fx.n))
    let report = try tracker.observe(parameters: w, gradient: grad)
    let refresh = try #require(report.refresh)
    #expect(refresh.reason == .initial && !refresh.warmStarted && refresh.allConverged)
    for i in 0..<5 {
      #expect(abs(refresh.eigenvalues[i] - fx.eigenvalues[i]) < 1e-3 * fx.eigenvalues[i])
    }
    #expect(abs(refresh.spectralRatio! - 1.25) < 1e-3)
    // χ_k against the dense projection onto the exact eigenvectors.
    var dom = 0.0
    for k in 0..<5 {
      let c = (0..<fx.p).reduce(0.0) { $0 + fx.q[k][$1] * Double(grad[$1]) }
      dom += c * c
    }
    let chi = (dom / grad.reduce(0.0) { $0 + Double($1) * Double($1) }).squareRoot()
    #expect(abs(report.alignment - chi) < 1e-4)
    #expect(abs(report.topFraction - chi * chi) < 1e-4)
    #expect(tracker.productCount == refresh.productCount && tracker.refreshCount == 1)
  }

  /// χ_k is the same number, bit for bit, whether the tracker's step measures it (with ‖g‖ from
  /// its input check), `observe` does, or `alignment(of:)` is asked afterwards.
  @Test func stepObserveAndAlignmentAgreeBitForBit() throws {
    let problem = QuarticProblem()
    func tracker() throws -> DominantSubspaceTracker {
      try DominantSubspaceTracker(
        objective: problem.make(),
        configuration: .init(
          k: 3, hessianBatch: .minibatch, refresh: .every(3), method: .subspaceIteration,
          seed: 2, refreshAveraging: 0.5))
    }
    let stepping = try tracker()
    let observing = try tracker()
    var rng = SeededGenerator(seed: 8)
    var w = rng.gaussianVector(count: problem.p)
    var opt = SGD(learningRate: 0.01).projected(.bulk)
    for _ in 0..<8 {
      let batch = SampleSet.indices((0..<4).map { _ in rng.nextInt(below: problem.n) })
      let (_, g) = try stepping.objective.lossAndGradient(at: w, samples: batch)
      let seen = try observing.observe(parameters: w, gradient: g, minibatch: batch)
      let stepped = try stepping.step(&opt, parameters: &w, gradient: g, minibatch: batch)
      #expect(stepped.alignment.bitPattern == seen.alignment.bitPattern)
      #expect(try stepping.alignment(of: g).bitPattern == seen.alignment.bitPattern)
      #expect(seen.alignment > 0)
    }
  }

  @Test func refreshPolicyTriggers() throws {
    let fx = try QuadraticFixture()
    var rng = SeededGenerator(seed: 2)
    let w = rng.gaussianVector(count: fx.p)
    let (_, grad) = try fx.objective.lossAndGradient(at: w, samples: .all(fx.n))
    // Every 3 steps: refreshes at steps 0, 3, 6.
    let periodic = try DominantSubspaceTracker(
      objective: fx.objective, configuration: .init(k: 3, hessianBatch: .full, refresh: .every(3)))
    var reasons: [RefreshReason?] = []
    for _ in 0..<7 {
      reasons.append(try periodic.observe(parameters: w, gradient: grad).refresh?.reason)
    }
    #expect(reasons == [.initial, nil, nil, .interval, nil, nil, .interval])
    // Later refreshes are warm-started and agree with the previous basis.
    #expect(periodic.lastRefresh!.warmStarted && periodic.lastRefresh!.overlapWithPrevious! > 0.999)
    // On demand.
    let demand = try DominantSubspaceTracker(
      objective: fx.objective, configuration: .init(k: 3, hessianBatch: .full, refresh: .onDemand))
    _ = try demand.observe(parameters: w, gradient: grad)
    #expect(try demand.observe(parameters: w, gradient: grad).refresh == nil)
    demand.requestRefresh()
    #expect(try demand.observe(parameters: w, gradient: grad).refresh?.reason == .requested)
    // Alignment: a gradient orthogonal to the basis has χ = 0 < 0.5.
    let aligned = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(k: 3, hessianBatch: .full, refresh: RefreshPolicy(minimumAlignment: 0.5))
    )
    _ = try aligned.observe(parameters: w, gradient: grad)
    let orthogonal = aligned.basis!.projectBulk(grad)
    #expect(try aligned.observe(parameters: w, gradient: orthogonal).refresh?.reason == .alignment)
    // Drift: moving w by 20% triggers a 10% drift threshold.
    let drift = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(k: 3, hessianBatch: .full, refresh: RefreshPolicy(maximumDrift: 0.1))
    )
    _ = try drift.observe(parameters: w, gradient: grad)
    #expect(try drift.observe(parameters: w.map { $0 * 1.05 }, gradient: grad).refresh == nil)
    #expect(
      try drift.observe(parameters: w.map { $0 * 1.2 }, gradient: grad).refresh?.reason == .drift)
  }

  @Test func warmStartIsUsedAndNeverCostsMore() throws {
    let fx = try QuadraticFixture()
    var rng = SeededGenerator(seed: 3)
    let w = rng.gaussianVector(count: fx.p)
    let (_, grad) = try fx.objective.lossAndGradient(at: w, samples: .all(fx.n))
    let cfg = LanczosConfiguration(tolerance: 1e-4, maxProducts: 400)
    let warm = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(k: 5, hessianBatch: .full, refresh: .every(1), lanczos: cfg))
    let cold = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(
        k: 5, hessianBatch: .full, refresh: .every(1), lanczos: cfg, warmStart: false))
    for t in [warm, cold] { for _ in 0..<2 { _ = try t.observe(parameters: w, gradient: grad) } }
    // The warm start can only help (its measured savings on a trained network are reported by
    // the published-behaviour tests and the benchmarks).
    #expect(warm.lastRefresh!.productCount <= cold.lastRefresh!.productCount)
    #expect(warm.lastRefresh!.warmStarted && !cold.lastRefresh!.warmStarted)
    #expect(warm.lastRefresh!.allConverged && cold.lastRefresh!.allConverged)
  }

  @Test func switchRuleMovesTheOptimizerToTheTarget() throws {
    let fx = try QuadraticFixture()
    let tracker = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(
        k: 5, hessianBatch: .full, refresh: .every(5),
        switchRule: SwitchRule(threshold: 0.5, decay: 0.5)))
    var opt = SGD(learningRate: 0.005).projected(.full)
    var rng = SeededGenerator(seed: 4)
    var w = rng.gaussianVector(count: fx.p)
    var switchedAt: Int? = nil
    for s in 0..<10 {
      let (_, grad) = try fx.objective.lossAndGradient(at: w, samples: .all(fx.n))
      let r = try tracker.step(&opt, parameters: &w, gradient: grad)
      if r.switched { switchedAt = s }
    }
    // The gradient of a quadratic with large outliers lies mostly in their span: χ ≈ 1.
    #expect(switchedAt == 0)
    #expect(opt.projection.mode == .bulk && opt.projection.basis == tracker.basis)
    #expect(tracker.hasSwitched && tracker.alignmentAverage! > 0.5)
  }

  @Test func badInputThrowsAndLeavesTheTrackerUnchanged() throws {
    let fx = try QuadraticFixture()
    #expect(throws: CurvatureError.outOfRange(name: "k", value: 40, range: "[1, 39]")) {
      try DominantSubspaceTracker(
        objective: fx.objective,
        configuration: .init(k: 40, hessianBatch: .full, refresh: .every(1)))
    }
    #expect(throws: CurvatureError.self) {
      try DominantSubspaceTracker(
        objective: fx.objective, configuration: .init(k: 3, hessianBatch: .full, refresh: .every(0))
      )
    }
    let minibatch = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(k: 3, hessianBatch: .minibatch, refresh: .every(1)))
    let w = [Float](repeating: 0.1, count: fx.p)
    #expect(throws: CurvatureError.self) { try minibatch.observe(parameters: w, gradient: w) }
    let tracker = try DominantSubspaceTracker(
      objective: fx.objective, configuration: .init(k: 3, hessianBatch: .full, refresh: .every(1)))
    _ = try tracker.observe(parameters: w, gradient: w)
    let before = tracker.snapshot()
    var g = w
    g[3] = .infinity
    #expect(throws: CurvatureError.nonFinite(name: "gradient", index: 3)) {
      try tracker.observe(parameters: w, gradient: g)
    }
    #expect(throws: CurvatureError.self) { try tracker.observe(parameters: [1], gradient: [1]) }
    var opt = SGD(learningRate: -1).projected(.bulk)
    var wCopy = w
    #expect(throws: CurvatureError.self) { try tracker.step(&opt, parameters: &wCopy, gradient: w) }
    #expect(tracker.snapshot() == before && wCopy == w)
    var wrongKind = before
    wrongKind.kind = "SGD"
    #expect(throws: CurvatureError.self) { try tracker.restore(wrongKind) }
    var wrongSize = before
    wrongSize.arrays["basis"] = [1, 2, 3]
    #expect(throws: CurvatureError.self) { try tracker.restore(wrongSize) }
    #expect(tracker.snapshot() == before)
  }

  @Test func subsetBatchIsFixedAndSeeded() throws {
    let a = try HessianBatch.subset(count: 5, seed: 9).fixedSamples(sampleCount: 100)
    let b = try HessianBatch.subset(count: 5, seed: 9).fixedSamples(sampleCount: 100)
    #expect(a == b && a?.count == 5)
    #expect(Set(a!.indexArray).count == 5)
    #expect(throws: CurvatureError.self) {
      try HessianBatch.subset(count: 0, seed: 1).fixedSamples(sampleCount: 10)
    }
  }
}
