import Foundation
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

  /// AᵀB against a Double reference, across tiles and reduction parts, with A and B the same
  /// memory and in both roles; bit-identical when run again (fixed summation order).
  @Test(arguments: [(1, 1, 1), (4097, 3, 2), (300_001, 4, 6), (600_000, 10, 10)])
  func crossProductMatchesADoubleReference(_ shape: (Int, Int, Int)) {
    let (p, ka, kb) = shape
    var rng = SeededGenerator(seed: UInt64(p + ka))
    let a = rng.gaussianVector(count: p * ka)
    let b = rng.gaussianVector(count: p * kb)
    func cross(_ x: [Float], _ kx: Int, _ y: [Float], _ ky: Int) -> [Double] {
      var g = [Double](repeating: .nan, count: kx * ky)
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeBufferPointer { yp in
          g.withUnsafeMutableBufferPointer {
            ProjectionKernels.crossProduct(
              xp.baseAddress!, columns: kx, yp.baseAddress!, columns: ky, rows: p,
              into: $0.baseAddress!)
          }
        }
      }
      return g
    }
    let g = cross(a, ka, b, kb)
    for i in 0..<ka {
      for j in 0..<kb {
        var s = 0.0
        for r in 0..<p { s += Double(a[i * p + r]) * Double(b[j * p + r]) }
        // Float lanes over blocks of 512 elements: relative error far below 10⁻⁵ of ‖a‖‖b‖ ≈ P.
        #expect(
          abs(g[i + j * ka] - s) <= 1e-5 * Double(p), "(\(i), \(j)): \(g[i + j * ka]) vs \(s)")
      }
    }
    #expect(cross(a, ka, b, kb) == g)
    let gram = cross(a, ka, a, ka)
    for i in 0..<ka {
      for j in 0..<ka {
        #expect(gram[i + j * ka] == gram[j + i * ka])
        var s = 0.0
        for r in 0..<p { s += Double(a[i * p + r]) * Double(a[j * p + r]) }
        #expect(abs(gram[i + j * ka] - s) <= 1e-5 * Double(p))
      }
    }
  }

  /// ‖Y[:, i] − θᵢ (V S)[:, i]‖ against a Double computation of X = V S, across row tiles on
  /// both cores.
  @Test(arguments: [(5, 3, 2), (70_001, 6, 4)])
  func residualNormsMatchADoubleReference(_ shape: (Int, Int, Int)) {
    let (p, n, m) = shape
    let (v, s) = Self.inputs(p: p, n: n, m: m, seed: UInt64(7 * p))
    var rng = SeededGenerator(seed: 5)
    let theta = (0..<m).map { _ in rng.nextGaussian() * 3 }
    // Y = θ X + a small perturbation in column 0 and a large one elsewhere.
    var y = [Float](repeating: 0, count: p * m)
    var expected = [Double](repeating: 0, count: m)
    for i in 0..<m {
      for r in 0..<p {
        var x = 0.0
        for l in 0..<n { x += Double(v[l * p + r]) * Double(Float(s[i * n + l])) }
        let e = (i == 0 ? 1e-3 : 1.0) * rng.nextGaussian()
        y[i * p + r] = Float(theta[i] * x + e)
        let d = Double(y[i * p + r]) - theta[i] * x
        expected[i] += d * d
      }
    }
    let norms = y.withUnsafeBufferPointer { yp in
      v.withUnsafeBufferPointer { vp in
        s.withUnsafeBufferPointer { sp in
          ColumnBlock.residualNorms(
            yp.baseAddress!, vp.baseAddress!, rows: p, columns: n, sp.baseAddress!, columns: m,
            values: theta)
        }
      }
    }
    for i in 0..<m {
      let e = expected[i].squareRoot()
      // Float rounding of Y and X: about 10⁻⁷ of |θ|‖X‖ ≈ |θ|√(nP).
      #expect(
        abs(norms[i] - e) <= 1e-3 * e + 1e-6 * abs(theta[i]) * Double(n * p).squareRoot(),
        "column \(i): \(norms[i]) vs \(e)")
    }
  }

  /// With `scalingStored`: ‖(W S)[:, i] − θᵢ U[:, i]‖ for stored vectors U and products W,
  /// against a Double computation of W S.
  @Test(arguments: [(5, 3, 2), (70_001, 6, 4)])
  func residualNormsOfStoredVectorsMatchADoubleReference(_ shape: (Int, Int, Int)) {
    let (p, n, m) = shape
    let (w, s) = Self.inputs(p: p, n: n, m: m, seed: UInt64(11 * p))
    var rng = SeededGenerator(seed: 6)
    let theta = (0..<m).map { _ in rng.nextGaussian() * 3 }
    // U = (W S) / θ + a small perturbation in column 0 and a large one elsewhere.
    var u = [Float](repeating: 0, count: p * m)
    var expected = [Double](repeating: 0, count: m)
    for i in 0..<m {
      for r in 0..<p {
        var hx = 0.0
        for l in 0..<n { hx += Double(w[l * p + r]) * Double(Float(s[i * n + l])) }
        let e = (i == 0 ? 1e-3 : 1.0) * rng.nextGaussian()
        u[i * p + r] = Float(hx / theta[i] + e)
        let d = hx - theta[i] * Double(u[i * p + r])
        expected[i] += d * d
      }
    }
    let norms = u.withUnsafeBufferPointer { up in
      w.withUnsafeBufferPointer { wp in
        s.withUnsafeBufferPointer { sp in
          ColumnBlock.residualNorms(
            up.baseAddress!, wp.baseAddress!, rows: p, columns: n, sp.baseAddress!, columns: m,
            values: theta, scalingStored: true)
        }
      }
    }
    for i in 0..<m {
      let e = expected[i].squareRoot()
      #expect(
        abs(norms[i] - e) <= 1e-3 * e + 1e-6 * Double(n * p).squareRoot() * max(1, abs(theta[i])),
        "column \(i): \(norms[i]) vs \(e)")
    }
  }

  /// Cholesky QR twice: QᵀQ = I, column i of Q in span(V[:, 0...i]) with a positive
  /// coefficient (the Gram–Schmidt result), for columns of very different scales.
  @Test func choleskyOrthonormalizeMatchesGramSchmidt() throws {
    let (p, m) = (100_003, 6)
    var rng = SeededGenerator(seed: 21)
    var v = rng.gaussianVector(count: p * m)
    for j in 0..<m {
      let scale = Float(pow(10.0, Double(j - 3)))
      for r in 0..<p { v[j * p + r] *= scale }
    }
    // Column 3 close to a combination of columns 1 and 2 (relative distance about 10⁻²).
    for r in 0..<p { v[3 * p + r] = 50 * v[p + r] + 5 * v[2 * p + r] + 1e-2 * v[3 * p + r] }
    var q = v
    let ok = q.withUnsafeMutableBufferPointer {
      ColumnBlock.choleskyOrthonormalize($0.baseAddress!, rows: p, columns: m)
    }
    #expect(ok)
    let reference = try Basis(
      orthonormalizing: (0..<m).map { Array(v[($0 * p)..<(($0 + 1) * p)]) }, dimension: p)
    #expect(reference.count == m)
    for i in 0..<m {
      for j in 0..<m {
        var s = 0.0
        for r in 0..<p { s += Double(q[i * p + r]) * Double(q[j * p + r]) }
        #expect(abs(s - (i == j ? 1 : 0)) <= 1e-5, "QᵀQ[\(i), \(j)] = \(s)")
      }
      // The same column as Gram–Schmidt (up to rounding): ⟨qᵢ, referenceᵢ⟩ ≈ 1.
      var c = 0.0
      let ref = reference.column(i)
      for r in 0..<p { c += Double(q[i * p + r]) * Double(ref[r]) }
      #expect(abs(c - 1) <= 1e-4, "column \(i): \(c)")
    }
  }

  /// A dependent or zero column, or a non-finite entry, makes it return `false` with V
  /// unchanged (the caller falls back on Gram–Schmidt).
  @Test func choleskyOrthonormalizeRefusesDependentColumns() {
    let (p, m) = (5000, 4)
    var rng = SeededGenerator(seed: 22)
    let base = rng.gaussianVector(count: p * m)
    var dependent = base
    for r in 0..<p { dependent[2 * p + r] = 2 * base[r] - base[p + r] + 1e-6 * base[2 * p + r] }
    var zero = base
    for r in 0..<p { zero[3 * p + r] = 0 }
    var infinite = base
    infinite[p + 17] = .infinity
    for input in [dependent, zero, infinite] {
      var v = input
      let ok = v.withUnsafeMutableBufferPointer {
        ColumnBlock.choleskyOrthonormalize($0.baseAddress!, rows: p, columns: m)
      }
      #expect(!ok)
      #expect(v.elementsEqual(input) { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }
  }
}
