import Benchmark
import Curvature

/// Spectrum benchmarks (ordo-one/benchmark): top-10 eigenpairs by thick-restart Lanczos and by
/// block Lanczos, a 100-pair sketch, and Hutch++ on a P = 20,000 diagonal operator with ten
/// outliers (products cost O(P), so the solvers' own vector work dominates).
func spectrumBenchmarks() {
  let p = 20_000
  var d = (0..<p).map { Float(1 + Double($0 % 1000) / 1000) }
  for i in 0..<10 { d[i * 997] = Float(20 - i) }
  let diagonal = d
  func op() -> ClosureOperator {
    ClosureOperator(dimension: p) { v, out in
      for i in 0..<p { out[i] = diagonal[i] * v[i] }
    }
  }
  let config = Benchmark.Configuration(
    metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(3), maxIterations: 50)

  Benchmark("Lanczos k=10 P=2e4", configuration: config) { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(try Lanczos().eigenpairs(of: op(), count: 10))
    }
  }
  Benchmark("BlockLanczos b=4 k=10 P=2e4", configuration: config) { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(try BlockLanczos(blockSize: 4).eigenpairs(of: op(), count: 10))
    }
  }
  Benchmark("SketchedEigensolver k=100 P=2e4", configuration: config) { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(try SketchedEigensolver(sketchSize: 200).eigenpairs(of: op(), count: 100))
    }
  }
  Benchmark("Hutch++ 60 products P=2e4", configuration: config) { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(try TraceEstimator.hutchPlusPlus(of: op(), products: 60))
    }
  }
}
