// The client's own training loop: SGD, Bulk-SGD and Dom-SGD on its own tanh network, a
// dominant-subspace tracker, a monitor with callbacks, and a check of the tracker's cost with
// finite-difference HVPs over 50 refreshes. Exits with status 1 if a check fails.
import Curvature
import Foundation
import TanhRegression

let model = TanhRegression()
let objective = model.objective()
let start = model.initialParameters()
let n = model.sampleCount
var failures: [String] = []

/// Trains `optimizer` for `steps` steps in the client's own loop, with a tracker and a monitor.
@MainActor func train<O: Optimizer>(
  _ name: String, _ optimizer: O, steps: Int, refreshEvery: Int,
  objective: ClosureObjective = objective
) throws -> (loss: Double, refreshes: [RefreshReport], events: [TrainingEvent.Kind: Int]) {
  var optimizer = optimizer
  var w = start
  let tracker = try DominantSubspaceTracker(
    objective: objective,
    configuration: .init(
      k: 4, hessianBatch: .subset(count: 128, seed: 3), refresh: .every(refreshEvery), seed: 5))
  let monitor = try TrainingMonitor()
  var counts: [TrainingEvent.Kind: Int] = [:]
  monitor.register { event, _ in
    counts[event.kind, default: 0] += 1
    if case .refreshUncertified(let r) = event {
      print("  \(name): refresh at step \(r.step) stopped at its cap (\(r.productCount) HVPs)")
    }
    if case .stabilityThresholdExceeded(let m) = event, m.consecutiveExceedances >= 3 {
      return .setLearningRate(m.learningRate * 0.5)
    }
    return .continue
  }
  var rng = SeededGenerator(seed: 9)
  var refreshes: [RefreshReport] = []
  for step in 0..<steps {
    let batch = SampleSet.indices((0..<32).map { _ in rng.nextInt(below: n) })
    let (loss, g) = try objective.lossAndGradient(at: w, samples: batch)
    var response = monitor.observe(
      step: step, loss: loss, gradient: g, learningRate: Double(optimizer.effectiveLearningRate))
    let report = try tracker.step(&optimizer, parameters: &w, gradient: g, minibatch: batch)
    // Emits the refresh (and an uncertified-refresh event when one stops at its cap) and
    // records λ₁ against the optimizer's own stability threshold.
    response.merge(monitor.recordTrackerStep(report, optimizer: optimizer))
    if let refresh = report.refresh { refreshes.append(refresh) }
    try response.apply(to: &optimizer)  // schedules, warm-up and projection switches included
    if response.shouldStop { break }
  }
  return (try objective.loss(at: w, samples: .all(n)), refreshes, counts)
}

let lr: Float = 0.2
let initial = try objective.loss(at: start, samples: .all(n))
print("tanh regression: P = \(model.parameterCount), N = \(n), initial loss \(initial)")
for (name, optimizer) in [
  ("sgd", SGD(learningRate: lr).projected(.full)),
  ("bulk-sgd", SGD(learningRate: lr).projected(.bulk)),
  ("dom-sgd", SGD(learningRate: lr).projected(.dominant)),
] {
  let (loss, refreshes, events) = try train(name, optimizer, steps: 300, refreshEvery: 25)
  let hvps = refreshes.reduce(0) { $0 + $1.productCount }
  print(
    "\(name): final loss \(String(format: "%.5f", loss)), \(refreshes.count) refreshes, "
      + "\(hvps) HVPs, λ₁ = \(String(format: "%.3f", refreshes.last?.eigenvalues[0] ?? 0)), "
      + "events \(events.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" })"
  )
  if !(loss.isFinite && loss < initial) { failures.append("\(name) did not reduce the loss") }
  if events[.sharpnessMeasured] != refreshes.count {
    failures.append("\(name): the monitor did not record λ₁ from every refresh")
  }
}

// The cost check: 50 refreshes with finite-difference HVPs (every 2 steps for 100 steps). No
// refresh may spend more than 3× the median HVPs of a refresh without reporting it.
let (_, refreshes, events) = try train(
  "bulk-sgd", SGD(learningRate: lr).projected(.bulk), steps: 100, refreshEvery: 2)
let counts = refreshes.map(\.productCount)
let median = counts.sorted()[counts.count / 2]
let unreported = refreshes.filter { $0.productCount > 3 * median && !$0.reachedProductCap }
let reported = refreshes.filter(\.reachedProductCap).count
print(
  "cost check: \(refreshes.count) refreshes, HVPs per refresh median \(median), max "
    + "\(counts.max() ?? 0) (first, cold: \(counts.first ?? 0)), reported at cap \(reported) "
    + "(monitor events \(events[.refreshUncertified] ?? 0)), over 3× median unreported "
    + "\(unreported.count)")
if refreshes.count != 50 { failures.append("expected 50 refreshes, got \(refreshes.count)") }
// The same run with the products claimed exact: the tolerance then sits below what the
// differences can certify, and on larger models refreshes ran to the 2,000-product cap.
let (_, claimed, _) = try train(
  "claimed-exact", SGD(learningRate: lr).projected(.bulk), steps: 100, refreshEvery: 2,
  objective: model.objective(accuracy: .exact))
let claimedCounts = claimed.map(\.productCount)
print(
  "products claimed exact: HVPs per refresh median \(claimedCounts.sorted()[claimedCounts.count / 2]), "
    + "max \(claimedCounts.max() ?? 0), at the cap \(claimed.filter(\.reachedProductCap).count)")
if !unreported.isEmpty {
  failures.append(
    "refreshes over 3× the median without a report at steps \(unreported.map(\.step))")
}
if reported != (events[.refreshUncertified] ?? 0) {
  failures.append("refreshes at the cap and monitor events disagree")
}

if failures.isEmpty {
  print("client example: all checks passed")
} else {
  for f in failures { print("FAILED: \(f)") }
  exit(1)
}
