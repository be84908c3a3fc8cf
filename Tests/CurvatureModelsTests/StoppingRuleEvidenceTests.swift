import Curvature
import CurvatureModels
import Foundation
import Testing

/// The evidence for ``MonitorConfiguration``'s loss-plateau default on a real run: a tanh MLP on
/// the digits, SGD on seeded minibatches, Δ₂^(D) measured every 100 steps with the ε the
/// stabilisation article used to advise (a tenth of Δ at the start). One trajectory is watched
/// by two monitors, Δ alone and the default; both see exactly the same measurements.
@Suite struct StoppingRuleEvidenceTests {
  @Test func defaultDoesNotStopWhileTheLossFalls() throws {
    let data = try ClassificationData.digits().subset(Array(0..<600))
    let model = try MLP(layerSizes: [64, 16, 10], activation: .tanh, data: data)
    var w = model.initialParameters(seed: 3)
    let estimator = try StabilizationEstimator(
      configuration: .init(sigma: 1e-3, subspaceDimension: 5, orderCount: 2))
    let grid = [16, 64, 256]
    let start = try estimator.curve(of: model, at: w, sampleCounts: grid, method: .gaussianMoment)
    let epsilon = start.mean.last! / 10
    let deltaOnly = try TrainingMonitor(
      configuration: .init(stabilizationEpsilon: epsilon, lossPlateauWindow: 0))
    let byDefault = try TrainingMonitor(configuration: .init(stabilizationEpsilon: epsilon))
    for m in [deltaOnly, byDefault] { m.register(StopWhenStabilized()) }
    var stops: [Int?] = [nil, nil]
    var fullLoss: [Int: Double] = [:]
    var optimizer = SGD(learningRate: 0.5)
    var rng = SeededGenerator(seed: 11)
    let steps = 1200
    for step in 0...steps {
      let batch = SampleSet.indices((0..<32).map { _ in rng.nextInt(below: data.count) })
      let (loss, g) = try model.lossAndGradient(at: w, samples: batch)
      var responses: [MonitorResponse] = [deltaOnly, byDefault].map { (m: TrainingMonitor) in
        m.observe(step: step, loss: loss, gradient: g, learningRate: 0.5)
      }
      if step % 100 == 0 {
        fullLoss[step] = try model.loss(at: w, samples: .all(data.count))
        let curve = try estimator.curve(
          of: model, at: w, sampleCounts: grid, method: .gaussianMoment)
        for (i, m) in [deltaOnly, byDefault].enumerated() {
          responses[i].merge(m.recordStabilization(curve, step: step, learningRate: 0.5))
        }
      }
      for i in 0..<2 where stops[i] == nil && responses[i].shouldStop { stops[i] = step }
      if step < steps { try optimizer.step(parameters: &w, gradient: g) }
    }
    let old = try #require(stops[0])
    let final = fullLoss[steps]!
    print(
      "stopping evidence: ε = \(epsilon); Δ alone stops at \(old) (loss \(fullLoss[old]!)),"
        + " default at \(stops[1].map(String.init) ?? "none") (loss \(stops[1].map { fullLoss[$0]! } ?? .nan)),"
        + " loss at \(steps): \(final); losses \(fullLoss.sorted { $0.key < $1.key }.map { "\($0.key):\(String(format: "%.4f", $0.value))" })"
    )
    // Δ alone stops while the full-data loss still has a quarter or more to lose …
    #expect(final < 0.75 * fullLoss[old]!)
    // … the default stops later, or not at all, and never before the full-data loss has
    // come within 10 % of where the run ends.
    if let new = stops[1] {
      #expect(new > old)
      #expect(fullLoss[new]! < 1.1 * final)
    }
  }
}
