import Benchmark
import Curvature
import CurvatureModels

/// Stabilization benchmarks (ordo-one/benchmark): the closed form's evaluation stage and the
/// closed form / direct Monte Carlo at one sample count on an untrained digits MLP.
func stabilizationBenchmarks() {
  Benchmark("Stabilization/closed form evaluation D=45") { benchmark in
    var g = SeededGenerator(seed: 1)
    let d = 45
    var b = (0..<(d * d)).map { _ in g.nextGaussian() }
    for i in 0..<d { for j in 0..<i { b[j * d + i] = b[i * d + j] } }
    let e = try IncrementExpansion(
      value: 1e-3, gradient: (0..<d).map { _ in g.nextGaussian() }, hessian: b)
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations { blackHole(e.gaussianMoment(sigma: 1e-3)) }
  }
  Benchmark(
    "Stabilization/MLP k=128 D=10",
    configuration: .init(maxDuration: .seconds(5), maxIterations: 20)
  ) { benchmark in
    let data = try ClassificationData.digits()
    let model = try MLP(layerSizes: [64, 32, 10], activation: .tanh, data: data)
    let w = model.initialParameters(seed: 1)
    let est = try StabilizationEstimator(
      configuration: .init(subspaceDimension: 10, probeCount: 64, orderCount: 1))
    benchmark.startMeasurement()
    blackHole(try est.curve(of: model, at: w, sampleCounts: [128], method: .gaussianMoment))
    blackHole(try est.curve(of: model, at: w, sampleCounts: [128], method: .direct))
  }
}
