import Testing

@testable import Curvature

/// `Gemm.multiplySum` (two products over one concatenated inner dimension, one pass over C).
@Suite struct GemmMultiplySumTests {
  /// Builds op(A₁) op(B₁) + op(A₂) op(B₂) + β C both ways: with `multiplySum` on the separate
  /// operands, and with `multiply` on explicitly concatenated operands [A₁ A₂], [B₁; B₂].
  static func run(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k1: Int, k2: Int, threads: Int?,
    seed: UInt64
  ) -> (sum: [Float], concatenated: [Float], reference: [Double], scale: [Double]) {
    var rng = SeededGenerator(seed: seed)
    let k = k1 + k2
    // op(A) element (i, p) and op(B) element (p, j) of the concatenated operands.
    let opA = rng.gaussianVector(count: m * k)
    let opB = rng.gaussianVector(count: k * n)
    let c0 = rng.gaussianVector(count: m * n)
    let beta: Float = -0.5
    // Stored forms with padding: term t holds inner indices [lo, lo + kt).
    func storeA(_ lo: Int, _ kt: Int, pad: Int) -> ([Float], Int) {
      let ld = (transposeA ? m : kt) + pad
      var s = [Float](repeating: .nan, count: max(1, (transposeA ? kt : m) * ld))
      for i in 0..<m {
        for p in 0..<kt {
          s[transposeA ? p * ld + i : i * ld + p] = opA[i * k + lo + p]
        }
      }
      return (s, ld)
    }
    func storeB(_ lo: Int, _ kt: Int, pad: Int) -> ([Float], Int) {
      let ld = (transposeB ? kt : n) + pad
      var s = [Float](repeating: .nan, count: max(1, (transposeB ? n : kt) * ld))
      for p in 0..<kt {
        for j in 0..<n {
          s[transposeB ? j * ld + p : p * ld + j] = opB[(lo + p) * n + j]
        }
      }
      return (s, ld)
    }
    let (a1, lda1) = storeA(0, k1, pad: 1)
    let (a2, lda2) = storeA(k1, k2, pad: 2)
    let (b1, ldb1) = storeB(0, k1, pad: 3)
    let (b2, ldb2) = storeB(k1, k2, pad: 1)
    let (a, lda) = storeA(0, k, pad: 0)
    let (b, ldb) = storeB(0, k, pad: 0)
    var sum = c0
    var concatenated = c0
    sum.withUnsafeMutableBufferPointer { cp in
      Gemm.multiplySum(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k1: k1, a1: a1, lda1: lda1,
        b1: b1, ldb1: ldb1, k2: k2, a2: a2, lda2: lda2, b2: b2, ldb2: ldb2, beta: beta,
        c: cp.baseAddress!, ldc: n, threads: threads)
    }
    concatenated.withUnsafeMutableBufferPointer { cp in
      Gemm.multiply(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, a: a,
        lda: lda, b: b, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: n)
    }
    var reference = [Double](repeating: 0, count: m * n)
    var scale = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var s = Double(beta) * Double(c0[i * n + j])
        var mag = abs(s)
        for p in 0..<k {
          let t = Double(opA[i * k + p]) * Double(opB[p * n + j])
          s += t
          mag += abs(t)
        }
        reference[i * n + j] = s
        scale[i * n + j] = mag + 1e-30
      }
    }
    return (sum, concatenated, reference, scale)
  }

  /// Against a Double reference for every transposition, with inner dimensions that make a
  /// cache block straddle the two products (k₁ not a multiple of the block depth), small shapes
  /// multiplied without packing, on one thread and on all cores; on the C kernels the bits
  /// equal one multiply over concatenated operands.
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func matchesReferenceAndConcatenatedProduct(transposeA: Bool, transposeB: Bool) {
    let shapes = [
      (37, 45, 200, 100), (150, 130, 300, 5), (9, 70, 1, 260), (64, 33, 256, 256),
      (16, 600, 250, 60),
      (32, 32, 20, 12), (48, 64, 30, 34),
    ]
    for (s, (m, n, k1, k2)) in shapes.enumerated() {
      for threads in [1, nil] as [Int?] {
        let r = Self.run(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k1: k1, k2: k2,
          threads: threads, seed: UInt64(20 + s))
        var worst = 0.0
        for i in 0..<(m * n) {
          let e = abs(Double(r.sum[i]) - r.reference[i]) / r.scale[i]
          worst = r.sum[i].isFinite ? max(worst, e) : .infinity
        }
        #expect(
          worst < 1e-5, "m=\(m) n=\(n) k1=\(k1) k2=\(k2) threads=\(String(describing: threads))")
        #if arch(x86_64)
          let identical = r.sum.map(\.bitPattern) == r.concatenated.map(\.bitPattern)
          #expect(identical, "m=\(m) n=\(n) k1=\(k1) k2=\(k2)")
        #endif
      }
    }
  }

  /// k₁ = 0 uses the second product alone; k₁ = k₂ = 0 only scales C.
  @Test func emptyInnerDimensions() {
    let r = Self.run(
      transposeA: false, transposeB: true, m: 5, n: 7, k1: 0, k2: 9, threads: 1, seed: 3)
    for i in 0..<35 { #expect(abs(Double(r.sum[i]) - r.reference[i]) / r.scale[i] < 1e-5) }
    let e = Self.run(
      transposeA: true, transposeB: false, m: 4, n: 3, k1: 0, k2: 0, threads: nil, seed: 4)
    for i in 0..<12 { #expect(Double(e.sum[i]) == e.reference[i]) }
  }

  /// Triangular left factors (the attention products): skipping the promised zeros gives the
  /// same product, for both triangles, both layouts of A and two terms.
  @Test(arguments: [Gemm.Triangle.lower, .upper])
  func triangularLeftFactors(triangle: Gemm.Triangle) {
    let (t, n) = (24, 32)  // small enough to take the unpacked path on every kernel
    var rng = SeededGenerator(seed: 31)
    for transposeA in [false, true] {
      // op(Aₜ) is t × t with zeros on the promised side; stored transposed when asked.
      var a = [[Float]](repeating: [], count: 2)
      var opA = [[Float]](repeating: [], count: 2)
      for term in 0..<2 {
        var m = rng.gaussianVector(count: t * t)
        for i in 0..<t {
          for p in 0..<t where triangle == .lower ? p > i : p < i { m[i * t + p] = 0 }
        }
        opA[term] = m
        a[term] = transposeA ? (0..<(t * t)).map { m[($0 % t) * t + $0 / t] } : m
      }
      let b = [rng.gaussianVector(count: t * n), rng.gaussianVector(count: t * n)]
      var c = [Float](repeating: 0, count: t * n)
      c.withUnsafeMutableBufferPointer { cp in
        Gemm.multiplySum(
          transposeA: transposeA, transposeB: false, m: t, n: n, k1: t, a1: a[0], lda1: t,
          b1: b[0], ldb1: n, k2: t, a2: a[1], lda2: t, b2: b[1], ldb2: n, beta: 0,
          c: cp.baseAddress!, ldc: n, threads: 1, triangle: triangle)
      }
      var worst = 0.0
      for i in 0..<t {
        for j in 0..<n {
          var s = 0.0
          var mag = 0.0
          for term in 0..<2 {
            for p in 0..<t {
              let x = Double(opA[term][i * t + p]) * Double(b[term][p * n + j])
              s += x
              mag += abs(x)
            }
          }
          worst = max(worst, abs(Double(c[i * n + j]) - s) / (mag + 1e-30))
        }
      }
      #expect(worst < 1e-5, "transposeA \(transposeA)")
    }
  }
}
