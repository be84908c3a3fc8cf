import Curvature
import Foundation

/// Prints the kernel figures (ratios measured side by side in one run).
///
///     swift run -c release Figures kernels [vectors] [projections] [gemm]
///
/// With no section named, all three run.
func kernelFigures(arguments: [String]) throws {
  let sections = Set(arguments.isEmpty ? ["vectors", "projections", "gemm"] : arguments)
  print("gemm path: \(Gemm.path), threads: \(ProcessInfo.processInfo.activeProcessorCount)")
  if sections.contains("vectors") || sections.contains("projections") {
    try bandwidthFigures(
      vectors: sections.contains("vectors"),
      projections: sections.contains("projections"))
  }
  if sections.contains("gemm") { gemmFigures() }
}

/// Best time per call in seconds: `trials` trials of enough calls to last ≥ `minimum` seconds.
func bestSeconds(trials: Int = 5, minimum: Double = 0.05, _ body: () -> Void) -> Double {
  let clock = ContinuousClock()
  body()
  var reps = 1
  while true {
    let t = clock.measure { for _ in 0..<reps { body() } }
    if seconds(t) >= minimum || reps >= 1 << 20 { break }
    reps *= 2
  }
  var best = Double.infinity
  for _ in 0..<trials {
    let t = clock.measure { for _ in 0..<reps { body() } }
    best = min(best, seconds(t) / Double(reps))
  }
  return best
}

func seconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

func pad(_ s: String, _ w: Int) -> String {
  s.count >= w ? s : s + String(repeating: " ", count: w - s.count)
}

func gemmFigures() {
  print("\n## Matrix multiply (row-major SGEMM, \(Gemm.path), best of 5)")
  let clock = ComputeProbe.clockFrequency() ?? 0
  let cores = ProcessInfo.processInfo.activeProcessorCount
  let nominalPeak = Double(cores) * 2 * 16 * 2 * clock
  let fma1 = ComputeProbe.fmaThroughput(threads: 1) ?? 0
  let fmaAll = ComputeProbe.fmaThroughput(threads: cores) ?? 0
  print("clock (dependent-add chain): \(fmt(clock / 1e9)) GHz")
  print(
    "nominal FP32 peak = \(cores) cores × 2 FMA units × 16 lanes × 2 flops × clock = "
      + "\(fmt(nominalPeak / 1e9, 1)) GFLOP/s")
  print(
    "measured FMA throughput (12 independent chains): 1 core \(fmt(fma1 / 1e9, 1)) GFLOP/s, "
      + "\(cores) cores \(fmt(fmaAll / 1e9, 1)) GFLOP/s")
  struct Shape {
    var name: String
    var tA: Bool
    var tB: Bool
    var m: Int
    var n: Int
    var k: Int
  }
  var shapes: [Shape] = []
  for (label, m, k, n) in [
    ("(1797×64)·(64×512)", 1797, 64, 512), ("(1797×512)·(512×512)", 1797, 512, 512),
    ("(1797×512)·(512×10)", 1797, 512, 10),
  ] {
    shapes.append(Shape(name: "A·B    \(label)", tA: false, tB: false, m: m, n: n, k: k))
    // Weight gradient Xᵀ·δ: (M×K)ᵀ·(M×N); input gradient δ·Wᵀ: (M×N)·(K×N)ᵀ.
    shapes.append(Shape(name: "Aᵀ·B   dW \(label)", tA: true, tB: false, m: k, n: n, k: m))
    shapes.append(Shape(name: "A·Bᵀ   dX \(label)", tA: false, tB: true, m: m, n: k, k: n))
  }
  for s in [1024, 2048] {
    shapes.append(Shape(name: "A·B    square \(s)", tA: false, tB: false, m: s, n: s, k: s))
  }
  shapes.append(Shape(name: "Aᵀ·Bᵀ  square 2048", tA: true, tB: true, m: 2048, n: 2048, k: 2048))
  print(
    "\n| shape (m×k)·(k×n) | m | n | k | ms | GFLOP/s | of nominal peak | of measured FMA peak |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|")
  var rng = SeededGenerator(seed: 1)
  for s in shapes {
    let a = rng.gaussianVector(count: s.m * s.k)
    let b = rng.gaussianVector(count: s.k * s.n)
    var c = [Float](repeating: 0, count: s.m * s.n)
    let t = a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          bestSeconds {
            Gemm.multiply(
              transposeA: s.tA, transposeB: s.tB, m: s.m, n: s.n, k: s.k, alpha: 1,
              a: ap.baseAddress!, lda: s.tA ? s.m : s.k, b: bp.baseAddress!,
              ldb: s.tB ? s.k : s.n, beta: 0, c: cp.baseAddress!, ldc: s.n)
          }
        }
      }
    }
    let gflops = 2 * Double(s.m * s.n * s.k) / t / 1e9
    print(
      "| \(s.name) | \(s.m) | \(s.n) | \(s.k) | \(fmt(t * 1e3, 3)) | \(fmt(gflops, 1)) | "
        + "\(fmt(100 * gflops * 1e9 / nominalPeak, 0))% | "
        + "\(fmaAll > 0 ? fmt(100 * gflops * 1e9 / fmaAll, 0) + "%" : "–") |")
  }
}

func bandwidthFigures(vectors: Bool, projections: Bool) throws {
  print("(vector figures pending)")
}
