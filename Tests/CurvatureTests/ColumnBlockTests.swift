import Testing

@testable import Curvature

@Suite struct ColumnBlockTests {
  /// A P × n column-major block and an n × m coefficient matrix, seeded.
  static func inputs(p: Int, n: Int, m: Int, seed: UInt64) -> ([Float], [Double]) {
    var rng = SeededGenerator(seed: seed)
    let v = rng.gaussianVector(count: p * n)
    var b = (0..<(n * m)).map { _ in rng.nextGaussian() }
    b[0] = 0  // a zero coefficient takes the skip path
    return (v, b)
  }

  @Test(arguments: [(1, 1, 1), (2047, 3, 2), (2049, 5, 5), (70_001, 7, 4), (300_000, 6, 3)])
  func multiplyInPlaceEqualsOutOfPlaceProduct(_ shape: (Int, Int, Int)) {
    let (p, n, m) = shape
    var (v, b) = Self.inputs(p: p, n: n, m: m, seed: UInt64(p))
    var expected = [Float](repeating: 0, count: p * m)
    v.withUnsafeBufferPointer { vp in
      b.withUnsafeBufferPointer { bp in
        expected.withUnsafeMutableBufferPointer {
          ColumnBlock.times(
            vp.baseAddress!, rows: p, columns: n, bp.baseAddress!, columns: m,
            into: $0.baseAddress!)
        }
      }
    }
    // Independent Double reference for the first and last rows.
    for i in [0, p - 1] {
      for j in 0..<m {
        var s = 0.0
        for l in 0..<n { s += Double(v[l * p + i]) * Double(Float(b[j * n + l])) }
        #expect(abs(Double(expected[j * p + i]) - s) <= 1e-5 * (1 + abs(s)))
      }
    }
    let untouched = Array(v[(m * p)...])
    v.withUnsafeMutableBufferPointer { vp in
      b.withUnsafeMutableBufferPointer { bp in
        ColumnBlock.multiplyInPlace(
          vp.baseAddress!, rows: p, columns: n, bp.baseAddress!, columns: m)
      }
    }
    #expect(Array(v[0..<(m * p)]) == expected)  // bit-identical to the out-of-place product
    #expect(Array(v[(m * p)...]) == untouched)  // columns m..<n are left as they were
  }
}
