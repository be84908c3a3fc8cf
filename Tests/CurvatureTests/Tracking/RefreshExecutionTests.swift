import Foundation
import Testing

@testable import Curvature

@Suite struct RefreshExecutionTests {
  private static func tracker(
    _ problem: QuarticProblem, every: Int = 5, lag: Int = 3, delay: Double = 0,
    failing: Bool = false, execution: RefreshExecution? = nil, method: RefreshMethod = .lanczos
  ) throws -> DominantSubspaceTracker {
    try DominantSubspaceTracker(
      objective: problem.make(),
      configuration: .init(
        k: 3, hessianBatch: .subset(count: 8, seed: 1), refresh: .every(every),
        lanczos: LanczosConfiguration(tolerance: 1e-4, maxProducts: 300), method: method, seed: 6,
        execution: execution
          ?? .asynchronous(lag: lag, objective: { problem.make(delay: delay, failing: failing) })))
  }

  /// `steps` Bulk-SGD steps on seeded minibatches of 4 from w, continuing `rng`.
  private static func train(
    _ problem: QuarticProblem, _ tracker: DominantSubspaceTracker, steps: Range<Int>,
    w: inout [Float], optimizer: inout ProjectedOptimizer<SGD>, rng: inout SeededGenerator,
    reports: inout [TrackerStepReport]
  ) throws {
    let objective = tracker.objective
    for _ in steps {
      let batch = SampleSet.indices((0..<4).map { _ in rng.nextInt(below: problem.n) })
      let (_, g) = try objective.lossAndGradient(at: w, samples: batch)
      reports.append(try tracker.step(&optimizer, parameters: &w, gradient: g, minibatch: batch))
    }
  }

  private static func start(_ problem: QuarticProblem) -> [Float] {
    var rng = SeededGenerator(seed: 3)
    return rng.gaussianVector(count: problem.p).map { $0 * 0.8 }
  }

  @Test func refreshDueAtTIsComputedFromWtAndInstalledAtTPlusLag() throws {
    let problem = QuarticProblem()
    let tracker = try Self.tracker(problem, every: 5, lag: 3)
    // A synchronous tracker observing the same (w, g) sequence refreshes from the same inputs.
    let reference = try Self.tracker(problem, execution: .synchronous)
    var w = Self.start(problem)
    var opt = SGD(learningRate: 0.01).projected(.bulk)
    var rng = SeededGenerator(seed: 9)
    var referenceBases: [Int: Basis] = [:]
    var referenceValues: [Int: [Double]] = [:]
    for t in 0..<14 {
      let batch = SampleSet.indices((0..<4).map { _ in rng.nextInt(below: problem.n) })
      let (_, g) = try tracker.objective.lossAndGradient(at: w, samples: batch)
      let seen = try reference.observe(parameters: w, gradient: g)
      if seen.refresh != nil {
        referenceBases[t] = reference.basis!
        referenceValues[t] = reference.eigenvalues
      }
      let basisBefore = opt.projection.basis
      let r = try tracker.step(&opt, parameters: &w, gradient: g, minibatch: batch)
      switch t {
      case 0:
        // The first refresh is synchronous.
        #expect(r.refresh?.reason == .initial && r.refresh?.installStep == 0 && r.launched == nil)
      case 5, 10:
        #expect(r.launched == .interval && r.refresh == nil && tracker.pendingInstallStep == t + 3)
        #expect(opt.projection.basis == basisBefore)
      case 8, 13:
        let installed = try #require(r.refresh)
        #expect(installed.step == t - 3 && installed.installStep == t && installed.warmStarted)
        // Bit-identical to the synchronous refresh from w at step t − 3.
        #expect(tracker.basis == referenceBases[t - 3])
        #expect(opt.projection.basis == tracker.basis && tracker.basis != basisBefore)
        #expect(tracker.eigenvalues == referenceValues[t - 3])
      default:
        #expect(r.refresh == nil && r.launched == nil)
        if t > 0 { #expect(opt.projection.basis == basisBefore) }
      }
    }
    #expect(tracker.refreshCount == 3 && tracker.refreshInFlight == false)
    #expect(tracker.productCount == reference.productCount)
    // The Hessian moved between the refreshes (the checks above are not vacuous).
    let moved = try SubspaceMetrics.overlap(referenceBases[0]!, referenceBases[10]!)
    #expect(moved < 0.9999)
    #expect(abs(referenceValues[10]![0] - referenceValues[0]![0]) > 1e-3 * referenceValues[0]![0])
  }

  @Test func firstRefreshInBackgroundStartsWithPlainSteps() throws {
    let problem = QuarticProblem()
    let tracker = try Self.tracker(
      problem,
      execution: .asynchronous(
        lag: 3, objective: { problem.make() }, firstRefreshInBackground: true))
    let reference = try Self.tracker(problem, execution: .synchronous)
    var w = Self.start(problem)
    var plainW = w
    var opt = SGD(learningRate: 0.01).projected(.bulk)
    var plain = SGD(learningRate: 0.01)
    var rng = SeededGenerator(seed: 9)
    for t in 0..<6 {
      let batch = SampleSet.indices((0..<4).map { _ in rng.nextInt(below: problem.n) })
      let (_, g) = try tracker.objective.lossAndGradient(at: w, samples: batch)
      if t == 0 { _ = try reference.observe(parameters: w, gradient: g) }
      let r = try tracker.step(&opt, parameters: &w, gradient: g, minibatch: batch)
      if t < 3 {
        // No basis yet: the projection is the identity, so these are plain SGD steps.
        try plain.step(parameters: &plainW, gradient: g)
        #expect(w == plainW && tracker.basis == nil && r.alignment == 0)
        #expect(r.launched == (t == 0 ? .initial : nil) && r.refresh == nil)
      } else if t == 3 {
        let installed = try #require(r.refresh)
        #expect(installed.reason == .initial && installed.step == 0 && installed.installStep == 3)
        #expect(!installed.warmStarted && tracker.basis == reference.basis)
        #expect(opt.projection.basis == tracker.basis && w != plainW)
      } else {
        #expect(r.launched == (t == 5 ? .interval : nil))
      }
    }
  }

  @Test(arguments: [RefreshMethod.lanczos, .subspaceIteration])
  func timingDoesNotChangeTheTrajectory(method: RefreshMethod) throws {
    let problem = QuarticProblem()
    func run(delay: Double, lag: Int) throws -> ([Float], Int) {
      let tracker = try Self.tracker(problem, every: 4, lag: lag, delay: delay, method: method)
      var w = Self.start(problem)
      var opt = SGD(learningRate: 0.01).projected(.bulk)
      var rng = SeededGenerator(seed: 21)
      var reports: [TrackerStepReport] = []
      try Self.train(
        problem, tracker, steps: 0..<22, w: &w, optimizer: &opt, rng: &rng, reports: &reports)
      return (w, tracker.productCount)
    }
    let first = try run(delay: 0, lag: 4)
    let second = try run(delay: 0, lag: 4)
    // Every HVP of the background refresh sleeps: the main thread waits at each install.
    let slow = try run(delay: 0.002, lag: 4)
    #expect(first.0 == second.0 && first.0 == slow.0)
    #expect(first.1 == second.1 && first.1 == slow.1)
    // A different lag is a different (deterministic) trajectory.
    #expect(try run(delay: 0, lag: 2).0 != first.0)
  }

  @Test func checkpointWithARefreshInFlightResumesBitIdentically() throws {
    let problem = QuarticProblem()
    var w = Self.start(problem)
    var opt = SGD(learningRate: 0.01).projected(.bulk)
    var rng = SeededGenerator(seed: 33)
    var reports: [TrackerStepReport] = []
    let tracker = try Self.tracker(problem, every: 5, lag: 4)
    try Self.train(
      problem, tracker, steps: 0..<22, w: &w, optimizer: &opt, rng: &rng, reports: &reports)
    // Interrupted at step 12 (refresh launched at 10, due at 14), resumed from bytes by a
    // fresh tracker whose background objective is slow.
    var w2 = Self.start(problem)
    var opt2 = SGD(learningRate: 0.01).projected(.bulk)
    var rng2 = SeededGenerator(seed: 33)
    let first = try Self.tracker(problem, every: 5, lag: 4)
    try Self.train(
      problem, first, steps: 0..<12, w: &w2, optimizer: &opt2, rng: &rng2, reports: &reports)
    #expect(first.refreshInFlight && first.pendingInstallStep == 14)
    let bytes = try Checkpoint(
      step: 12, parameters: w2, optimizer: opt2.snapshot(), tracker: first.snapshot(),
      generator: rng2
    ).encoded()
    let loaded = try Checkpoint.decode(bytes)
    let resumed = try Self.tracker(problem, every: 5, lag: 4, delay: 0.001)
    var opt3 = SGD(learningRate: 0.01).projected(.bulk)
    try opt3.restore(loaded.optimizer)
    try resumed.restore(try #require(loaded.tracker))
    #expect(resumed.refreshInFlight && resumed.pendingInstallStep == 14)
    var w3 = loaded.parameters
    var rng3 = try #require(loaded.generator)
    try Self.train(
      problem, resumed, steps: 12..<22, w: &w3, optimizer: &opt3, rng: &rng3, reports: &reports)
    #expect(w3 == w)
    #expect(resumed.snapshot() == tracker.snapshot())
    // A synchronous tracker cannot take over a refresh in flight.
    let synchronous = try Self.tracker(problem, every: 5, execution: .synchronous)
    #expect(throws: CurvatureError.self) { try synchronous.restore(first.snapshot()) }
  }

  @Test func backgroundFailureSurfacesAtInstallAndChangesNothing() throws {
    let problem = QuarticProblem()
    let tracker = try Self.tracker(problem, every: 4, lag: 2, failing: true)
    var w = Self.start(problem)
    var opt = SGD(learningRate: 0.01).projected(.bulk)
    var rng = SeededGenerator(seed: 5)
    var reports: [TrackerStepReport] = []
    try Self.train(
      problem, tracker, steps: 0..<6, w: &w, optimizer: &opt, rng: &rng, reports: &reports)
    #expect(tracker.refreshInFlight && tracker.pendingInstallStep == 6)
    let (_, g) = try tracker.objective.lossAndGradient(at: w, samples: .all(problem.n))
    let wBefore = w
    let optBefore = opt.snapshot()
    var trackerBefore = tracker.snapshot()
    #expect(throws: CurvatureError.diverged(reason: "test failure")) {
      try tracker.step(&opt, parameters: &w, gradient: g)
    }
    #expect(w == wBefore && opt.snapshot() == optBefore && !tracker.refreshInFlight)
    // Only the failed refresh in flight is gone.
    for key in trackerBefore.scalars.keys where key.hasPrefix("pending.") {
      trackerBefore.scalars[key] = nil
    }
    for key in trackerBefore.strings.keys where key.hasPrefix("pending.") {
      trackerBefore.strings[key] = nil
    }
    trackerBefore.arrays["pending.parameters"] = nil
    #expect(tracker.snapshot() == trackerBefore)
    // Training goes on with the previous basis.
    let r = try tracker.step(&opt, parameters: &w, gradient: g)
    #expect(r.step == 6 && r.refresh == nil && tracker.refreshCount == 1)
  }

  @Test func factoryProblemsAreTypedErrors() throws {
    let problem = QuarticProblem()
    struct Odd: Error {}
    let throwing = try Self.tracker(
      problem, execution: .asynchronous(lag: 1, objective: { throw Odd() }))
    let wrongSize = try Self.tracker(
      problem,
      execution: .asynchronous(lag: 1, objective: { QuarticProblem().makeWrongSize() }))
    for (tracker, check) in [
      (
        throwing,
        { (e: CurvatureError) in
          if case .invalidArgument("asynchronous refresh", _) = e { true } else { false }
        }
      ),
      (
        wrongSize,
        { (e: CurvatureError) in
          e
            == .dimensionMismatch(
              name: "background objective parameterCount", expected: 30, actual: 7)
        }
      ),
    ] {
      var w = Self.start(problem)
      var opt = SGD(learningRate: 0.01).projected(.bulk)
      let (_, g) = try tracker.objective.lossAndGradient(at: w, samples: .all(problem.n))
      try tracker.step(&opt, parameters: &w, gradient: g)  // synchronous first refresh
      for _ in 1..<6 { try tracker.step(&opt, parameters: &w, gradient: g) }
      #expect(tracker.pendingInstallStep == 6)
      do {
        try tracker.step(&opt, parameters: &w, gradient: g)
        Issue.record("expected the failed refresh to throw")
      } catch let error as CurvatureError {
        #expect(check(error), "\(error)")
      }
    }
  }

  @Test func lagIsValidated() throws {
    let problem = QuarticProblem()
    for lag in [0, -1, 6] {
      #expect(throws: CurvatureError.self) {
        try Self.tracker(problem, every: 5, lag: lag)
      }
    }
    #expect(
      throws: CurvatureError.outOfRange(
        name: "refresh lag", value: 6, range: "[1, 5] (the refresh interval)")
    ) { try Self.tracker(problem, every: 5, lag: 6) }
    // Without an interval any positive lag is fine.
    let drift = try DominantSubspaceTracker(
      objective: problem.make(),
      configuration: .init(
        k: 3, hessianBatch: .full, refresh: RefreshPolicy(maximumDrift: 0.1),
        execution: .asynchronous(lag: 50, objective: { problem.make() })))
    #expect(drift.configuration.execution.lag == 50)
    #expect(RefreshExecution.synchronous.lag == 0)
  }
}

extension QuarticProblem {
  /// An objective of the wrong size (7 parameters).
  fileprivate func makeWrongSize() -> ClosureObjective {
    ClosureObjective(
      parameterCount: 7, sampleCount: 12, perSampleLosses: { _, i in i.map { _ in 0 } },
      gradient: { w, _ in w }, hessianVectorProduct: { _, _, v in v })
  }
}
