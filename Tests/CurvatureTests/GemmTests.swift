import Testing

@testable import Curvature

@Suite struct GemmTests {
  /// One multiply checked against a naive Double reference; returns the worst scaled error.
  static func check(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
    pad: Int, nanInC: Bool = false, seed: UInt64
  ) -> Double {
    var rng = SeededGenerator(seed: seed)
    let aRows = transposeA ? k : m
    let aCols = transposeA ? m : k
    let bRows = transposeB ? n : k
    let bCols = transposeB ? k : n
    let lda = aCols + pad
    let ldb = bCols + pad
    let ldc = n + pad
    let a = rng.gaussianVector(count: max(1, aRows * lda))
    let b = rng.gaussianVector(count: max(1, bRows * ldb))
    var c = rng.gaussianVector(count: max(1, m * ldc))
    if nanInC { for i in c.indices { c[i] = .nan } }
    let c0 = c
    a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          Gemm.multiply(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: beta,
            c: cp.baseAddress!, ldc: ldc)
        }
      }
    }
    var worst = 0.0
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        var mag = 0.0
        for p in 0..<k {
          let av = Double(transposeA ? a[p * lda + i] : a[i * lda + p])
          let bv = Double(transposeB ? b[j * ldb + p] : b[p * ldb + j])
          s += av * bv
          mag += abs(av * bv)
        }
        let old = Double(c0[i * ldc + j])
        let ref = Double(alpha) * s + (beta == 0 ? 0 : Double(beta) * old)
        let scale = abs(Double(alpha)) * mag + (beta == 0 ? 0 : abs(Double(beta) * old)) + 1e-30
        let got = Double(c[i * ldc + j])
        if !got.isFinite { return .infinity }
        worst = max(worst, abs(got - ref) / scale)
      }
      // Padding columns of C are untouched.
      for j in n..<ldc where !(c[i * ldc + j].isNaN && c0[i * ldc + j].isNaN) {
        if c[i * ldc + j] != c0[i * ldc + j] { return .infinity }
      }
    }
    return worst
  }

  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func oddSizesAllTransposes(transposeA: Bool, transposeB: Bool) {
    let sizes = [1, 7, 17, 33, 101]
    var seed: UInt64 = 10
    for m in sizes {
      for n in [1, 17, 33, 101] {
        for k in [1, 7, 33, 101] {
          seed += 1
          let e = Self.check(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1.5,
            beta: -0.5, pad: 3, seed: seed)
          #expect(e < 1e-5, "m=\(m) n=\(n) k=\(k) tA=\(transposeA) tB=\(transposeB) err=\(e)")
        }
      }
    }
  }

  @Test func largerShapeWithPadding() {
    for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
      let e = Self.check(
        transposeA: tA, transposeB: tB, m: 130, n: 259, k: 300, alpha: 0.75, beta: 1, pad: 5,
        seed: 99)
      #expect(e < 1e-5, "tA=\(tA) tB=\(tB) err=\(e)")
    }
  }

  @Test func betaZeroIgnoresNaNInC() {
    for (tA, tB) in [(false, false), (true, true)] {
      let e = Self.check(
        transposeA: tA, transposeB: tB, m: 37, n: 45, k: 19, alpha: 2, beta: 0, pad: 2,
        nanInC: true, seed: 5)
      #expect(e < 1e-5)
    }
  }

  @Test func alphaZeroAndEmptyK() {
    // alpha = 0 scales C by beta; k = 0 too.
    for k in [0, 5] {
      let e = Self.check(
        transposeA: false, transposeB: false, m: 9, n: 11, k: k, alpha: k == 0 ? 1 : 0,
        beta: 0.5, pad: 1, seed: 3)
      #expect(e < 1e-6)
    }
  }

  @Test func resultIsDeterministic() {
    var rng = SeededGenerator(seed: 8)
    let m = 200
    let n = 180
    let k = 150
    let a = rng.gaussianVector(count: m * k)
    let b = rng.gaussianVector(count: k * n)
    func run() -> [Float] {
      var c = [Float](repeating: 0, count: m * n)
      a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
          c.withUnsafeMutableBufferPointer { cp in
            Gemm.multiply(
              transposeA: false, transposeB: false, m: m, n: n, k: k, alpha: 1,
              a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, beta: 0,
              c: cp.baseAddress!, ldc: n)
          }
        }
      }
      return c
    }
    let first = run()
    let second = run()
    #expect(first.map(\.bitPattern) == second.map(\.bitPattern))
  }
}
