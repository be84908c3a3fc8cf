import Benchmark
import Curvature

/// A buffer the benchmark closures write into (each benchmark runs on one thread at a time).
final class KernelScratch: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Float>
  init(count: Int) {
    buffer = .allocate(capacity: count)
    buffer.initialize(repeating: 0)
  }
  deinit { buffer.deallocate() }
}

/// Kernel benchmarks (ordo-one/benchmark): level-1 kernels at P = 10⁷, projections at
/// P = 10⁷ with k = 20, and the matrix multiply on the MLP 64-512-512-10 shapes (1,797 samples).
func kernelBenchmarks() {
  let p = 10_000_000
  var rng = SeededGenerator(seed: 1)
  let x = rng.gaussianVector(count: p)
  let y = rng.gaussianVector(count: p)
  let out = KernelScratch(count: p)
  let vectorConfig = Benchmark.Configuration(
    metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2),
    maxIterations: 200)

  Benchmark("Kernels.dot P=1e7", configuration: vectorConfig) { benchmark in
    for _ in benchmark.scaledIterations { blackHole(Kernels.dot(x, y)) }
  }
  Benchmark("Kernels.norm P=1e7", configuration: vectorConfig) { benchmark in
    for _ in benchmark.scaledIterations { blackHole(Kernels.norm(x)) }
  }
  Benchmark("Kernels.axpy P=1e7", configuration: vectorConfig) { benchmark in
    for _ in benchmark.scaledIterations {
      x.withUnsafeBufferPointer { Kernels.axpy(1e-3, $0, out.buffer) }
    }
  }
  Benchmark("Kernels.scale P=1e7", configuration: vectorConfig) { benchmark in
    for _ in benchmark.scaledIterations { Kernels.scale(0.999, out.buffer) }
  }

  let k = 20
  let u = rng.gaussianVector(count: p * k, standardDeviation: 1 / Double(p).squareRoot())
  let projectionConfig = Benchmark.Configuration(
    metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(3),
    maxIterations: 50)
  Benchmark("Projection Uᵀx P=1e7 k=20", configuration: projectionConfig) { benchmark in
    var c = [Double](repeating: 0, count: k)
    for _ in benchmark.scaledIterations {
      x.withUnsafeBufferPointer { xp in
        u.withUnsafeBufferPointer { up in
          c.withUnsafeMutableBufferPointer {
            ProjectionKernels.coefficients(of: xp, basis: up, dimension: p, into: $0)
          }
        }
      }
    }
    blackHole(c)
  }
  Benchmark("Projection U·c P=1e7 k=20", configuration: projectionConfig) { benchmark in
    let c = (0..<k).map { Double($0) }
    for _ in benchmark.scaledIterations {
      u.withUnsafeBufferPointer { up in
        c.withUnsafeBufferPointer {
          ProjectionKernels.combine(
            $0, basis: up, dimension: p, into: out.buffer, accumulate: false)
        }
      }
    }
  }
  for (name, dom, bulk) in [
    ("dominant U(Uᵀx)", Float(1), Float(0)), ("bulk x − U(Uᵀx)", 0, 1), ("interpolated", 0.5, 2),
  ] {
    Benchmark("Projection \(name) P=1e7 k=20", configuration: projectionConfig) { benchmark in
      var c = [Double](repeating: 0, count: k)
      for _ in benchmark.scaledIterations {
        x.withUnsafeBufferPointer { xp in
          u.withUnsafeBufferPointer { up in
            c.withUnsafeMutableBufferPointer { cp in
              ProjectionKernels.project(
                xp, basis: up, dimension: p, dominantWeight: dom, bulkWeight: bulk,
                into: out.buffer, coefficients: cp)
            }
          }
        }
      }
    }
  }

  // Matrix multiply on the MLP shapes (forward and the two backward products).
  let gemmConfig = Benchmark.Configuration(
    metrics: [.wallClock, .throughput], maxDuration: .seconds(2), maxIterations: 200)
  for (m, kk, n) in [(1797, 64, 512), (1797, 512, 512), (1797, 512, 10)] {
    let a = rng.gaussianVector(count: m * kk)
    let b = rng.gaussianVector(count: kk * n)
    let g = rng.gaussianVector(count: m * n)
    let c = KernelScratch(count: max(m * n, kk * n, m * kk))
    Benchmark("Gemm A·B (\(m)×\(kk))·(\(kk)×\(n)) [\(Gemm.path)]", configuration: gemmConfig) {
      benchmark in
      for _ in benchmark.scaledIterations {
        Gemm.multiply(
          transposeA: false, transposeB: false, m: m, n: n, k: kk, alpha: 1, a: a, lda: kk,
          b: b, ldb: n, beta: 0, c: c.buffer.baseAddress!, ldc: n)
      }
    }
    Benchmark("Gemm Aᵀ·B dW (\(kk)×\(n)) k=\(m) [\(Gemm.path)]", configuration: gemmConfig) {
      benchmark in
      for _ in benchmark.scaledIterations {
        Gemm.multiply(
          transposeA: true, transposeB: false, m: kk, n: n, k: m, alpha: 1, a: a, lda: kk,
          b: g, ldb: n, beta: 0, c: c.buffer.baseAddress!, ldc: n)
      }
    }
    Benchmark("Gemm A·Bᵀ dX (\(m)×\(kk)) k=\(n) [\(Gemm.path)]", configuration: gemmConfig) {
      benchmark in
      for _ in benchmark.scaledIterations {
        Gemm.multiply(
          transposeA: false, transposeB: true, m: m, n: kk, k: n, alpha: 1, a: g, lda: n,
          b: b, ldb: n, beta: 0, c: c.buffer.baseAddress!, ldc: kk)
      }
    }
  }
}
