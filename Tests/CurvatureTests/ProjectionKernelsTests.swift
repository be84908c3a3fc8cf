import CCurvatureKernels
import Testing

@testable import Curvature

/// Every tile-loop path this machine can run: the Swift SIMD loops and each C kernel the CPU
/// supports.
let projectionPaths: [curvature_isa] = {
  var paths = [CURVATURE_ISA_BASELINE]
  let best = ProjectionKernels.isa
  if best == CURVATURE_ISA_AVX2_FMA || best == CURVATURE_ISA_AVX512 {
    paths.append(CURVATURE_ISA_AVX2_FMA)
  }
  if best == CURVATURE_ISA_AVX512 { paths.append(CURVATURE_ISA_AVX512) }
  return paths
}()

@Suite struct ProjectionKernelsTests {
  /// Small integers (exact in Float, and so are their products and the partial sums here).
  static func integers(_ n: Int, seed: UInt64, range: Int = 4) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<n).map { _ in Float(rng.nextInt(below: 2 * range + 1) - range) }
  }

  /// The first index where `a` and `b` differ in bits (nil when identical), so a failure
  /// reports one element instead of two long arrays.
  static func firstDifference(_ a: [Float], _ b: [Float]) -> Int? {
    if a.count != b.count { return -1 }
    return a.indices.first { a[$0].bitPattern != b[$0].bitPattern }
  }

  /// Row counts around the vector width, the accumulation block and the C tile (32768).
  static let rowCounts = [1, 15, 17, 513, 1000, 32768 + 13, 70_001]

  /// Uᵀx on integer data is exact on every path, so it must equal the Double reference bit for
  /// bit (any skipped, repeated or misplaced element shows); k spans 1…33, below and above the
  /// number of columns streamed together.
  @Test(arguments: projectionPaths)
  func transposeMultiplyIsExactOnIntegers(isa: curvature_isa) {
    for (index, p) in Self.rowCounts.enumerated() {
      for k in [1, 2, 3, 4, 5, 7, 8, 9, 13, 20, 33] where p * k <= 800_000 || k == 33 {
        let u = Self.integers(p * k, seed: UInt64(10 * index + k))
        let x = Self.integers(p, seed: UInt64(1000 + index))
        var reference = [Double](repeating: 0, count: k)
        for j in 0..<k {
          for i in 0..<p { reference[j] += Double(u[j * p + i]) * Double(x[i]) }
        }
        var c = [Double](repeating: .nan, count: k)
        x.withUnsafeBufferPointer { xp in
          u.withUnsafeBufferPointer { up in
            c.withUnsafeMutableBufferPointer {
              ProjectionKernels.coefficients(of: xp, basis: up, dimension: p, into: $0, isa: isa)
            }
          }
        }
        #expect(c == reference, "\(ProjectionKernels.name(of: isa)) p=\(p) k=\(k)")
      }
    }
  }

  /// Uᵀx on Gaussian data against a Double reference, to within a few Float roundings of the
  /// sum of |U[i, j] x[i]| (Float lanes over blocks of 512 rows, then Double).
  @Test(arguments: projectionPaths)
  func transposeMultiplyMatchesDoubleReference(isa: curvature_isa) {
    var rng = SeededGenerator(seed: 5)
    for p in [17, 1000, 70_001] {
      let k = 6
      let u = rng.gaussianVector(count: p * k)
      let x = rng.gaussianVector(count: p)
      var c = [Double](repeating: 0, count: k)
      x.withUnsafeBufferPointer { xp in
        u.withUnsafeBufferPointer { up in
          c.withUnsafeMutableBufferPointer {
            ProjectionKernels.coefficients(of: xp, basis: up, dimension: p, into: $0, isa: isa)
          }
        }
      }
      for j in 0..<k {
        var exact = 0.0
        var magnitude = 0.0
        for i in 0..<p {
          exact += Double(u[j * p + i]) * Double(x[i])
          magnitude += abs(Double(u[j * p + i]) * Double(x[i]))
        }
        #expect(abs(c[j] - exact) <= 4e-7 * magnitude, "p=\(p) j=\(j)")
      }
    }
  }

  /// β·x + U d, U d, out += U d and the in-place form, on integer data (exact on every path),
  /// against a Double reference, bit for bit.
  @Test(arguments: projectionPaths)
  func multiplyAddIsExactOnIntegers(isa: curvature_isa) {
    for (index, p) in Self.rowCounts.enumerated() {
      for k in [1, 3, 4, 5, 9, 20, 33] where p * k <= 800_000 || k == 33 {
        let u = Self.integers(p * k, seed: UInt64(77 + 10 * index + k))
        let d = Self.integers(k, seed: UInt64(k)).map { $0 * 0.5 }
        let x = Self.integers(p, seed: UInt64(500 + index))
        let start = Self.integers(p, seed: UInt64(900 + index))
        let beta: Float = -1.5
        func reference(_ initial: (Int) -> Double) -> [Float] {
          (0..<p).map { i in
            var s = initial(i)
            for j in 0..<k { s += Double(d[j]) * Double(u[j * p + i]) }
            return Float(s)
          }
        }
        let name = "\(ProjectionKernels.name(of: isa)) p=\(p) k=\(k)"
        u.withUnsafeBufferPointer { up in
          d.withUnsafeBufferPointer { dp in
            x.withUnsafeBufferPointer { xp in
              var out = [Float](repeating: .nan, count: p)
              out.withUnsafeMutableBufferPointer {
                ProjectionKernels.multiplyAdd(
                  u: up.baseAddress!, rows: p, columns: k, coefficients: dp.baseAddress!,
                  x: xp.baseAddress!, beta: beta, accumulate: false, into: $0.baseAddress!,
                  isa: isa)
              }
              #expect(
                Self.firstDifference(out, reference { Double(beta) * Double(x[$0]) }) == nil,
                "β·x + U d \(name)")
              out = [Float](repeating: .nan, count: p)
              out.withUnsafeMutableBufferPointer {
                ProjectionKernels.multiplyAdd(
                  u: up.baseAddress!, rows: p, columns: k, coefficients: dp.baseAddress!, x: nil,
                  beta: 0, accumulate: false, into: $0.baseAddress!, isa: isa)
              }
              #expect(Self.firstDifference(out, reference { _ in 0 }) == nil, "U d \(name)")
              out = start
              out.withUnsafeMutableBufferPointer {
                ProjectionKernels.multiplyAdd(
                  u: up.baseAddress!, rows: p, columns: k, coefficients: dp.baseAddress!, x: nil,
                  beta: 0, accumulate: true, into: $0.baseAddress!, isa: isa)
              }
              #expect(
                Self.firstDifference(out, reference { Double(start[$0]) }) == nil,
                "out += U d \(name)")
            }
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer {
              ProjectionKernels.multiplyAdd(
                u: up.baseAddress!, rows: p, columns: k, coefficients: dp.baseAddress!,
                x: UnsafePointer($0.baseAddress!), beta: beta, accumulate: false,
                into: $0.baseAddress!, isa: isa)
            }
            #expect(
              Self.firstDifference(inPlace, reference { Double(beta) * Double(x[$0]) }) == nil,
              "in place \(name)")
          }
        }
      }
    }
  }

  /// The C kernel with streaming stores, at every alignment of the output and of U (offsets of
  /// 0…16 floats into larger buffers), equals the Double reference bit for bit and equals the
  /// same call without streaming stores.
  @Test(arguments: projectionPaths.filter { curvature_projection_supported($0) != 0 })
  func streamingStoresAtEveryAlignment(isa: curvature_isa) {
    let p = 32768 + 37
    let k = 9
    let u = Self.integers(p * k + 16, seed: 41)
    let x = Self.integers(p + 16, seed: 42)
    let d = Self.integers(k, seed: 43)
    for offset in [0, 1, 3, 4, 7, 8, 15, 16] {
      let reference = (0..<p).map { i -> Float in
        var s = 2 * Double(x[offset + i])
        for j in 0..<k { s += Double(d[j]) * Double(u[offset + j * p + i]) }
        return Float(s)
      }
      for stream: Int32 in [1, 0] {
        var out = [Float](repeating: .nan, count: p + 16)
        u.withUnsafeBufferPointer { up in
          x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
              curvature_tsmv_n(
                isa, p, k, up.baseAddress! + offset, p, d, xp.baseAddress! + offset, 2, 0,
                stream, op.baseAddress! + offset)
            }
          }
        }
        #expect(
          Self.firstDifference(Array(out[offset..<(offset + p)]), reference) == nil,
          "offset \(offset) stream \(stream)")
        #expect(out[0..<offset].allSatisfy(\.isNaN) && out[(offset + p)...].allSatisfy(\.isNaN))
      }
    }
  }

  /// Long products (split over the cores) give the same bits on every call, Uᵀx equals its
  /// fixed parts summed in order, and U d equals one unsplit call of the same kernel.
  @Test(arguments: projectionPaths)
  func longProductsAreBitReproducible(isa: curvature_isa) {
    let p = 2 * ProjectionKernels.part + 4321
    let k = 5
    var rng = SeededGenerator(seed: 9)
    let u = rng.gaussianVector(count: p * k)
    let x = rng.gaussianVector(count: p)
    u.withUnsafeBufferPointer { up in
      x.withUnsafeBufferPointer { xp in
        var c1 = [Double](repeating: 0, count: k)
        var c2 = [Double](repeating: 0, count: k)
        var serial = [Double](repeating: 0, count: k)
        c1.withUnsafeMutableBufferPointer {
          ProjectionKernels.coefficients(of: xp, basis: up, dimension: p, into: $0, isa: isa)
        }
        c2.withUnsafeMutableBufferPointer {
          ProjectionKernels.coefficients(of: xp, basis: up, dimension: p, into: $0, isa: isa)
        }
        var lo = 0
        while lo < p {
          let hi = min(p, lo + ProjectionKernels.part)
          var part = [Double](repeating: 0, count: k)
          part.withUnsafeMutableBufferPointer {
            ProjectionKernels.partialTransposeMultiply(
              u: up.baseAddress!, rows: p, columns: k, x: xp.baseAddress!, range: lo..<hi,
              into: $0.baseAddress!, isa: isa)
          }
          for j in 0..<k { serial[j] += part[j] }
          lo = hi
        }
        #expect(c1.map(\.bitPattern) == c2.map(\.bitPattern))
        #expect(c1.map(\.bitPattern) == serial.map(\.bitPattern))

        var c = [Double](repeating: 0, count: k)
        func projected() -> [Float] {
          var out = [Float](repeating: 0, count: p)
          out.withUnsafeMutableBufferPointer { op in
            c.withUnsafeMutableBufferPointer { cp in
              ProjectionKernels.project(
                xp, basis: up, dimension: p, dominantWeight: 0.5, bulkWeight: 2, into: op,
                coefficients: cp, isa: isa)
            }
          }
          return out
        }
        let o1 = projected()
        let o2 = projected()
        #expect(Self.firstDifference(o1, o2) == nil)
        if curvature_projection_supported(isa) != 0 {
          let d = c.map { Float(-1.5 * $0) }
          var whole = [Float](repeating: 0, count: p)
          whole.withUnsafeMutableBufferPointer { wp in
            curvature_tsmv_n(
              isa, p, k, up.baseAddress!, p, d, xp.baseAddress!, 2, 0, 0, wp.baseAddress!)
          }
          #expect(Self.firstDifference(whole, o1) == nil)
        }
      }
    }
  }

  /// The reported path names the kernel that runs.
  @Test func pathNamesTheKernel() {
    #expect(["avx512", "avx2+fma", "swift-simd"].contains(ProjectionKernels.path))
    #expect(ProjectionKernels.name(of: CURVATURE_ISA_BASELINE) == "swift-simd")
    #if arch(x86_64)
      if ProjectionKernels.isa == CURVATURE_ISA_AVX512 {
        #expect(ProjectionKernels.path == "avx512")
      }
    #endif
  }
}
