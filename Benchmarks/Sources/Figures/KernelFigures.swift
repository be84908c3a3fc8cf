import CFigures
@_spi(Benchmarks) import Curvature
import Dispatch
import Foundation

/// Prints the kernel figures (ratios measured side by side in one run).
///
///     swift run -c release Figures kernels [vectors] [projections] [gemm]
///
/// With no section named, all three run.
func kernelFigures(arguments: [String]) throws {
  let sections = Set(arguments.isEmpty ? ["vectors", "projections", "gemm"] : arguments)
  print(
    "gemm path: \(Gemm.path), projection path: \(ProjectionKernels.path), "
      + "threads: \(ProcessInfo.processInfo.activeProcessorCount)")
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

/// Best wall-clock and best process CPU time per call (seconds) over `trials` trials.
func bestWallAndCPU(trials: Int, minimum: Double, _ body: () -> Void) -> (wall: Double, cpu: Double)
{
  func cpuNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
  }
  let clock = ContinuousClock()
  body()
  var reps = 1
  while seconds(clock.measure { for _ in 0..<reps { body() } }) < minimum && reps < 1 << 20 {
    reps *= 2
  }
  var wall = Double.infinity
  var cpu = Double.infinity
  for _ in 0..<trials {
    let c0 = cpuNow()
    let t = clock.measure { for _ in 0..<reps { body() } }
    cpu = min(cpu, (cpuNow() - c0) / Double(reps))
    wall = min(wall, seconds(t) / Double(reps))
  }
  return (wall, cpu)
}

func seconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

func pad(_ s: String, _ w: Int) -> String {
  s.count >= w ? s : s + String(repeating: " ", count: w - s.count)
}

func gemmFigures() {
  print("\n## Matrix multiply (row-major SGEMM, \(Gemm.path), best of 30 trials of ≥ 10 ms)")
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
    "\n| shape (m×k)·(k×n) | m | n | k | ms | GFLOP/s | of nominal peak | of measured FMA peak "
      + "| GFLOP per CPU-second × \(cores) | of measured FMA peak |")
  print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
  var rng = SeededGenerator(seed: 1)
  for s in shapes {
    let a = rng.gaussianVector(count: s.m * s.k)
    let b = rng.gaussianVector(count: s.k * s.n)
    var c = [Float](repeating: 0, count: s.m * s.n)
    let t = a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          bestWallAndCPU(trials: 30, minimum: 0.01) {
            Gemm.multiply(
              transposeA: s.tA, transposeB: s.tB, m: s.m, n: s.n, k: s.k, alpha: 1,
              a: ap.baseAddress!, lda: s.tA ? s.m : s.k, b: bp.baseAddress!,
              ldb: s.tB ? s.k : s.n, beta: 0, c: cp.baseAddress!, ldc: s.n)
          }
        }
      }
    }
    let gflops = 2 * Double(s.m * s.n * s.k) / t.wall / 1e9
    let cpuGflops = 2 * Double(s.m * s.n * s.k) / t.cpu / 1e9 * Double(cores)
    print(
      "| \(s.name) | \(s.m) | \(s.n) | \(s.k) | \(fmt(t.wall * 1e3, 3)) | \(fmt(gflops, 1)) | "
        + "\(fmt(100 * gflops * 1e9 / nominalPeak, 0))% | "
        + "\(fmaAll > 0 ? fmt(100 * gflops * 1e9 / fmaAll, 0) + "%" : "–") | "
        + "\(fmt(cpuGflops, 1)) | \(fmaAll > 0 ? fmt(100 * cpuGflops * 1e9 / fmaAll, 0) + "%" : "–") |"
    )
  }
}

/// Elements per chunk of the reference passes (64 Ki).
let referenceChunk = 1 << 16

/// The number of chunks ``forEachChunk(_:_:)`` cuts `n` elements into.
func chunkCount(_ n: Int) -> Int { (n + referenceChunk - 1) / referenceChunk }

/// Runs `body(part, lo, count)` over the fixed chunks of `0..<n` on all cores, handed out
/// dynamically as the library's kernels do.
func forEachChunk(_ n: Int, _ body: @Sendable (_ part: Int, _ lo: Int, _ count: Int) -> Void) {
  DispatchQueue.concurrentPerform(iterations: chunkCount(n)) { part in
    let lo = part * referenceChunk
    body(part, lo, min(referenceChunk, n - lo))
  }
}

/// STREAM-style triad a ← b + s·c on all cores (12 bytes per element moved).
func triad(
  _ a: UnsafeMutableBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
  _ c: UnsafeBufferPointer<Float>, _ s: Float
) {
  let (ap, bp, cp) = (Pointer(a.baseAddress!), Pointer(b.baseAddress!), Pointer(c.baseAddress!))
  forEachChunk(a.count) { _, lo, count in
    let hi = lo + count
    let sv = SIMD8<Float>(repeating: s)
    let ar = UnsafeMutableRawPointer(ap.p.mutating)
    let br = UnsafeRawPointer(bp.p)
    let cr = UnsafeRawPointer(cp.p)
    var i = lo
    while i + 8 <= hi {
      let v =
        br.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + sv
        * cr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
      ar.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
      i += 8
    }
    while i < hi {
      ap.p.mutating[i] = bp.p[i] + s * cp.p[i]
      i += 1
    }
  }
}

/// A pointer handed to worker threads that write disjoint ranges.
struct Pointer: @unchecked Sendable {
  let p: UnsafePointer<Float>
  init(_ p: UnsafePointer<Float>) { self.p = p }
  init(_ p: UnsafeMutablePointer<Float>) { self.p = UnsafePointer(p) }
}

extension UnsafePointer {
  var mutating: UnsafeMutablePointer<Pointee> { UnsafeMutablePointer(mutating: self) }
}

/// The triad a ← b + s·c in C with the widest vectors (ordinary or streaming stores), on all
/// cores over the same fixed 64 Ki-element chunks as `triad`.
func vectorTriad(
  _ a: UnsafeMutableBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
  _ c: UnsafeBufferPointer<Float>, _ s: Float, streaming: Bool
) {
  let (ap, bp, cp) = (Pointer(a.baseAddress!), Pointer(b.baseAddress!), Pointer(c.baseAddress!))
  forEachChunk(a.count) { _, lo, count in
    figures_triad(ap.p.mutating + lo, bp.p + lo, cp.p + lo, s, count, streaming ? 1 : 0)
  }
}

/// A read-only pass Σ a[i] in C on all cores (fixed 64 Ki-element chunks).
func vectorSum(_ a: UnsafeBufferPointer<Float>) -> Double {
  let ap = Pointer(a.baseAddress!)
  let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunkCount(a.count))
  defer { sums.deallocate() }
  let sp = UncheckedBuffer(sums)
  forEachChunk(a.count) { part, lo, count in sp.buffer[part] = figures_sum(ap.p + lo, count) }
  return sums.reduce(0, +)
}

/// A buffer whose disjoint elements are written by worker threads.
struct UncheckedBuffer: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Double>
  init(_ buffer: UnsafeMutableBufferPointer<Double>) { self.buffer = buffer }
}

/// Reference bandwidths (bytes per second) measured interleaved with the operations.
struct Bandwidths {
  /// The triad of the figure's definition: Swift SIMD, ordinary stores, three arrays of P.
  var triad = 0.0
  /// The C triad over the same arrays with ordinary and with streaming stores.
  var vectorTriad = 0.0
  var streamingTriad = 0.0
  /// Triads (best of ordinary and streaming stores) and a read-only sum over arrays of
  /// `largeCount` floats, each at least 4× the last-level cache (the STREAM rule).
  var largeTriad = 0.0
  var largeRead = 0.0
  var largeCount = 0
  /// The strongest triad over arrays of P floats.
  var bestTriad: Double { max(triad, vectorTriad, streamingTriad) }
}

/// The last-level cache size in bytes as this machine's CPU 0 sees it (32 MiB when unknown).
let lastLevelCacheBytes: Int = {
  let path = "/sys/devices/system/cpu/cpu0/cache/index3/size"
  if let text = try? String(contentsOfFile: path, encoding: .utf8) {
    let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
    let scale = t.hasSuffix("K") ? 1 << 10 : t.hasSuffix("M") ? 1 << 20 : 1
    if let n = Int(t.filter(\.isNumber)), n > 0 { return n * scale }
  }
  return 32 << 20
}()

/// Level-1 kernels and tall-skinny projections as a fraction of the triad bandwidth measured
/// in the same run over arrays of the same length P.
func bandwidthFigures(vectors: Bool, projections: Bool) throws {
  var rng = SeededGenerator(seed: 3)
  func randomArray(_ n: Int) -> [Float] { rng.gaussianVector(count: n) }

  struct Row {
    var name: String
    var p: Int
    var k: Int
    var seconds: Double
    var bytes: Double
  }

  /// Measures `ops` interleaved with the reference triads and read (best of 5 each) for vectors
  /// of length p.
  func measure(p: Int, _ ops: [(String, Int, Double, () -> Void)]) -> (Bandwidths, [Row]) {
    var a = [Float](repeating: 0, count: p)
    let b = randomArray(p)
    let c = randomArray(p)
    let large = max(p, lastLevelCacheBytes)
    var la = [Float](repeating: 0, count: large)
    let lb = [Float](repeating: 1, count: large)
    let lc = [Float](repeating: 2, count: large)
    var rates = Bandwidths()
    rates.largeCount = large
    var best = [Double](repeating: .infinity, count: ops.count)
    var sink = 0.0
    func rate(_ bytes: Double, _ body: () -> Void) -> Double {
      bytes / bestSeconds(trials: 1, minimum: 0.1, body)
    }
    for _ in 0..<5 {
      a.withUnsafeMutableBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
          c.withUnsafeBufferPointer { cp in
            let bytes = 12 * Double(p)
            rates.triad = max(rates.triad, rate(bytes) { triad(ap, bp, cp, 3) })
            rates.vectorTriad = max(
              rates.vectorTriad, rate(bytes) { vectorTriad(ap, bp, cp, 3, streaming: false) })
            rates.streamingTriad = max(
              rates.streamingTriad, rate(bytes) { vectorTriad(ap, bp, cp, 3, streaming: true) })
          }
        }
      }
      la.withUnsafeMutableBufferPointer { ap in
        lb.withUnsafeBufferPointer { bp in
          lc.withUnsafeBufferPointer { cp in
            let bytes = 12 * Double(large)
            rates.largeTriad = max(
              rates.largeTriad, rate(bytes) { vectorTriad(ap, bp, cp, 3, streaming: false) },
              rate(bytes) { vectorTriad(ap, bp, cp, 3, streaming: true) })
            rates.largeRead = max(
              rates.largeRead, rate(4 * Double(large)) { sink += vectorSum(bp) })
          }
        }
      }
      for (i, op) in ops.enumerated() {
        best[i] = min(best[i], bestSeconds(trials: 1, minimum: 0.1, op.3))
      }
    }
    if sink == 42 { print(sink) }
    return (
      rates,
      ops.enumerated().map { Row(name: $1.0, p: p, k: $1.1, seconds: best[$0], bytes: $1.2) }
    )
  }

  func describe(_ r: Bandwidths) -> String {
    "triad \(fmt(r.triad / 1e9, 1)) GB/s (C \(String(cString: figures_path())): ordinary stores "
      + "\(fmt(r.vectorTriad / 1e9, 1)), streaming stores \(fmt(r.streamingTriad / 1e9, 1)); "
      + "arrays of \(r.largeCount) floats: triad \(fmt(r.largeTriad / 1e9, 1)), read-only "
      + "\(fmt(r.largeRead / 1e9, 1)))"
  }

  func report(_ title: String, _ rates: Bandwidths, _ rows: [Row]) {
    let triadRate = rates.triad
    print("\n\(title)")
    print("triad a ← b + s·c over 3 arrays of P floats: \(describe(rates))")
    print("\n| operation | P | k | ms | bytes counted | GB/s | ÷ triad |")
    print("|---|---:|---:|---:|---|---:|---:|")
    for r in rows {
      let rate = r.bytes / r.seconds
      print(
        "| \(r.name) | \(r.p) | \(r.k == 0 ? "–" : String(r.k)) | \(fmt(r.seconds * 1e3, 2)) | "
          + "\(fmt(r.bytes / 1e6, 0)) MB | \(fmt(rate / 1e9, 1)) | \(fmt(rate / triadRate, 2)) |")
    }
  }

  if vectors {
    let p = 10_000_000
    let x = randomArray(p)
    var y = randomArray(p)
    var sink = 0.0
    let fp = Double(p) * 4
    let (rate, rows) = measure(
      p: p,
      [
        ("dot xᵀy", 0, 2 * fp, { sink += Kernels.dot(x, y) }),
        ("norm ‖x‖", 0, fp, { sink += Kernels.norm(x) }),
        ("axpy y ← a·x + y", 0, 3 * fp, { Kernels.axpy(1e-3, x, &y) }),
        ("scale y ← a·y", 0, 2 * fp, { Kernels.scale(0.999, &y) }),
      ])
    report("## Vector kernels (all cores, best of 5, interleaved with the triad)", rate, rows)
    if sink == 42 { print(sink) }
  }

  if projections {
    // One configuration at a time (each with its own triad), so at most one U is allocated.
    let quick = ProcessInfo.processInfo.environment["QUICK"] != nil
    var measured: [(Bandwidths, [Row])] = []
    // P = 2·10⁵, k = 20 (U is 16 MB) shows the tile loops when U is largely served from cache.
    for (p, ks) in [(10_000_000, [20])]
      + (quick ? [] : [10, 20, 50, 100].map { (5_000_000, [$0]) } + [(200_000, [20])])
    {
      let x = randomArray(p)
      var out = [Float](repeating: 0, count: p)
      var ops: [(String, Int, Double, () -> Void)] = []
      var bases: [[Float]] = []
      for k in ks {
        // Gaussian columns scaled by 1/√P (column-major P×k, the storage `Basis` uses, through
        // the same kernels): the cost does not depend on orthonormality.
        bases.append(
          rng.gaussianVector(count: p * k, standardDeviation: 1 / Double(p).squareRoot()))
        let u = bases[bases.count - 1]
        let fp = Double(p) * 4
        let kk = Double(k)
        var c = [Double](repeating: 0, count: k)
        ops.append(
          (
            "Uᵀx", k, (kk + 1) * fp,
            {
              x.withUnsafeBufferPointer { xp in
                u.withUnsafeBufferPointer { up in
                  c.withUnsafeMutableBufferPointer {
                    ProjectionKernels.coefficients(of: xp, basis: up, dimension: p, into: $0)
                  }
                }
              }
            }
          ))
        ops.append(
          (
            "U c", k, (kk + 1) * fp,
            {
              out.withUnsafeMutableBufferPointer { op in
                u.withUnsafeBufferPointer { up in
                  c.withUnsafeBufferPointer {
                    ProjectionKernels.combine(
                      $0, basis: up, dimension: p, into: op, accumulate: false)
                  }
                }
              }
            }
          ))
        // The projections with the tile loops this machine uses, then (for two sizes) with
        // the portable Swift SIMD tile loops.
        let swiftToo =
          (p == 10_000_000 || p == 200_000) && ProjectionKernels.path != "swift-simd"
        for (name, dom, bulk, path) in [
          ("P_dom x = U(Uᵀx)", Float(1), Float(0), nil), ("x − U(Uᵀx)", 0, 1, nil),
          ("α_dom·P_dom x + α_bulk·P_bulk x", 0.5, 2, nil),
        ]
          + (swiftToo
            ? [
              ("P_dom x = U(Uᵀx), Swift SIMD tile loops", 1, 0, "swift-simd"),
              ("x − U(Uᵀx), Swift SIMD tile loops", 0, 1, "swift-simd"),
            ] : []) as [(String, Float, Float, String?)]
        {
          ops.append(
            (
              name, k, (2 * kk + 2) * fp,
              {
                x.withUnsafeBufferPointer { xp in
                  out.withUnsafeMutableBufferPointer { op in
                    u.withUnsafeBufferPointer { up in
                      c.withUnsafeMutableBufferPointer { cp in
                        ProjectionKernels.project(
                          xp, basis: up, dimension: p, dominantWeight: dom, bulkWeight: bulk,
                          into: op, coefficients: cp, path: path ?? ProjectionKernels.path)
                      }
                    }
                  }
                }
              }
            ))
        }
        if p == 10_000_000 {
          // The unblocked form for comparison: k dot products, then k axpys over x.
          ops.append(
            (
              "x − U(Uᵀx), unblocked (k dot + k axpy)", k, (2 * kk + 2) * fp,
              {
                x.withUnsafeBufferPointer { xp in
                  u.withUnsafeBufferPointer { up in
                    for j in 0..<k {
                      c[j] = Kernels.dot(
                        UnsafeBufferPointer(rebasing: up[(j * p)..<((j + 1) * p)]), xp)
                    }
                    out.withUnsafeMutableBufferPointer { op in
                      _ = op.update(fromContentsOf: xp)
                      for j in 0..<k {
                        Kernels.axpy(
                          Float(-c[j]), UnsafeBufferPointer(rebasing: up[(j * p)..<((j + 1) * p)]),
                          op)
                      }
                    }
                  }
                }
              }
            ))
        }
      }
      measured.append(measure(p: p, ops))
      _ = bases
    }
    print(
      "\n## Projections (\(ProjectionKernels.path) tile loops, all cores, best of 5, interleaved "
        + "with triads over arrays of the same P; bytes = U read twice + x + out written, x "
        + "counted once)")
    for (rates, rows) in measured {
      print("P = \(rows[0].p), k = \(rows[0].k): \(describe(rates))")
    }
    print(
      "\n| operation | P | k | ms | bytes counted | GB/s | triad GB/s | ÷ triad "
        + "| ÷ strongest same-P triad | ÷ large-array read |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for (rates, rows) in measured {
      for r in rows {
        let rate = r.bytes / r.seconds
        print(
          "| \(r.name) | \(r.p) | \(r.k) | \(fmt(r.seconds * 1e3, 2)) | \(fmt(r.bytes / 1e6, 0)) MB | "
            + "\(fmt(rate / 1e9, 1)) | \(fmt(rates.triad / 1e9, 1)) | \(fmt(rate / rates.triad, 2)) | "
            + "\(fmt(rate / rates.bestTriad, 2)) | \(fmt(rate / rates.largeRead, 2)) |")
      }
    }
  }
}
