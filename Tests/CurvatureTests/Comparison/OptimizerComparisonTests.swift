import Testing

@testable import Curvature

@Suite struct OptimizerComparisonTests {
  let objective = LeastSquaresObjective(parameters: 12, samples: 40, outputs: 2, seed: 4)
  var start: [Float] { [Float](repeating: 0.5, count: 12) }

  @Test func runsMatchAHandWrittenLoopAndShareTheMinibatchOrder() throws {
    let comparison = try OptimizerComparison(
      objective: objective, configuration: .init(steps: 15, batchSize: 8, seed: 9))
    let runs = try comparison.run(
      [
        .init("sgd", SGD(learningRate: 0.01)),
        .init("momentum", SGD(learningRate: 0.01, momentum: 0.9)),
      ], from: start)
    #expect(runs.map(\.name) == ["sgd", "momentum"])
    // The same loop by hand: batches drawn with replacement from SeededGenerator(seed: 9).
    var rng = SeededGenerator(seed: 9)
    var w = start
    var sgd = SGD(learningRate: 0.01)
    var losses: [Double] = []
    for _ in 0..<15 {
      let batch = SampleSet.indices((0..<8).map { _ in rng.nextInt(below: 40) })
      let (l, g) = try objective.lossAndGradient(at: w, samples: batch)
      losses.append(l)
      try sgd.step(parameters: &w, gradient: g)
    }
    #expect(runs[0].losses == losses && runs[0].parameters == w)
    #expect(runs[0].finalLoss == (try objective.loss(at: w, samples: .all(40))))
    #expect(runs[0].status == .completed && runs[0].stepsTaken == 15 && !runs[0].diverged)
    // Same start and batches: the first losses agree; then momentum goes its own way.
    #expect(runs[1].losses[0] == runs[0].losses[0] && runs[1].losses != runs[0].losses)
    #expect(runs[0].hessianVectorProducts == 0 && runs[0].trackerState == nil)
    #expect(runs.allSatisfy { $0.seconds >= 0 && $0.finalLoss < $0.losses[0] })
  }

  @Test func trackedRunsReportProductsRefreshesAndEigenvalues() throws {
    let comparison = try OptimizerComparison(
      objective: objective,
      configuration: .init(steps: 10, batchSize: 8, seed: 1, sampling: .shuffledEpochs))
    let events = EventLog()
    let runs = try comparison.run(
      [
        .init("sgd", SGD(learningRate: 0.01)),
        .init(
          "interpolated:1:1",
          SGD(learningRate: 0.01).projected(.interpolated(dominant: 1, bulk: 1)),
          tracking: .init(k: 3, hessianBatch: .full, refresh: .every(4))),
        .init(
          "bulk-sgd", SGD(learningRate: 0.01).projected(.bulk),
          tracking: .init(k: 3, hessianBatch: .full, refresh: .every(4))),
      ], from: start, onStep: events.record)
    // Weights 1 and 1 are plain SGD, with the tracker's HVPs on top.
    #expect(runs[1].losses == runs[0].losses)
    #expect(runs[1].hessianVectorProducts > 0 && runs[1].refreshes == 3)
    #expect(runs[2].eigenvalues.count == 3 && runs[2].trackerState != nil)
    #expect(runs[2].losses != runs[0].losses)
    #expect(events.steps == 30 && events.finished == [0, 1, 2])
  }

  @Test func shuffledEpochsVisitEverySampleOncePerEpoch() {
    var batches = OptimizerComparison.Batches(
      .init(steps: 1, batchSize: 16, sampling: .shuffledEpochs), sampleCount: 40)
    let epoch = (0..<3).flatMap { _ in batches.next().indexArray }
    #expect(epoch.count == 40 && Set(epoch).count == 40)
  }

  @Test func aDivergingRunStopsAndIsMarkedWhileTheOthersGoOn() throws {
    let comparison = try OptimizerComparison(
      objective: objective,
      configuration: .init(steps: 30, batchSize: 8, seed: 2, divergenceFactor: 100))
    let runs = try comparison.run(
      [.init("too-fast", SGD(learningRate: 5)), .init("sgd", SGD(learningRate: 0.01))],
      from: start)
    guard case .diverged(let step, let reason) = runs[0].status else {
      Issue.record("expected a diverged run, got \(runs[0].status)")
      return
    }
    #expect(step > 0 && step < 30 && runs[0].stepsTaken == step)
    #expect(reason.contains("exceeds 100.0 × the first loss"))
    #expect(runs[0].losses.count == step + 1 && runs[0].losses[step] > 100 * runs[0].losses[0])
    #expect(runs[1].status == .completed && runs[1].losses.count == 30)
    // Without a factor the same run goes on until its values are no longer finite.
    let unbounded = try OptimizerComparison(
      objective: objective, configuration: .init(steps: 400, batchSize: 8, seed: 2))
    let r = try unbounded.run([.init("too-fast", SGD(learningRate: 5))], from: start)[0]
    #expect(r.diverged && r.stepsTaken < 400)
  }

  @Test func badInputThrows() throws {
    #expect(throws: CurvatureError.self) {
      try OptimizerComparison(objective: objective, configuration: .init(steps: 0, batchSize: 1))
    }
    #expect(throws: CurvatureError.self) {
      try OptimizerComparison(
        objective: objective, configuration: .init(steps: 1, batchSize: 1, divergenceFactor: 1))
    }
    #expect(throws: CurvatureError.self) {
      try OptimizerComparison(
        objective: objective,
        configuration: .init(steps: 1, batchSize: 1, evaluation: .indices([40])))
    }
    let comparison = try OptimizerComparison(
      objective: objective, configuration: .init(steps: 2, batchSize: 4))
    #expect(throws: CurvatureError.dimensionMismatch(name: "start", expected: 12, actual: 3)) {
      try comparison.run([.init("sgd", SGD(learningRate: 0.1))], from: [1, 2, 3])
    }
    #expect(throws: CurvatureError.self) {
      try comparison.run(
        [
          .init(
            "bulk", SGD(learningRate: 0.1).projected(.bulk),
            tracking: .init(k: 12, hessianBatch: .full, refresh: .every(1)))
        ],
        from: start)
    }
  }
}

/// Collects comparison events.
final class EventLog {
  var steps = 0
  var finished: [Int] = []
  func record(_ event: OptimizerComparison.Event) {
    switch event {
    case .step: steps += 1
    case .finished(let run, _): finished.append(run)
    }
  }
}
