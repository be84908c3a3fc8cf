import Benchmark
import Curvature

/// Model benchmarks (ordo-one/benchmark).
func modelBenchmarks() {
}
