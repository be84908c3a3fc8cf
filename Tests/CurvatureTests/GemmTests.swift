import CCurvatureKernels
import Testing

@testable import Curvature

/// A multiply routine with `Gemm.multiply`'s signature (the public one or one internal path).
typealias GemmRoutine =
  @Sendable (
    Bool, Bool, Int, Int, Int, Float, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, Float,
    UnsafeMutablePointer<Float>, Int
  ) -> Void

/// Every multiply path this machine can run: the dispatching entry point, each C kernel the CPU
/// supports (one thread and split over threads) and the portable Swift SIMD kernel.
let gemmRoutines: [(String, GemmRoutine)] = {
  var list: [(String, GemmRoutine)] = [
    (
      "public",
      {
        Gemm.multiply(
          transposeA: $0, transposeB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8,
          ldb: $9, beta: $10, c: $11, ldc: $12)
      }
    ),
    (
      "swift",
      {
        if $2 == 0 || $3 == 0 { return }
        if $4 == 0 || $5 == 0 {
          Gemm.scaleC(m: $2, n: $3, beta: $10, c: $11, ldc: $12)
          return
        }
        SwiftGemm.multiply(
          transposeA: $0, transposeB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7, b: $8,
          ldb: $9, beta: $10, c: $11, ldc: $12)
      }
    ),
  ]
  #if arch(x86_64)
    var isas = [CURVATURE_ISA_BASELINE]
    if CGemm.isa == CURVATURE_ISA_AVX2_FMA || CGemm.isa == CURVATURE_ISA_AVX512 {
      isas.append(CURVATURE_ISA_AVX2_FMA)
    }
    if CGemm.isa == CURVATURE_ISA_AVX512 { isas.append(CURVATURE_ISA_AVX512) }
    for isa in isas {
      for threads in [1, 3] {
        list.append(
          (
            "c-isa\(isa.rawValue)-t\(threads)",
            {
              if $2 == 0 || $3 == 0 { return }
              if $4 == 0 || $5 == 0 {
                Gemm.scaleC(m: $2, n: $3, beta: $10, c: $11, ldc: $12)
                return
              }
              CGemm.multiply(
                transposeA: $0, transposeB: $1, m: $2, n: $3, k: $4, alpha: $5, a: $6, lda: $7,
                b: $8, ldb: $9, beta: $10, c: $11, ldc: $12, isa: isa, threads: threads,
                parallelThreshold: 1)
            }
          ))
      }
    }
  #endif
  return list
}()

@Suite struct GemmTests {
  struct Case {
    var transposeA = false
    var transposeB = false
    var m: Int
    var n: Int
    var k: Int
    var alpha: Float = 1.5
    var beta: Float = -0.5
    var pad = 3
    var nanInC = false
    var seed: UInt64 = 1
  }

  /// Runs `c` through every routine and returns the worst error, scaled by Σ|α a b| + |β c|,
  /// against a naive Double reference; padding columns of C must be left untouched.
  static func worstError(_ t: Case) -> (Double, String) {
    var rng = SeededGenerator(seed: t.seed)
    let (m, n, k) = (t.m, t.n, t.k)
    let aRows = t.transposeA ? k : m
    let aCols = t.transposeA ? m : k
    let bRows = t.transposeB ? n : k
    let bCols = t.transposeB ? k : n
    let lda = aCols + t.pad
    let ldb = bCols + t.pad
    let ldc = n + t.pad
    let a = rng.gaussianVector(count: max(1, aRows * lda))
    let b = rng.gaussianVector(count: max(1, bRows * ldb))
    var c0 = rng.gaussianVector(count: max(1, m * ldc))
    if t.nanInC { for i in 0..<(m * ldc) where i % ldc < n { c0[i] = .nan } }
    var reference = [Double](repeating: 0, count: m * n)
    var scale = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        var mag = 0.0
        for p in 0..<k {
          let av = Double(t.transposeA ? a[p * lda + i] : a[i * lda + p])
          let bv = Double(t.transposeB ? b[j * ldb + p] : b[p * ldb + j])
          s += av * bv
          mag += abs(av * bv)
        }
        let old = t.beta == 0 ? 0 : Double(t.beta) * Double(c0[i * ldc + j])
        reference[i * n + j] = Double(t.alpha) * s + old
        scale[i * n + j] = abs(Double(t.alpha)) * mag + abs(old) + 1e-30
      }
    }
    var worst = 0.0
    var worstName = ""
    for (name, routine) in gemmRoutines {
      var c = c0
      a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
          c.withUnsafeMutableBufferPointer { cp in
            routine(
              t.transposeA, t.transposeB, m, n, k, t.alpha, ap.baseAddress!, lda,
              bp.baseAddress!, ldb, t.beta, cp.baseAddress!, ldc)
          }
        }
      }
      var e = 0.0
      for i in 0..<m {
        for j in 0..<n {
          let got = Double(c[i * ldc + j])
          e = got.isFinite ? max(e, abs(got - reference[i * n + j]) / scale[i * n + j]) : .infinity
        }
        for j in n..<ldc where c[i * ldc + j].bitPattern != c0[i * ldc + j].bitPattern {
          e = .infinity
        }
      }
      if e > worst || worstName.isEmpty { (worst, worstName) = (e, name) }
    }
    return (worst, worstName)
  }

  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func oddSizesAllTransposes(transposeA: Bool, transposeB: Bool) {
    var seed: UInt64 = 10
    for m in [1, 7, 17, 33, 101] {
      for n in [1, 10, 17, 33, 101] {
        for k in [1, 7, 33, 101] {
          seed += 1
          let (e, path) = Self.worstError(
            Case(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, seed: seed))
          #expect(e < 2e-6, "m=\(m) n=\(n) k=\(k) tA=\(transposeA) tB=\(transposeB): \(path) \(e)")
        }
      }
    }
  }

  /// Shapes beyond one cache block in k (256) and n (512), with large leading dimensions.
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func multipleCacheBlocks(transposeA: Bool, transposeB: Bool) {
    let (e, path) = Self.worstError(
      Case(
        transposeA: transposeA, transposeB: transposeB, m: 19, n: 545, k: 300, alpha: 0.75,
        beta: 1, pad: 37, seed: 99))
    #expect(e < 2e-6, "\(path) \(e)")
    // A narrow product (n ≤ one vector) over several k blocks reads A in place.
    let (e2, path2) = Self.worstError(
      Case(
        transposeA: transposeA, transposeB: transposeB, m: 43, n: 10, k: 300, alpha: -0.5,
        beta: 0.25, pad: 5, seed: 98))
    #expect(e2 < 2e-6, "\(path2) \(e2)")
  }

  @Test func betaZeroIgnoresNaNInC() {
    for (tA, tB, n) in [
      (false, false, 45), (true, true, 45), (false, false, 10), (true, false, 10),
    ] {
      let (e, path) = Self.worstError(
        Case(
          transposeA: tA, transposeB: tB, m: 37, n: n, k: 19, alpha: 2, beta: 0, pad: 2,
          nanInC: true, seed: 5))
      #expect(e < 2e-6, "\(path) \(e)")
    }
  }

  @Test func alphaZeroAndEmptyKScaleC() {
    for k in [0, 5] {
      let (e, path) = Self.worstError(
        Case(m: 9, n: 11, k: k, alpha: k == 0 ? 1 : 0, beta: 0.5, pad: 1, seed: 3))
      #expect(e < 1e-7, "\(path) \(e)")
    }
    let (e, path) = Self.worstError(
      Case(m: 9, n: 11, k: 5, alpha: 0, beta: 0, pad: 1, nanInC: true, seed: 3))
    #expect(e == 0, "\(path) \(e)")
  }

  /// Splitting C over threads changes no bit, and repeating a multiply gives the same bits.
  @Test func threadSplitsGiveIdenticalBits() {
    var rng = SeededGenerator(seed: 8)
    let (m, n, k) = (150, 130, 70)
    let a = rng.gaussianVector(count: m * k)
    let b = rng.gaussianVector(count: k * n)
    var results: [[UInt32]] = []
    for (name, routine) in gemmRoutines where name.hasPrefix("public") || name.hasSuffix("t3") {
      for _ in 0..<2 {
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { ap in
          b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
              routine(
                false, false, m, n, k, 1, ap.baseAddress!, k, bp.baseAddress!, n, 0,
                cp.baseAddress!, n)
            }
          }
        }
        results.append(c.map(\.bitPattern))
      }
      #expect(results[results.count - 1] == results[results.count - 2], "\(name)")
    }
    #if arch(x86_64)
      // One thread and three threads (rows split at micro-tile multiples) agree bit for bit.
      func run(threads: Int, rows: Bool) -> [UInt32] {
        let (mm, nn) = rows ? (m, n) : (20, 300)
        var c = [Float](repeating: 0, count: mm * nn)
        var r2 = SeededGenerator(seed: 9)
        let a2 = r2.gaussianVector(count: mm * k)
        let b2 = r2.gaussianVector(count: k * nn)
        a2.withUnsafeBufferPointer { ap in
          b2.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
              CGemm.multiply(
                transposeA: false, transposeB: false, m: mm, n: nn, k: k, alpha: 1,
                a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: nn, beta: 0,
                c: cp.baseAddress!, ldc: nn, threads: threads, parallelThreshold: 1)
            }
          }
        }
        return c.map(\.bitPattern)
      }
      #expect(run(threads: 1, rows: true) == run(threads: 3, rows: true))
      #expect(run(threads: 1, rows: false) == run(threads: 3, rows: false))
    #endif
  }
}
