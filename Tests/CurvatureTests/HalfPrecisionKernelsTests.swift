import Testing

@testable import Curvature

@Suite struct HalfPrecisionKernelsTests {
  /// The binary16 value of a pattern computed from its fields in Double (an independent decoder).
  static func decoded(_ h: UInt16) -> Double {
    let sign = h & 0x8000 != 0 ? -1.0 : 1.0
    let e = Int((h >> 10) & 0x1f)
    let m = Double(h & 0x3ff)
    if e == 0 { return sign * m * 0x1p-24 }
    if e == 31 { return m == 0 ? sign * .infinity : .nan }
    return sign * (1 + m / 1024) * Double(sign: .plus, exponent: e - 15, significand: 1)
  }

  @Test func everyPatternDecodesExactly() {
    for bits in 0...UInt16.max {
      let f = HalfPrecisionKernels.float(bits)
      let d = Self.decoded(bits)
      if d.isNaN {
        #expect(f.isNaN, "pattern \(bits)")
      } else {
        #expect(Double(f) == d, "pattern \(bits)")
        // Rounding a representable value gives it back (±0 keep their sign).
        #expect(HalfPrecisionKernels.half(f) == bits, "pattern \(bits)")
      }
    }
  }

  /// Rounding to nearest with ties to even, checked against the two neighbouring halves in
  /// Double for values across the whole range: normal, subnormal, ties, overflow.
  @Test func roundingIsToNearestEven() {
    var rng = SeededGenerator(seed: 11)
    var values: [Float] = [
      0, 65504, 65519.996, 65520, 1e6, 0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-26, 1e-9,
    ]
    for bits in stride(from: UInt16(0), to: 0x7bff, by: 7) {
      // Midpoints between neighbours are exact in Float: the ties.
      let a = Double(HalfPrecisionKernels.float(bits))
      let b = Double(HalfPrecisionKernels.float(bits + 1))
      values.append(Float((a + b) / 2))
    }
    for _ in 0..<20_000 {
      let e = rng.nextInt(below: 50) - 30
      values.append(
        abs(Float(rng.nextGaussian())) * Float(Double(sign: .plus, exponent: e, significand: 1)))
    }
    for x in values {
      let h = HalfPrecisionKernels.half(x)
      // Symmetric in the sign.
      #expect(HalfPrecisionKernels.half(-x) == h | 0x8000, "\(x)")
      let v = Self.decoded(h)
      let xd = Double(x)
      if xd >= 65520 {
        #expect(h == 0x7c00, "\(x)")
        continue
      }
      // No representable half is nearer; at a tie the chosen pattern is even.
      let err = abs(v - xd)
      var neighbours: [Double] = []
      if h < 0x7bff { neighbours.append(Self.decoded(h + 1)) }
      if h > 0 { neighbours.append(Self.decoded(h - 1)) }
      for n in neighbours {
        #expect(err <= abs(n - xd), "\(x)")
        if err == abs(n - xd), err > 0 { #expect(h & 1 == 0, "tie at \(x)") }
      }
    }
  }

  @Test func nativeConversionsAgreeWithSoftware() {
    guard HalfPrecisionKernels.native else { return }
    var rng = SeededGenerator(seed: 5)
    var x: [Float] = (0..<50_003).map { i in
      Float(rng.nextGaussian()) * Float(Double(sign: .plus, exponent: i % 40 - 28, significand: 1))
    }
    x += [0, -0, 65504, 65520, 0x1p-25, 0x1.8p-25, .infinity, -.infinity]
    var native = [UInt16](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { xp in
      native.withUnsafeMutableBufferPointer {
        HalfPrecisionKernels.convert(xp, into: $0, native: true)
      }
    }
    var software = [UInt16](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { xp in
      software.withUnsafeMutableBufferPointer {
        HalfPrecisionKernels.convert(xp, into: $0, native: false)
      }
    }
    #expect(native == software)
  }

  /// Σ (h − x)² on both paths against a sequential Double sum, for lengths with vector tails,
  /// one past the parallel threshold, and an element that overflows binary16 (error ∞).
  @Test(arguments: [1, 7, 8, 9, 4099, (1 << 20) + 3])
  func squaredErrorMatchesDoubleReference(n: Int) {
    var rng = SeededGenerator(seed: UInt64(n))
    let x: [Float] = (0..<n).map { i in
      Float(rng.nextGaussian()) * Float(Double(sign: .plus, exponent: i % 30 - 20, significand: 1))
    }
    let h = x.map(HalfPrecisionKernels.half)
    var reference = 0.0
    for i in 0..<n {
      let d = Double(HalfPrecisionKernels.float(h[i])) - Double(x[i])
      reference += d * d
    }
    #expect(reference > 0)
    for native in [false, HalfPrecisionKernels.native] {
      let e = x.withUnsafeBufferPointer { xp in
        h.withUnsafeBufferPointer { HalfPrecisionKernels.squaredError(xp, $0, native: native) }
      }
      #expect(abs(e - reference) <= 1e-12 * reference, "native \(native): \(e) vs \(reference)")
    }
    var y = x
    y[n / 2] = 70_000
    let hy = y.map(HalfPrecisionKernels.half)
    for native in [false, HalfPrecisionKernels.native] {
      let e = y.withUnsafeBufferPointer { yp in
        hy.withUnsafeBufferPointer { HalfPrecisionKernels.squaredError(yp, $0, native: native) }
      }
      #expect(e == .infinity)
    }
  }

  /// A column-major P × k matrix of binary16 patterns with unit-norm-sized entries, and x.
  static func problem(p: Int, k: Int, seed: UInt64) -> (u: [UInt16], x: [Float]) {
    var rng = SeededGenerator(seed: seed)
    let values = rng.gaussianVector(count: p * k, standardDeviation: 1 / Double(p).squareRoot())
    return (values.map(HalfPrecisionKernels.half), rng.gaussianVector(count: p))
  }

  @Test(arguments: [(1, 1), (7, 3), (4099, 5), (70_003, 13), (300_001, 10)])
  func productsMatchDoubleReference(p: Int, k: Int) {
    let (u, x) = Self.problem(p: p, k: k, seed: UInt64(p + k))
    let uf = u.map { Double(HalfPrecisionKernels.float($0)) }
    var ref = [Double](repeating: 0, count: k)
    var mag = [Double](repeating: 0, count: k)
    for j in 0..<k {
      for i in 0..<p {
        ref[j] += uf[j * p + i] * Double(x[i])
        mag[j] += abs(uf[j * p + i] * Double(x[i]))
      }
    }
    let d: [Float] = (0..<k).map { Float($0 + 1) * 0.25 - 1 }
    for native in HalfPrecisionKernels.native ? [true, false] : [false] {
      var c = [Double](repeating: 0, count: k)
      u.withUnsafeBufferPointer { up in
        x.withUnsafeBufferPointer { xp in
          c.withUnsafeMutableBufferPointer {
            HalfPrecisionKernels.transposeMultiply(
              u: up.baseAddress!, rows: p, columns: k, x: xp.baseAddress!,
              into: $0.baseAddress!, native: native)
          }
        }
      }
      for j in 0..<k { #expect(abs(c[j] - ref[j]) <= 1e-6 * mag[j], "c[\(j)], native \(native)") }

      // out ← β·x + U d, out += β·x + U d, out ← U d, and in place over x.
      let start: [Float] = (0..<p).map { Float($0 % 7) - 3 }
      for (accumulate, withX) in [(false, true), (true, true), (false, false), (true, false)] {
        var out = start
        u.withUnsafeBufferPointer { up in
          x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer {
              HalfPrecisionKernels.multiplyAdd(
                u: up.baseAddress!, rows: p, columns: k, coefficients: d,
                x: withX ? xp.baseAddress! : nil, beta: -0.5, accumulate: accumulate,
                into: $0.baseAddress!, native: native)
            }
          }
        }
        var worst = 0.0
        for i in 0..<p {
          var r = (accumulate ? Double(start[i]) : 0) + (withX ? -0.5 * Double(x[i]) : 0)
          var scale = abs(r)
          for j in 0..<k {
            r += Double(d[j]) * uf[j * p + i]
            scale += abs(Double(d[j]) * uf[j * p + i])
          }
          worst = max(worst, abs(Double(out[i]) - r) / max(scale, 1e-30))
        }
        #expect(worst <= 2e-6, "accumulate \(accumulate), x \(withX), native \(native)")
      }
      var inPlace = x
      var copy = [Float](repeating: 0, count: p)
      u.withUnsafeBufferPointer { up in
        x.withUnsafeBufferPointer { xp in
          copy.withUnsafeMutableBufferPointer {
            HalfPrecisionKernels.multiplyAdd(
              u: up.baseAddress!, rows: p, columns: k, coefficients: d, x: xp.baseAddress!,
              beta: 2, accumulate: false, into: $0.baseAddress!, native: native)
          }
        }
        inPlace.withUnsafeMutableBufferPointer {
          HalfPrecisionKernels.multiplyAdd(
            u: up.baseAddress!, rows: p, columns: k, coefficients: d,
            x: UnsafePointer($0.baseAddress!), beta: 2, accumulate: false,
            into: $0.baseAddress!, native: native)
        }
      }
      #expect(inPlace == copy, "in place, native \(native)")
    }
  }

  /// The products do not depend on how the rows are split over cores: the same bits as the
  /// single-core order for a size that spans several reduction parts.
  @Test func repeatableBitForBit() {
    let p = 3 * ProjectionKernels.part + 12_345
    let k = 10
    let (u, x) = Self.problem(p: p, k: k, seed: 3)
    func run() -> [Double] {
      var c = [Double](repeating: 0, count: k)
      u.withUnsafeBufferPointer { up in
        x.withUnsafeBufferPointer { xp in
          c.withUnsafeMutableBufferPointer {
            HalfPrecisionKernels.transposeMultiply(
              u: up.baseAddress!, rows: p, columns: k, x: xp.baseAddress!, into: $0.baseAddress!)
          }
        }
      }
      return c
    }
    let first = run()
    let serial = SerialScope.run { run() }
    #expect(first == serial)
    #expect(first == run())
  }
}
