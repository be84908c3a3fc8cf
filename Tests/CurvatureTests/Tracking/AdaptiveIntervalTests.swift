import Foundation
import Testing

@testable import Curvature

/// H(w) = R(θ) D R(θ)ᵀ with θ = w₀, D = diag(10, 8, 1, ½, ¼, …) and R(θ) the rotation by θ in
/// the plane of e₁ and e₃: the top-2 eigenvectors are cos θ e₁ + sin θ e₃ and e₂, so the bases at
/// θ and θ′ overlap by exactly 1 − sin²(θ − θ′)/2.
private struct RotatingHessian: Sendable {
  static let p = 12
  let delay: Double

  init(delay: Double = 0) { self.delay = delay }

  /// D's i-th entry.
  static func eigenvalue(_ i: Int) -> Double {
    i == 0 ? 10 : i == 1 ? 8 : 1 / pow(2.0, Double(i - 2))
  }

  static func overlap(_ a: Double, _ b: Double) -> Double { 1 - pow(sin(a - b), 2) / 2 }

  func make() -> ClosureObjective {
    let p = Self.p
    let delay = delay
    let d: [Double] = (0..<p).map(Self.eigenvalue)
    return ClosureObjective(
      parameterCount: p, sampleCount: 4,
      perSampleLosses: { _, idx in idx.map { _ in 0 } },
      gradient: { _, _ in [Float](repeating: 0, count: p) },
      hessianVectorProduct: { w, _, v in
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        let (c, s) = (cos(Double(w[0])), sin(Double(w[0])))
        var x = v.map(Double.init)
        // Rᵀv, D, then R.
        (x[0], x[2]) = (c * x[0] + s * x[2], -s * x[0] + c * x[2])
        for i in 0..<p { x[i] *= d[i] }
        (x[0], x[2]) = (c * x[0] - s * x[2], s * x[0] + c * x[2])
        return x.map(Float.init)
      })
  }
}

@Suite struct AdaptiveIntervalTests {
  private static func tracker(
    _ policy: RefreshPolicy, lag: Int? = nil, delay: Double = 0, method: RefreshMethod = .lanczos
  ) throws -> DominantSubspaceTracker {
    try DominantSubspaceTracker(
      objective: RotatingHessian().make(),
      configuration: .init(
        k: 2, hessianBatch: .full, refresh: policy,
        lanczos: LanczosConfiguration(tolerance: 1e-6, maxProducts: 200),
        method: method, seed: 4,
        execution: lag.map { lag in
          .asynchronous(lag: lag, objective: { RotatingHessian(delay: delay).make() })
        } ?? .synchronous))
  }

  /// w at step t: θ = angle(t), the other coordinates fixed.
  private static func parameters(_ theta: Double) -> [Float] {
    var w = [Float](repeating: 0.5, count: RotatingHessian.p)
    w[0] = Float(theta)
    return w
  }

  private static let gradient = [Float](repeating: 1, count: RotatingHessian.p)

  @Test func nextDoublesHalvesAndClamps() {
    let a = AdaptiveInterval(minimum: 2, maximum: 100, targetOverlap: 0.99)
    #expect(a.next(after: 8, overlap: 0.99) == 16)
    #expect(a.next(after: 8, overlap: 0.995) == 16)
    #expect(a.next(after: 64, overlap: 1) == 100)
    #expect(a.next(after: 100, overlap: 1) == 100)
    #expect(a.next(after: 8, overlap: 0.9899) == 4)
    #expect(a.next(after: 3, overlap: 0.5) == 2)
    #expect(a.next(after: 2, overlap: 0) == 2)
    // No overflow at the top of the range.
    let wide = AdaptiveInterval(minimum: 1, maximum: Int.max, targetOverlap: 0.5)
    #expect(wide.next(after: Int.max / 2 + 1, overlap: 1) == Int.max)
  }

  @Test func policiesRoundTripThroughJSON() throws {
    let policy = RefreshPolicy(
      maximumDrift: 0.1,
      adaptiveInterval: AdaptiveInterval(minimum: 2, maximum: 64, targetOverlap: 0.98))
    let data = try JSONEncoder().encode(policy)
    #expect(try JSONDecoder().decode(RefreshPolicy.self, from: data) == policy)
    // A policy written before adaptive intervals existed reads as one without.
    let old = try JSONDecoder().decode(
      RefreshPolicy.self, from: Data(#"{"interval": 100, "minimumAlignment": 0.3}"#.utf8))
    #expect(old == RefreshPolicy(interval: 100, minimumAlignment: 0.3))
  }

  @Test func badSettingsAreTypedErrors() throws {
    for bad in [
      RefreshPolicy.adaptive(minimum: 0, maximum: 10),
      .adaptive(minimum: 5, maximum: 4),
      .adaptive(maximum: 10, targetOverlap: 0),
      .adaptive(maximum: 10, targetOverlap: 1.01),
      .adaptive(maximum: 10, targetOverlap: .nan),
      RefreshPolicy(interval: 10, adaptiveInterval: AdaptiveInterval(maximum: 10)),
    ] {
      #expect(throws: CurvatureError.self) { try bad.validate() }
      #expect(throws: CurvatureError.self) { try Self.tracker(bad) }
    }
    // Any lag ≥ 1 goes with an adaptive interval: the next refresh waits for the install.
    _ = try Self.tracker(.adaptive(maximum: 4), lag: 50)
    #expect(throws: CurvatureError.self) { try Self.tracker(.adaptive(maximum: 4), lag: 0) }
  }

  /// The refresh steps and intervals predicted by the closed-form overlap for θ = angle(t).
  private static func predicted(
    _ a: AdaptiveInterval, steps: Int, angle: (Int) -> Double
  ) -> [(step: Int, interval: Int)] {
    var out = [(step: 0, interval: a.minimum)]
    var (last, interval) = (0, a.minimum)
    while last + interval < steps {
      let t = last + interval
      interval = a.next(after: interval, overlap: RotatingHessian.overlap(angle(t), angle(last)))
      out.append((t, interval))
      last = t
    }
    return out
  }

  @Test(arguments: [RefreshMethod.lanczos, .subspaceIteration])
  func intervalFollowsHowFastTheBasisTurns(method: RefreshMethod) throws {
    // 0.02 rad per step for 40 steps, then still: an overlap of 0.99 allows |Δθ| ≤ 0.142, so
    // the interval doubles to 8, halves back to 4 each time Δθ reaches 0.16 (overlap 0.987),
    // and doubles up to the maximum once the basis stops turning.
    let angle = { (t: Int) in 0.02 * Double(min(t, 40)) }
    let a = AdaptiveInterval(minimum: 1, maximum: 16, targetOverlap: 0.99)
    let expected = Self.predicted(a, steps: 120, angle: angle)
    #expect(expected.map(\.step) == [0, 1, 3, 7, 15, 19, 27, 31, 39, 43, 51, 67, 83, 99, 115])
    // Subspace iteration takes one power step per refresh: it converges at (λ₃/λ₂)² = 1/64 per
    // refresh, slower than the exact basis turns at first, so only Lanczos follows the
    // prediction exactly; both must halve while the basis turns and reach the maximum after.
    let tracker = try Self.tracker(RefreshPolicy(adaptiveInterval: a), method: method)
    var got: [(step: Int, interval: Int, overlap: Double?)] = []
    var thetas: [Int: Double] = [:]
    for t in 0..<120 {
      thetas[t] = angle(t)
      let r = try tracker.observe(parameters: Self.parameters(angle(t)), gradient: Self.gradient)
      if let refresh = r.refresh {
        #expect(refresh.reason == (t == 0 ? .initial : .interval))
        #expect(refresh.refreshInterval == tracker.refreshInterval)
        got.append((t, try #require(tracker.refreshInterval), refresh.overlapWithPrevious))
      }
    }
    if method == .lanczos {
      #expect(got.map(\.step) == expected.map(\.step))
      #expect(got.map(\.interval) == expected.map(\.interval))
      for (i, g) in got.enumerated().dropFirst() {
        let exact = RotatingHessian.overlap(thetas[g.step]!, thetas[got[i - 1].step]!)
        #expect(abs(try #require(g.overlap) - exact) < 1e-5)
      }
    }
    #expect(got.contains { $0.interval < 8 && $0.step > 8 })
    #expect(got.last!.interval == 16 && tracker.refreshInterval == 16)
  }

  @Test func anUnboundedMaximumNeverOverflows() throws {
    // A basis that never turns: the interval doubles without bound (refreshes at 0, 1, 3, 7,
    // 15, 31, 63), and a checkpoint restores an interval of 2⁵².
    let tracker = try Self.tracker(.adaptive(maximum: Int.max, targetOverlap: 0.5))
    var steps: [Int] = []
    for t in 0..<100 {
      if try tracker.observe(parameters: Self.parameters(0.3), gradient: Self.gradient).refresh
        != nil
      {
        steps.append(t)
      }
    }
    #expect(steps == [0, 1, 3, 7, 15, 31, 63])
    #expect(tracker.refreshInterval == 64)
    // The largest interval a checkpoint holds: the next one cannot overflow.
    var state = tracker.snapshot()
    state.scalars["refreshInterval"] = Double(1 << 52)
    state.scalars["nextIntervalStep"] = 100
    try tracker.restore(state)
    #expect(
      try tracker.observe(parameters: Self.parameters(0.3), gradient: Self.gradient).refresh?
        .reason == .interval)
    #expect(tracker.refreshInterval == 1 << 53)
  }

  @Test func asynchronousRefreshesAdaptAtInstallAndIgnoreTiming() throws {
    let angle = { (t: Int) in 0.03 * Double(min(t, 30)) }
    let policy = RefreshPolicy.adaptive(minimum: 2, maximum: 12, targetOverlap: 0.99)
    func run(delay: Double) throws -> [(launch: Int, install: Int, interval: Int)] {
      let tracker = try Self.tracker(policy, lag: 5, delay: delay)
      var out: [(launch: Int, install: Int, interval: Int)] = []
      for t in 0..<80 {
        let r = try tracker.observe(parameters: Self.parameters(angle(t)), gradient: Self.gradient)
        if let refresh = r.refresh {
          out.append((refresh.step, refresh.installStep, tracker.refreshInterval!))
        }
      }
      return out
    }
    let fast = try run(delay: 0)
    let slow = try run(delay: 0.002)
    #expect(fast.map(\.launch) == slow.map(\.launch) && fast.map(\.install) == slow.map(\.install))
    #expect(fast.map(\.interval) == slow.map(\.interval))
    // Each refresh after the first is launched `interval` steps after the previous one was due,
    // or at the previous one's install step if that is later (the step after it when the new
    // one must run synchronously: one step installs one basis). It runs in the background
    // (installed 5 steps later) while the interval is at least the lag, synchronously otherwise.
    var deferred = 0
    for i in 1..<fast.count {
      let previous = fast[i - 1]
      let synchronous = previous.interval < 5
      let wasAsynchronous = previous.install > previous.launch
      let delay = wasAsynchronous && synchronous ? 1 : 0
      deferred += delay
      #expect(fast[i].install == fast[i].launch + (synchronous ? 0 : 5), "refresh \(i)")
      #expect(
        fast[i].launch == max(previous.launch + previous.interval, previous.install + delay),
        "refresh \(i)")
    }
    #expect(fast.dropFirst().contains { $0.install == $0.launch })
    #expect(fast.contains { $0.install == $0.launch + 5 })
    #expect(deferred > 0)
    #expect(fast.contains { $0.interval == 2 } && fast.last!.interval == 12)
  }

  @Test func checkpointKeepsTheIntervalAndResumesBitIdentically() throws {
    let angle = { (t: Int) in 0.025 * Double(min(t, 35)) }
    let policy = RefreshPolicy.adaptive(minimum: 1, maximum: 10, targetOverlap: 0.99)
    func observe(_ tracker: DominantSubspaceTracker, _ steps: Range<Int>) throws -> [Int] {
      try steps.compactMap { t in
        try tracker.observe(parameters: Self.parameters(angle(t)), gradient: Self.gradient)
          .refresh.map { _ in t }
      }
    }
    for lag in [nil, 2] as [Int?] {
      let whole = try Self.tracker(policy, lag: lag)
      let all = try observe(whole, 0..<70)
      let first = try Self.tracker(policy, lag: lag)
      let before = try observe(first, 0..<23)
      let bytes = try Checkpoint(
        step: 23, parameters: Self.parameters(angle(23)),
        optimizer: SGD(learningRate: 0.1)
          .snapshot(), tracker: first.snapshot()
      ).encoded()
      let resumed = try Self.tracker(policy, lag: lag)
      try resumed.restore(try #require(try Checkpoint.decode(bytes).tracker))
      #expect(resumed.refreshInterval == first.refreshInterval)
      #expect(before + (try observe(resumed, 23..<70)) == all)
      #expect(resumed.snapshot() == whole.snapshot())
    }
    // An interval outside this tracker's range is refused and changes nothing.
    let source = try Self.tracker(policy)
    _ = try observe(source, 0..<30)
    var state = source.snapshot()
    state.scalars["refreshInterval"] = 11
    let target = try Self.tracker(policy)
    _ = try observe(target, 0..<5)
    let unchanged = target.snapshot()
    #expect(throws: CurvatureError.self) { try target.restore(state) }
    #expect(target.snapshot() == unchanged)
  }
}
