import Benchmark
import Curvature
import CurvatureModels

/// Optimizer benchmarks (ordo-one/benchmark): optimizer steps at P = 10⁶ (plain and projected
/// onto k = 10), and a tracker refresh (cold Lanczos, warm Lanczos, warm block Ritz) on a
/// ReLU MLP [64, 32, 10] over the digits with a Hessian batch of 512.
func optimizerBenchmarks() {
  let p = 1_000_000
  for (name, mode) in [("SGD", SubspaceProjection.Mode.full), ("Bulk-SGD k=10", .bulk)] {
    Benchmark("Optimizers/\(name) step P=1e6") { benchmark in
      var rng = SeededGenerator(seed: 1)
      let g = rng.gaussianVector(count: p)
      var w = rng.gaussianVector(count: p)
      var basis = try! Basis(dimension: p)
      for _ in 0..<10 { basis.append(orthogonalizing: rng.gaussianVector(count: p)) }
      var opt = SGD(learningRate: 1e-6, momentum: 0.9).projected(mode, basis: basis)
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations { try opt.step(parameters: &w, gradient: g) }
      blackHole(w)
    }
  }
  for (name, method, warm) in [
    ("cold Lanczos", RefreshMethod.lanczos, false), ("warm Lanczos", .lanczos, true),
    ("warm block Ritz", .blockRitz(iterations: 2), true),
  ] {
    Benchmark(
      "Optimizers/tracker refresh \(name) MLP digits k=10",
      configuration: .init(maxDuration: .seconds(5), maxIterations: 50)
    ) { benchmark in
      let model = try MLP(
        layerSizes: [64, 32, 10], activation: .relu, data: try ClassificationData.digits())
      var w = model.initialParameters(seed: 1)
      let tracker = try DominantSubspaceTracker(
        objective: model,
        configuration: .init(
          k: 10, hessianBatch: .subset(count: 512, seed: 2), refresh: .onDemand,
          warmStart: warm, method: method))
      try tracker.refresh(parameters: w)
      var opt = SGD(learningRate: 0.1)
      for _ in 0..<20 {
        let (_, g) = try model.lossAndGradient(at: w, samples: .range(0..<64))
        try opt.step(parameters: &w, gradient: g)
      }
      benchmark.startMeasurement()
      for _ in benchmark.scaledIterations { blackHole(try tracker.refresh(parameters: w)) }
    }
  }
}
