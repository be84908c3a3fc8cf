import Benchmark
import Curvature

/// Kernel benchmarks (ordo-one/benchmark).
func kernelBenchmarks() {
}
