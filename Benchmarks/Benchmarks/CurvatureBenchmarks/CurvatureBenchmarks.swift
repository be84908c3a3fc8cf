import Benchmark
import Curvature

// Registers every area's benchmarks; each area keeps its own file in this folder.
let benchmarks: @Sendable () -> Void = {
  kernelBenchmarks()
  spectrumBenchmarks()
  modelBenchmarks()
  optimizerBenchmarks()
  stabilizationBenchmarks()
}
