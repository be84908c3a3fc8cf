import Benchmark
import Curvature

/// Spectrum benchmarks (ordo-one/benchmark).
func spectrumBenchmarks() {
}
