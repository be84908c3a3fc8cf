import Benchmark
import Curvature

/// Optimizer benchmarks (ordo-one/benchmark).
func optimizerBenchmarks() {
}
