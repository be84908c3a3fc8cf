// The custom-training-loop example of README.md, verbatim between the markers below
// (ReadmeExampleTests checks that the two copies are identical and runs this one).

// README example begin
import Curvature
import CurvatureModels

/// Trains an MLP on the bundled digits with Bulk-SGD while keeping the top-10 Hessian
/// eigenspace fresh, guarding the learning rate against the 2/η edge and stopping once
/// the local loss landscape has stabilised. Returns the training loss and test accuracy.
func trainDigitsWithCurvature(steps: Int = 1000) throws -> (loss: Double, accuracy: Double) {
  // Data and model: flat parameters, exact gradients and Hessian-vector products.
  let (train, test) = try ClassificationData.digits().split(testFraction: 0.2, seed: 1)
  let model = try MLP(layerSizes: [64, 32, 10], activation: .tanh, data: train)
  var w = model.initialParameters(seed: 1)

  // Bulk-SGD: SGD with the dominant (top-k) Hessian directions removed from every step.
  var optimizer = SGD(learningRate: 0.5).projected(.bulk)

  // Keeps the top-10 eigenbasis of the Hessian on 256 fixed samples fresh: warm-started
  // Lanczos every 50 steps, pushed into the optimizer's projection.
  let tracker = try DominantSubspaceTracker(
    objective: model,
    configuration: .init(k: 10, hessianBatch: .subset(count: 256, seed: 1), refresh: .every(50)))

  // Callbacks: stop once Δ₂^(D) stays below ε; lower η whenever λ₁ crosses 2/η.
  let monitor = try TrainingMonitor(
    configuration: .init(stabilizationEpsilon: 1e-7, stabilizedChecks: 2))
  monitor.register(StopWhenStabilized())
  monitor.register(try LearningRateGuard(safetyFactor: 0.9))
  let estimator = try StabilizationEstimator(
    configuration: .init(sigma: 1e-3, subspaceDimension: 10, orderCount: 2))

  var sampler = SeededGenerator(seed: 7)
  for step in 0..<steps {
    let batch = SampleSet.indices(Array(sampler.permutation(count: train.count).prefix(64)))
    let (loss, gradient) = try model.lossAndGradient(at: w, samples: batch)
    let eta = Double(optimizer.learningRate)
    var response = monitor.observe(step: step, loss: loss, gradient: gradient, learningRate: eta)
    if step > 0 && step % 250 == 0 {
      response.merge(
        try monitor.measureStabilization(
          of: model, at: w, sampleCounts: [16, 64, 256], estimator: estimator, step: step,
          learningRate: eta))
    }
    if response.shouldStop { break }
    try response.apply(to: &optimizer)

    // Refresh the basis if due, measure χ_k = ‖P_dom g‖/‖g‖, take the Bulk-SGD step; after a
    // refresh the monitor checks λ₁ against the optimizer's 2/η by itself.
    let report = try tracker.step(&optimizer, parameters: &w, gradient: gradient, minibatch: batch)
    try monitor.recordTrackerStep(report, optimizer: optimizer).apply(to: &optimizer)
  }
  return (try model.loss(at: w, samples: .all(train.count)), try model.accuracy(at: w, data: test))
}
// README example end
