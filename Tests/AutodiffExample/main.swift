import Curvature
import CurvatureAutodiff
import _Differentiation

/// Seeded data: three Gaussian blobs in four dimensions.
struct Blobs {
  static let features = 4
  static let classes = 3
  var inputs: [Float] = []
  var labels: [Int] = []
  var count: Int { labels.count }

  init(count: Int, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let centres = rng.gaussianVector(count: Self.classes * Self.features, standardDeviation: 1.5)
    for i in 0..<count {
      labels.append(i % Self.classes)
      for f in 0..<Self.features {
        inputs.append(centres[(i % Self.classes) * Self.features + f] + Float(rng.nextGaussian()))
      }
    }
  }

  /// The inputs of `batch`, one row per sample.
  func rows(_ batch: [Int]) -> [Float] {
    batch.flatMap { inputs[($0 * Self.features)..<(($0 + 1) * Self.features)] }
  }
}

/// Your own model: a two-layer tanh network as a `Differentiable` struct of arrays.
struct Net: Differentiable, ParameterFields {
  var w1: [Float]
  var b1: [Float]
  var w2: [Float]
  var b2: [Float]
  @noDerivative let hidden: Int

  // The flat layout the optimizers see: w1, b1, w2, b2.
  static var parameterFields: [ParameterField<Net>] {
    [.init(\.w1), .init(\.b1), .init(\.w2), .init(\.b2)]
  }

  init(hidden: Int, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    self.hidden = hidden
    w1 = rng.gaussianVector(count: hidden * Blobs.features, standardDeviation: 0.5)
    b1 = [Float](repeating: 0, count: hidden)
    w2 = rng.gaussianVector(count: Blobs.classes * hidden, standardDeviation: 0.5)
    b2 = [Float](repeating: 0, count: Blobs.classes)
  }

  /// Per-sample cross-entropy losses of a batch (`x`: one row of features per label).
  @differentiable(reverse)
  func losses(_ x: [Float], labels: [Int]) -> [Float] {
    let h = tanhElementwise(
      linear(x, weight: w1, bias: b1, inputs: Blobs.features, outputs: hidden))
    let logits = linear(h, weight: w2, bias: b2, inputs: hidden, outputs: Blobs.classes)
    return softmaxCrossEntropy(logits: logits, labels: labels, classes: Blobs.classes)
  }
}

/// Trains from `start` with a tracker keeping the top-4 Hessian eigenspace fresh and a monitor
/// that stops once the loss landscape has stabilised; returns the full-data loss. Hessian-vector
/// products of an `AutodiffObjective` are gradient differences, accurate to about 1e-4 of ‖H‖:
/// the eigensolvers are asked for 1e-2 (relative residual) rather than the exact-HVP defaults.
func train<O: Optimizer>(
  _ optimizer: O, objective: AutodiffObjective<Net>, start: [Float], steps: Int
) throws -> Double {
  var optimizer = optimizer
  var w = start
  let lanczos = LanczosConfiguration(tolerance: 1e-2, maxProducts: 400)
  let n = objective.sampleCount
  let tracker = try DominantSubspaceTracker(
    objective: objective,
    configuration: .init(
      k: 4, hessianBatch: .subset(count: 128, seed: 1), refresh: .every(50), lanczos: lanczos))
  let monitor = try TrainingMonitor(
    configuration: .init(stabilizationEpsilon: 1e-6, stabilizedChecks: 2))
  monitor.register(StopWhenStabilized())
  let estimator = try StabilizationEstimator(
    configuration: .init(sigma: 1e-2, subspaceDimension: 4, orderCount: 2, lanczos: lanczos))
  var sampler = SeededGenerator(seed: 7)
  for step in 0..<steps {
    let batch = SampleSet.indices(Array(sampler.permutation(count: n).prefix(32)))
    let (loss, gradient) = try objective.lossAndGradient(at: w, samples: batch)
    let eta = Double(optimizer.learningRate)
    var response = monitor.observe(step: step, loss: loss, gradient: gradient, learningRate: eta)
    if step > 0 && step % 100 == 0 {
      response.merge(
        try monitor.measureStabilization(
          of: objective, at: w, sampleCounts: [16, 64, 128], estimator: estimator, step: step,
          learningRate: eta))
    }
    if response.shouldStop { break }
    try tracker.step(&optimizer, parameters: &w, gradient: gradient, minibatch: batch)
  }
  return try objective.loss(at: w, samples: .all(n))
}

func main() throws {
  let data = Blobs(count: 300, seed: 1)
  // The batched loss: one reverse pass per minibatch part, samples split over the cores.
  let objective = try AutodiffObjective(
    parameters: Net(hidden: 16, seed: 2), sampleCount: data.count,
    batchLosses: { net, batch in
      net.losses(data.rows(batch), labels: batch.map { data.labels[$0] })
    })
  let start = objective.template.flattened
  let sgd = SGD(learningRate: 0.2)
  let runs: [(String, Double)] = [
    ("sgd", try train(sgd, objective: objective, start: start, steps: 300)),
    ("bulk-sgd", try train(sgd.projected(.bulk), objective: objective, start: start, steps: 300)),
  ]
  for (name, loss) in runs { print("\(name) final loss \(loss)") }
}

try main()
