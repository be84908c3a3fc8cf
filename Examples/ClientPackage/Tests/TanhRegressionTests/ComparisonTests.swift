import Curvature
import Testing

@testable import TanhRegression

@Suite struct ComparisonTests {
  let model = TanhRegression()

  /// The hand-written gradient against central differences of the loss.
  @Test func gradientMatchesFiniteDifferences() throws {
    let objective = model.objective()
    let w = model.initialParameters(seed: 2)
    let samples = SampleSet.range(0..<16)
    let (_, g) = try objective.lossAndGradient(at: w, samples: samples)
    for i in stride(from: 0, to: w.count, by: 7) {
      var plus = w
      var minus = w
      plus[i] += 1e-2
      minus[i] -= 1e-2
      let d =
        (try objective.loss(at: plus, samples: samples)
          - objective.loss(at: minus, samples: samples)) / 2e-2
      #expect(abs(d - Double(g[i])) < 2e-3 * max(1, abs(d)))
    }
  }

  /// SGD, Bulk-SGD and Dom-SGD from the same start on the same minibatches.
  @Test func bulkSGDKeepsUpWithSGDAndDomSGDLagsBehind() throws {
    let objective = model.objective()
    let comparison = try OptimizerComparison(
      objective: objective, configuration: .init(steps: 150, batchSize: 32, seed: 4))
    let tracking = DominantSubspaceTracker.Configuration(
      k: 4, hessianBatch: .subset(count: 128, seed: 3), refresh: .every(25))
    let runs = try comparison.run(
      [
        .init("sgd", SGD(learningRate: 0.2)),
        .init("bulk-sgd", SGD(learningRate: 0.2).projected(.bulk), tracking: tracking),
        .init("dom-sgd", SGD(learningRate: 0.2).projected(.dominant), tracking: tracking),
      ], from: model.initialParameters())
    let initial = try objective.loss(
      at: model.initialParameters(), samples: .all(model.sampleCount))
    for run in runs { #expect(!run.diverged && run.finalLoss < initial) }
    // Dom-SGD moves only in k = 4 directions: the bulk carries the progress.
    #expect(runs[2].finalLoss > runs[1].finalLoss)
    #expect(runs[1].finalLoss < 1.5 * runs[0].finalLoss)
    #expect(runs[1].refreshes == 6 && runs[1].hessianVectorProducts > 0)
    #expect(runs[0].hessianVectorProducts == 0)
  }
}
