import Testing

@testable import Curvature

/// A tracker step through the generic `Optimizer` path.
private func genericStep<O: Optimizer>(
  _ tracker: DominantSubspaceTracker, _ optimizer: inout O, _ w: inout [Float], _ g: [Float],
  _ batch: SampleSet
) throws {
  try tracker.step(&optimizer, parameters: &w, gradient: g, minibatch: batch)
}

@Suite struct TrackerProjectedStepTests {
  /// Runs 12 seeded steps (refreshes every 4) and returns the parameters; with `foreignBasis`
  /// the optimizer's projection gets a basis of its own after step 5 (so Uᵀg of the tracker's
  /// basis must not be reused).
  private func run(
    _ mode: SubspaceProjection.Mode, placement: SubspaceProjection.Placement, generic: Bool,
    foreignBasis: Bool = false, momentum: Float = 0.9, precision: BasisPrecision = .single
  ) throws -> [Float] {
    try runRecording(
      mode, placement: placement, generic: generic, foreignBasis: foreignBasis,
      momentum: momentum, precision: precision
    ).parameters
  }

  /// ``run(_:placement:generic:foreignBasis:momentum:precision:)`` that also returns Σ η‖g_t‖
  /// and the largest ``Basis/precisionError`` of the tracked bases.
  private func runRecording(
    _ mode: SubspaceProjection.Mode, placement: SubspaceProjection.Placement, generic: Bool,
    foreignBasis: Bool = false, momentum: Float = 0.9, precision: BasisPrecision = .single
  ) throws -> (parameters: [Float], path: Double, epsilon: Double) {
    var path = 0.0
    var epsilon = 0.0
    let fx = try QuadraticFixture()
    var configuration = DominantSubspaceTracker.Configuration(
      k: 5, hessianBatch: .full, refresh: .every(4),
      lanczos: LanczosConfiguration(tolerance: 1e-4, maxProducts: 400), seed: 2)
    configuration.projectionPrecision = precision
    let tracker = try DominantSubspaceTracker(objective: fx.objective, configuration: configuration)
    var opt = SGD(learningRate: 0.01, momentum: momentum).projected(mode, placement: placement)
    var rng = SeededGenerator(seed: 5)
    var w = rng.gaussianVector(count: fx.p)
    let other = try Basis(
      orthonormalizing: (0..<5).map { _ in rng.gaussianVector(count: fx.p) }, dimension: fx.p)
    for step in 0..<12 {
      if foreignBasis && step == 5 { opt.projection.basis = other }
      let batch = SampleSet.indices((0..<4).map { _ in rng.nextInt(below: fx.n) })
      let (_, g) = try fx.objective.lossAndGradient(at: w, samples: batch)
      path += 0.01 * g.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
      if generic {
        try genericStep(tracker, &opt, &w, g, batch)
      } else {
        try tracker.step(&opt, parameters: &w, gradient: g, minibatch: batch)
      }
      epsilon = max(epsilon, tracker.basis?.precisionError ?? 0)
    }
    return (w, path, epsilon)
  }

  /// Reusing the χ_k coefficients in the projection changes no bit, in every mode and
  /// placement, across refreshes, and when the projection's basis is not the tracker's.
  @Test(arguments: [
    SubspaceProjection.Mode.bulk, .dominant, .interpolated(dominant: 0.5, bulk: 2), .full,
  ])
  func reusedCoefficientsGiveTheSameBits(mode: SubspaceProjection.Mode) throws {
    for placement in [SubspaceProjection.Placement.gradient, .update] {
      let fast = try run(mode, placement: placement, generic: false)
      let generic = try run(mode, placement: placement, generic: true)
      #expect(fast == generic)
      let fastForeign = try run(mode, placement: placement, generic: false, foreignBasis: true)
      let genericForeign = try run(mode, placement: placement, generic: true, foreignBasis: true)
      #expect(fastForeign == genericForeign)
      if mode != .full { #expect(fastForeign != fast) }
    }
  }

  /// The same with plain SGD (the one-pass projected step) and both precisions of the basis.
  /// The binary16 copy changes each step's projected gradient by at most (2ε + ε²)|α − β|‖g‖:
  /// the runs end within that much over the path Σ η‖g_t‖ (times 3 for the dynamics).
  @Test(arguments: [
    (SubspaceProjection.Mode.bulk, 1.0), (.dominant, 1.0),
    (.interpolated(dominant: 0.5, bulk: 2), 1.5),
  ])
  func onePassStepGivesTheSameBitsThroughEitherPath(
    mode: SubspaceProjection.Mode, weightGap: Double
  ) throws {
    var results: [[Float]] = []
    var bounds: [Double] = []
    for precision in [BasisPrecision.single, .half, .int8] {
      let fast = try runRecording(
        mode, placement: .gradient, generic: false, momentum: 0, precision: precision)
      let generic = try run(
        mode, placement: .gradient, generic: true, momentum: 0, precision: precision)
      #expect(fast.parameters == generic)
      results.append(fast.parameters)
      if precision != .single {
        #expect(fast.epsilon > 0)
        bounds.append(
          3 * weightGap * (2 * fast.epsilon + fast.epsilon * fast.epsilon) * fast.path)
      }
    }
    for (r, bound) in zip(results.dropFirst(), bounds) {
      #expect(results[0] != r)
      let apart = zip(results[0], r).reduce(0) {
        $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1)
      }.squareRoot()
      #expect(apart <= bound, "\(apart) apart, bound \(bound)")
    }
  }

  /// The recommended settings read the basis through its int8 copy; a checkpoint restores it.
  @Test func recommendedSettingsUseTheInt8CopyAcrossCheckpoints() throws {
    let fx = try QuadraticFixture()
    var configuration = DominantSubspaceTracker.Configuration.recommended(
      sampleCount: fx.n, k: 5, seed: 3)
    #expect(configuration.projectionPrecision == .int8)
    configuration.refresh = .every(3)
    let tracker = try DominantSubspaceTracker(objective: fx.objective, configuration: configuration)
    var opt = SGD(learningRate: 0.01).projected(.bulk)
    var rng = SeededGenerator(seed: 4)
    var w = rng.gaussianVector(count: fx.p)
    for _ in 0..<4 {
      let batch = SampleSet.indices((0..<8).map { _ in rng.nextInt(below: fx.n) })
      let (_, g) = try fx.objective.lossAndGradient(at: w, samples: batch)
      try tracker.step(&opt, parameters: &w, gradient: g, minibatch: batch)
    }
    let basis = try #require(tracker.basis)
    #expect(basis.precision == .int8 && basis.precisionError > 0)
    #expect(opt.projection.basis == basis)
    let copy = try DominantSubspaceTracker(objective: fx.objective, configuration: configuration)
    try copy.restore(tracker.snapshot())
    #expect(copy.basis == basis)
    #expect(
      DominantSubspaceTracker.Configuration(k: 5).projectionPrecision == .single)
  }
}

/// Counts which step a tracker takes through a wrapped ``ProjectedOptimizer``.
private struct StepSpy: Optimizer {
  var inner: ProjectedOptimizer<SGD>
  var reused = 0
  var plain = 0
  var learningRate: Float {
    get { inner.learningRate }
    set { inner.learningRate = newValue }
  }
  var stepCount: Int { inner.stepCount }
  mutating func step(parameters: inout [Float], gradient: [Float]) throws {
    plain += 1
    try inner.step(parameters: &parameters, gradient: gradient)
  }
  mutating func computeUpdate(
    gradient: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
    into update: UnsafeMutableBufferPointer<Float>
  ) {
    inner.computeUpdate(gradient: gradient, parameters: parameters, into: update)
  }
  mutating func stepReusingCoefficients(
    parameters: inout [Float], gradient: [Float], coefficients: UnsafeBufferPointer<Double>,
    basis: Basis
  ) throws -> Bool {
    let done = try inner.stepReusingCoefficients(
      parameters: &parameters, gradient: gradient, coefficients: coefficients, basis: basis)
    if done { reused += 1 }
    return done
  }
  mutating func updateProjection(_ body: (inout SubspaceProjection) throws -> Void) rethrows
    -> Bool
  { try inner.updateProjection(body) }
  func snapshot() -> OptimizerState { inner.snapshot() }
  mutating func restore(_ state: OptimizerState) throws { try inner.restore(state) }
}

@Suite struct TrackerGenericFastPathTests {
  /// In generic code the tracker reaches the projected optimizer's fast path (reusing Uᵀg)
  /// through the protocol; with the projection on the update it falls back to a plain step.
  @Test func genericCodeTakesTheFastPath() throws {
    for placement in [SubspaceProjection.Placement.gradient, .update] {
      let fx = try QuadraticFixture()
      let tracker = try DominantSubspaceTracker(
        objective: fx.objective,
        configuration: .init(
          k: 5, hessianBatch: .full, refresh: .every(4),
          lanczos: LanczosConfiguration(tolerance: 1e-4, maxProducts: 400), seed: 2))
      var spy = StepSpy(inner: SGD(learningRate: 0.01).projected(.bulk, placement: placement))
      var rng = SeededGenerator(seed: 5)
      var w = rng.gaussianVector(count: fx.p)
      for _ in 0..<8 {
        let batch = SampleSet.indices((0..<4).map { _ in rng.nextInt(below: fx.n) })
        let (_, g) = try fx.objective.lossAndGradient(at: w, samples: batch)
        try genericStep(tracker, &spy, &w, g, batch)
      }
      if placement == .gradient {
        #expect(spy.reused == 8 && spy.plain == 0)
      } else {
        #expect(spy.reused == 0 && spy.plain == 8)
      }
    }
  }
}
