import Testing

@testable import Curvature

@Suite struct Int8KernelsTests {
  static var paths: [Bool] { Int8Kernels.native ? [true, false] : [false] }

  /// Columns of length p with magnitudes spread over many binades, a block of zeros, and a
  /// block whose mass sits in one entry (the worst case of the error bound).
  static func columns(p: Int, k: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    var u: [Float] = (0..<(p * k)).map { i in
      Float(rng.nextGaussian())
        * Float(Double(sign: .plus, exponent: (i / 64) % 24 - 16, significand: 1))
    }
    if p >= 192 {
      for i in 64..<128 { u[i] = 0 }
      u[128] = 1
      for i in 129..<192 { u[i] = 0.5 / 127 * 1.0001 }
    }
    return u
  }

  /// The int8 copy of u (P × k): `q` in the kernels' layout (column stride
  /// `Int8Kernels.columnStride(rows: p)`), `compact` the same values P × k, the scales and ε².
  static func quantized(_ u: [Float], p: Int, k: Int, native: Bool) -> (
    q: [Int8], s: [Float], error: Double, compact: [Int8]
  ) {
    let nb = Int8Kernels.blockCount(rows: p)
    let ldq = Int8Kernels.columnStride(rows: p)
    #expect(ldq >= p && ldq % 64 == 0)
    var q = [Int8](repeating: 99, count: ldq * k)
    var s = [Float](repeating: -1, count: nb * k)
    let e = u.withUnsafeBufferPointer { up in
      q.withUnsafeMutableBufferPointer { qp in
        s.withUnsafeMutableBufferPointer { sp in
          Int8Kernels.quantize(
            up, rows: p, columns: k, into: qp.baseAddress!, scales: sp.baseAddress!,
            native: native)
        }
      }
    }
    var compact: [Int8] = []
    for j in 0..<k {
      compact += q[(j * ldq)..<(j * ldq + p)]
      // The padding is not written.
      #expect(q[(j * ldq + p)..<((j + 1) * ldq)].allSatisfy { $0 == 99 })
    }
    return (q, s, e, compact)
  }

  /// Each block's scale is its largest magnitude / 127, each entry is within s/2 of its value
  /// (the integer nearest to x/s), the recorded ε² is the Double sum of the squared errors, and
  /// the native and portable conversions give the same bits.
  @Test(arguments: [1, 63, 64, 65, 200, 4099, 70_003])
  func conversionIsNearestWithinHalfAScale(p: Int) {
    let k = 3
    let u = Self.columns(p: p, k: k, seed: UInt64(p))
    let nb = Int8Kernels.blockCount(rows: p)
    var results: [([Int8], [Float], Double)] = []
    for native in Self.paths {
      let (_, s, e, q) = Self.quantized(u, p: p, k: k, native: native)
      var reference = 0.0
      for j in 0..<k {
        for b in 0..<nb {
          let rows = (b * 64)..<min(p, b * 64 + 64)
          let largest = rows.map { abs(u[j * p + $0]) }.max()!
          let scale = s[j * nb + b]
          #expect(scale == largest / 127, "scale \(j), \(b), native \(native)")
          for i in rows {
            let x = Double(u[j * p + i])
            let value = Double(scale) * Double(q[j * p + i])
            #expect(abs(q[j * p + i]) <= 127)
            #expect(
              abs(value - x) <= Double(scale) / 2 * (1 + 0x1p-15), "entry \(i), native \(native)")
            // No other integer is nearer, up to the rounding of the Float quotient x/s.
            if scale > 0 {
              let other = Double(q[j * p + i]) + (x / Double(scale) > Double(q[j * p + i]) ? 1 : -1)
              #expect(
                abs(value - x) <= abs(Double(scale) * other - x) + Double(scale) * 0x1p-16
                  || abs(other) > 127)
            }
            reference += (value - x) * (value - x)
          }
        }
      }
      #expect(abs(e - reference) <= 1e-12 * reference, "ε², native \(native)")
      results.append((q, s, e))
    }
    if results.count == 2 {
      #expect(results[0].0 == results[1].0 && results[0].1 == results[1].1)
      #expect(abs(results[0].2 - results[1].2) <= 1e-13 * results[1].2)
    }
  }

  /// A block with all its mass in one entry and the others just above half a scale: the error
  /// of that column approaches the worst-case bound 4/127 per unit column, and stays under it.
  @Test func worstCaseBlockStaysWithinTheBound() {
    let p = 64
    var u = [Float](repeating: 0, count: p)
    u[0] = 1
    for i in 1..<p { u[i] = 0.5 / 127 * 1.001 }
    let norm = u.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    u = u.map { Float(Double($0) / norm) }
    for native in Self.paths {
      let (_, _, e, _) = Self.quantized(u, p: p, k: 1, native: native)
      let bound = BasisPrecision.int8.representationErrorBound(dimension: p, count: 1)
      #expect(e.squareRoot() <= bound)
      #expect(e.squareRoot() >= 0.9 * 7.9 / 254, "\(e.squareRoot())")
    }
  }

  @Test(arguments: [(1, 1), (7, 3), (64, 2), (65, 3), (4099, 5), (70_003, 13), (300_001, 10)])
  func productsMatchDoubleReference(p: Int, k: Int) {
    var rng = SeededGenerator(seed: UInt64(p * 31 + k))
    let u = rng.gaussianVector(count: p * k, standardDeviation: 1 / Double(p).squareRoot())
    let x = rng.gaussianVector(count: p)
    let nb = Int8Kernels.blockCount(rows: p)
    let (q, s, _, compact) = Self.quantized(u, p: p, k: k, native: false)
    let uq = (0..<(p * k)).map { Double(s[($0 / p) * nb + ($0 % p) / 64]) * Double(compact[$0]) }
    var ref = [Double](repeating: 0, count: k)
    var mag = [Double](repeating: 0, count: k)
    for j in 0..<k {
      for i in 0..<p {
        ref[j] += uq[j * p + i] * Double(x[i])
        mag[j] += abs(uq[j * p + i] * Double(x[i]))
      }
    }
    let d: [Float] = (0..<k).map { Float($0 + 1) * 0.25 - 1 }
    for native in Self.paths {
      var c = [Double](repeating: 0, count: k)
      q.withUnsafeBufferPointer { qp in
        s.withUnsafeBufferPointer { sp in
          x.withUnsafeBufferPointer { xp in
            c.withUnsafeMutableBufferPointer {
              Int8Kernels.transposeMultiply(
                q: qp.baseAddress!, scales: sp.baseAddress!, rows: p, columns: k,
                x: xp.baseAddress!, into: $0.baseAddress!, native: native)
            }
          }
        }
      }
      for j in 0..<k { #expect(abs(c[j] - ref[j]) <= 1e-6 * mag[j], "c[\(j)], native \(native)") }

      // out ← β·x + U d, out += β·x + U d, out ← U d, and in place over x.
      let start: [Float] = (0..<p).map { Float($0 % 7) - 3 }
      for (accumulate, withX) in [(false, true), (true, true), (false, false), (true, false)] {
        var out = start
        q.withUnsafeBufferPointer { qp in
          s.withUnsafeBufferPointer { sp in
            x.withUnsafeBufferPointer { xp in
              out.withUnsafeMutableBufferPointer {
                Int8Kernels.multiplyAdd(
                  q: qp.baseAddress!, scales: sp.baseAddress!, rows: p, columns: k,
                  coefficients: d, x: withX ? xp.baseAddress! : nil, beta: -0.5,
                  accumulate: accumulate, into: $0.baseAddress!, native: native)
              }
            }
          }
        }
        var worst = 0.0
        for i in 0..<p {
          var r = (accumulate ? Double(start[i]) : 0) + (withX ? -0.5 * Double(x[i]) : 0)
          var scale = abs(r)
          for j in 0..<k {
            r += Double(d[j]) * uq[j * p + i]
            scale += abs(Double(d[j]) * uq[j * p + i])
          }
          worst = max(worst, abs(Double(out[i]) - r) / max(scale, 1e-30))
        }
        #expect(worst <= 3e-6, "accumulate \(accumulate), x \(withX), native \(native)")
      }
      var inPlace = x
      var copy = [Float](repeating: 0, count: p)
      q.withUnsafeBufferPointer { qp in
        s.withUnsafeBufferPointer { sp in
          x.withUnsafeBufferPointer { xp in
            copy.withUnsafeMutableBufferPointer {
              Int8Kernels.multiplyAdd(
                q: qp.baseAddress!, scales: sp.baseAddress!, rows: p, columns: k,
                coefficients: d, x: xp.baseAddress!, beta: 2, accumulate: false,
                into: $0.baseAddress!, native: native)
            }
          }
          inPlace.withUnsafeMutableBufferPointer {
            Int8Kernels.multiplyAdd(
              q: qp.baseAddress!, scales: sp.baseAddress!, rows: p, columns: k,
              coefficients: d, x: UnsafePointer($0.baseAddress!), beta: 2, accumulate: false,
              into: $0.baseAddress!, native: native)
          }
        }
      }
      #expect(inPlace == copy, "in place, native \(native)")
    }
  }

  /// The products do not depend on how the rows are split over cores: the same bits as the
  /// single-core order for a size that spans several reduction parts and ends in a short block.
  @Test func repeatableBitForBit() {
    let p = 3 * ProjectionKernels.part + 12_345
    let k = 10
    var rng = SeededGenerator(seed: 3)
    let u = rng.gaussianVector(count: p * k, standardDeviation: 1 / Double(p).squareRoot())
    let x = rng.gaussianVector(count: p)
    let (q, s, _, _) = Self.quantized(u, p: p, k: k, native: Int8Kernels.native)
    let d: [Float] = (0..<k).map { Float($0) * 0.1 - 0.3 }
    func run() -> ([Double], [Float]) {
      var c = [Double](repeating: 0, count: k)
      var out = x
      q.withUnsafeBufferPointer { qp in
        s.withUnsafeBufferPointer { sp in
          x.withUnsafeBufferPointer { xp in
            c.withUnsafeMutableBufferPointer {
              Int8Kernels.transposeMultiply(
                q: qp.baseAddress!, scales: sp.baseAddress!, rows: p, columns: k,
                x: xp.baseAddress!, into: $0.baseAddress!)
            }
          }
          out.withUnsafeMutableBufferPointer {
            Int8Kernels.multiplyAdd(
              q: qp.baseAddress!, scales: sp.baseAddress!, rows: p, columns: k, coefficients: d,
              x: nil, beta: 0, accumulate: true, into: $0.baseAddress!)
          }
        }
      }
      return (c, out)
    }
    let first = run()
    let serial = SerialScope.run { run() }
    #expect(first.0 == serial.0 && first.1 == serial.1)
    #expect(first.0 == run().0)
  }
}
