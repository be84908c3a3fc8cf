import Testing

@testable import Curvature

/// ℓ(w) = ½ wᵀ diag(λ) w with HVPs that carry a seeded error of relative size `noise` · λ₁ —
/// the behaviour of finite-difference products — and a declared accuracy that may differ.
final class NoisyQuadratic: DifferentiableObjective {
  let parameterCount: Int
  let sampleCount = 4
  let lambdas: [Double]
  let noise: Double
  let hessianProductAccuracy: HessianProductAccuracy
  var generator = SeededGenerator(seed: 11)

  init(p: Int = 50, noise: Double, declared: HessianProductAccuracy) {
    parameterCount = p
    lambdas = (0..<p).map { (i: Int) -> Double in i < 4 ? Double(10 - 2 * i) : 1 / Double(i) }
    self.noise = noise
    hessianProductAccuracy = declared
  }

  func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    var s = 0.0
    for i in 0..<parameterCount { s += 0.5 * lambdas[i] * Double(w[i]) * Double(w[i]) }
    return s
  }

  func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    for i in 0..<parameterCount { gradient[i] = Float(lambdas[i]) * w[i] }
    return try loss(at: w, samples: samples)
  }

  func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    let vn = Kernels.norm(v)
    let e = generator.gaussianVector(count: parameterCount)
    let en = Kernels.norm(e)
    let scale = noise * lambdas[0] * vn / Double(en)
    for i in 0..<parameterCount {
      let exact = lambdas[i] * Double(v[i])
      out[i] = Float(exact + scale * Double(e[i]))
    }
  }

  func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    let l = try loss(at: w, samples: samples)
    for i in 0..<samples.count { losses[i] = l }
  }
}

@Suite struct InexactProductTests {
  /// Refreshes every step for `steps` steps from a drifting w; returns the refresh reports and
  /// the monitor's uncertified-refresh events.
  static func run(_ objective: NoisyQuadratic, steps: Int = 12, cap: Int = 2000) throws -> (
    [RefreshReport], [SubspaceRefresh]
  ) {
    let tracker = try DominantSubspaceTracker(
      objective: objective,
      configuration: .init(
        k: 4, hessianBatch: .full, refresh: .every(1),
        lanczos: LanczosConfiguration(tolerance: 1e-3, maxProducts: cap)))
    let monitor = try TrainingMonitor()
    var reports: [RefreshReport] = []
    var w = [Float](repeating: 0.3, count: objective.parameterCount)
    for _ in 0..<steps {
      let g = try objective.lossAndGradient(at: w, samples: .all(4)).gradient
      let r = try tracker.observe(parameters: w, gradient: g)
      if let refresh = r.refresh { reports.append(refresh) }
      _ = monitor.recordTrackerStep(r, learningRate: 0.05)
      for i in 0..<w.count { w[i] -= 0.05 * g[i] }
    }
    let uncertified = monitor.history.compactMap { e -> SubspaceRefresh? in
      if case .refreshUncertified(let r) = e { return r }
      return nil
    }
    return (reports, uncertified)
  }

  static func median(_ x: [Int]) -> Int { x.sorted()[x.count / 2] }

  @Test func declaredFiniteDifferencesKeepRefreshesCheapAndCertified() throws {
    let (reports, uncertified) = try Self.run(
      NoisyQuadratic(noise: 1e-2, declared: .finiteDifference(relativeError: 1e-2)))
    let counts = reports.map(\.productCount)
    let m = Self.median(counts)
    for r in reports {
      #expect(r.productCount <= 3 * m || r.reachedProductCap)
      #expect(r.allConverged)
      #expect(r.tolerance >= 4e-2)
      #expect(r.productCap == HessianProductAccuracy.finiteDifferenceProductCap(k: 4))
      // The eigenvalues are still right to the noise level.
      for (i, l) in r.eigenvalues.enumerated() { #expect(abs(l - Double(10 - 2 * i)) < 0.5) }
    }
    #expect(uncertified.isEmpty)
  }

  @Test func undeclaredFiniteDifferencesSpikeToTheCap() throws {
    // The situation the declaration prevents: exact products are assumed, the last pair never
    // certifies, and warm refreshes run to the product cap (2,000 by default; 400 here).
    let (reports, uncertified) = try Self.run(
      NoisyQuadratic(noise: 1e-2, declared: .exact), steps: 3, cap: 400)
    #expect(reports.contains { $0.productCount >= 400 && $0.reachedProductCap })
    #expect(!uncertified.isEmpty)
  }

  @Test func anUncertifiedRefreshIsReportedAndNotRepeated() throws {
    // Declared ten times too accurate: the first refreshes stop at the (finite-difference) cap
    // and say so; the tolerance floor then lets every later refresh certify cheaply.
    let (reports, uncertified) = try Self.run(
      NoisyQuadratic(noise: 1e-2, declared: .finiteDifference(relativeError: 1e-4)), steps: 20)
    let cap = HessianProductAccuracy.finiteDifferenceProductCap(k: 4)
    let capped = reports.filter(\.reachedProductCap)
    #expect(!capped.isEmpty)
    #expect(capped.allSatisfy { $0.productCount <= cap })
    #expect(uncertified.map(\.step) == capped.map(\.step))
    let firstCapped = try #require(capped.first?.step)
    #expect(capped.count <= 2)
    let later = reports.filter { $0.step > firstCapped + 2 }
    #expect(!later.isEmpty)
    #expect(later.allSatisfy { $0.allConverged && $0.productCount < cap / 2 })
  }

  @Test func accuracyValidationAndSettings() throws {
    #expect(throws: CurvatureError.self) {
      try HessianProductAccuracy.finiteDifference(relativeError: 0).validate()
    }
    #expect(throws: CurvatureError.self) {
      try HessianProductAccuracy.finiteDifference(relativeError: .nan).validate()
    }
    #expect(throws: CurvatureError.self) {
      _ = try DominantSubspaceTracker(
        objective: NoisyQuadratic(noise: 0, declared: .finiteDifference(relativeError: 2)),
        configuration: .init(k: 2, hessianBatch: .full, refresh: .every(1)))
    }
    let requested = LanczosConfiguration(tolerance: 1e-4, maxProducts: 5000)
    #expect(
      HessianProductAccuracy.exact.solverSettings(requested: requested, eigenvalues: [], k: 3)
        == requested)
    let fd = HessianProductAccuracy.finiteDifference(relativeError: 1e-3)
    let s = fd.solverSettings(requested: requested, eigenvalues: [10, 5, 2], k: 3)
    #expect(abs(s.tolerance - 4e-3 * 5) < 1e-12)
    #expect(s.maxProducts == 220)
    #expect(fd.solverSettings(requested: requested, eigenvalues: [], k: 3).tolerance == 4e-3)
    // The closure adapter declares its products.
    let closure = ClosureObjectiveTests.objective(withHVP: false)
    #expect(closure.hessianProductAccuracy == .centralDifferenceDefault)
    #expect(ClosureObjectiveTests.objective(withHVP: true).hessianProductAccuracy == .exact)
  }
}

@Suite struct TrackerDefaultsTests {
  @Test func recommendedConfigurationIsCheap() throws {
    let c = DominantSubspaceTracker.Configuration.recommended(sampleCount: 100, seed: 3)
    #expect(c.k == DominantSubspaceTracker.Configuration.Defaults.k)
    #expect(c.refresh.interval == DominantSubspaceTracker.Configuration.Defaults.refreshInterval)
    // The minibatch Hessian with one averaged subspace-iteration step per warm refresh: no
    // extra sample work beyond k HVPs on the minibatch.
    #expect(c.hessianBatch == .minibatch)
    #expect(c.method == .subspaceIteration)
    #expect(c.refreshAveraging == 0.5)
    // A minibatch Hessian is solved to 0.1, not 10⁻³ (its sampling error is far larger).
    #expect(c.lanczos.tolerance == 0.1)
    #expect(c.lanczos.tolerance == DominantSubspaceTracker.Configuration.Defaults.refreshTolerance)
    #expect(c.hessianBatch == DominantSubspaceTracker.Configuration.Defaults.hessianBatch)
    #expect(c.method == DominantSubspaceTracker.Configuration.Defaults.refreshMethod)
    #expect(c.seed == 3)
  }
}
