import Foundation
import Testing

@testable import Curvature
@testable import CurvatureModels

/// The complete example of the article "Plugging Curvature into your training loop", shortened
/// (fewer steps, a smaller network) so it runs in a debug build, then resumed from its checkpoint.
@Suite struct TrainingLoopArticleTests {
  @Test func articleExampleRunsAndResumes() throws {
    let data = try ClassificationData.digits().subset(Array(0..<300))
    let model = try MLP(layerSizes: [64, 8, 10], activation: .relu, data: data)
    var parameters = model.initialParameters(seed: 1)
    func makeOptimizer() -> some Optimizer {
      SGD(learningRate: 0.05, momentum: 0.9)
        .projected(.bulk, placement: .update)
        .clipped(maxNorm: 10)
        .scheduled(.linearWarmup(steps: 5, then: .cosine(steps: 25, finalFraction: 0.1)))
    }
    func makeTracker() throws -> DominantSubspaceTracker {
      try DominantSubspaceTracker(
        objective: model,
        configuration: .init(
          k: 10, hessianBatch: .subset(count: 128, seed: 2), refresh: .every(10), seed: 3))
    }
    var optimizer = makeOptimizer()
    let tracker = try makeTracker()
    var order = SeededGenerator(seed: 4)
    let initialLoss = try model.loss(at: parameters, samples: .all(data.count))
    for _ in 0..<30 {
      let batch = SampleSet.indices((0..<32).map { _ in order.nextInt(below: data.count) })
      let (_, gradient) = try model.lossAndGradient(at: parameters, samples: batch)
      try tracker.step(&optimizer, parameters: &parameters, gradient: gradient, minibatch: batch)
    }
    #expect(try model.loss(at: parameters, samples: .all(data.count)) < initialLoss)
    #expect(tracker.refreshCount == 3)
    let anatomy = try tracker.anatomy(parameters: parameters, maskSize: model.parameterCount / 10)
    #expect(anatomy.maskChanceLevel > 0 && anatomy.gaussNewtonShare != nil)
    let path =
      NSTemporaryDirectory() + "curvature-article-\(ProcessInfo.processInfo.processIdentifier).ckpt"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Checkpoint(
      step: 30, parameters: parameters, optimizer: optimizer.snapshot(),
      tracker: tracker.snapshot(), generator: order
    ).write(to: path)
    let loaded = try Checkpoint.read(from: path)
    var resumed = makeOptimizer()
    try resumed.restore(loaded.optimizer)
    let resumedTracker = try makeTracker()
    try resumedTracker.restore(try #require(loaded.tracker))
    #expect(loaded.parameters == parameters && resumed.snapshot() == optimizer.snapshot())
    #expect(resumedTracker.basis == tracker.basis && loaded.generator == order)
  }

  /// The article's asynchronous refresh on the MLP: the background thread uses its own network
  /// from the factory, and the run is bit-identical to a rerun and to a run resumed from a
  /// checkpoint taken while a refresh is in flight.
  @Test func asynchronousRefreshExampleIsDeterministic() throws {
    let data = try ClassificationData.digits().subset(Array(0..<300))
    let sizes = [64, 8, 10]
    let model = try MLP(layerSizes: sizes, activation: .relu, data: data)
    func makeTracker() throws -> DominantSubspaceTracker {
      try DominantSubspaceTracker(
        objective: model,
        configuration: .init(
          k: 10, hessianBatch: .subset(count: 128, seed: 2), refresh: .every(10), seed: 3,
          execution: .asynchronous(
            lag: 5, objective: { try MLP(layerSizes: sizes, activation: .relu, data: data) })))
    }
    func run(
      _ steps: Range<Int>, _ tracker: DominantSubspaceTracker, _ w: inout [Float],
      _ optimizer: inout ProjectedOptimizer<SGD>, _ order: inout SeededGenerator
    ) throws {
      for _ in steps {
        let batch = SampleSet.indices((0..<32).map { _ in order.nextInt(below: data.count) })
        let (_, gradient) = try model.lossAndGradient(at: w, samples: batch)
        try tracker.step(&optimizer, parameters: &w, gradient: gradient, minibatch: batch)
      }
    }
    var results: [[Float]] = []
    for _ in 0..<2 {
      var w = model.initialParameters(seed: 1)
      var optimizer = SGD(learningRate: 0.1).projected(.bulk)
      var order = SeededGenerator(seed: 4)
      let tracker = try makeTracker()
      try run(0..<28, tracker, &w, &optimizer, &order)
      #expect(tracker.refreshCount == 3 && tracker.lastRefresh?.installStep == 25)
      results.append(w)
    }
    // Resumed at step 22, with the refresh launched at step 20 in flight.
    var w = model.initialParameters(seed: 1)
    var optimizer = SGD(learningRate: 0.1).projected(.bulk)
    var order = SeededGenerator(seed: 4)
    let first = try makeTracker()
    try run(0..<22, first, &w, &optimizer, &order)
    #expect(first.pendingInstallStep == 25)
    let state = first.snapshot()
    let resumed = try makeTracker()
    try resumed.restore(state)
    var resumedOptimizer = SGD(learningRate: 0.1).projected(.bulk)
    try resumedOptimizer.restore(optimizer.snapshot())
    try run(22..<28, resumed, &w, &resumedOptimizer, &order)
    #expect(results[0] == results[1] && w == results[0])
    // The same run with synchronous refreshes differs (the basis is five steps fresher).
    var wSync = model.initialParameters(seed: 1)
    var syncOptimizer = SGD(learningRate: 0.1).projected(.bulk)
    var syncOrder = SeededGenerator(seed: 4)
    let sync = try DominantSubspaceTracker(
      objective: model,
      configuration: .init(
        k: 10, hessianBatch: .subset(count: 128, seed: 2), refresh: .every(10), seed: 3))
    try run(0..<28, sync, &wSync, &syncOptimizer, &syncOrder)
    #expect(wSync != results[0])
  }
}
