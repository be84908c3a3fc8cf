import Benchmark
import Curvature

/// Stabilization benchmarks (ordo-one/benchmark).
func stabilizationBenchmarks() {
}
