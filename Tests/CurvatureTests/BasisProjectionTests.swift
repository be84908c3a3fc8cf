import Testing

@testable import Curvature

@Suite struct BasisProjectionTests {
  /// A P×k column-major matrix of Gaussian entries (the kernels do not need orthonormality).
  static func randomBasis(dimension p: Int, count k: Int, seed: UInt64) -> Basis {
    var rng = SeededGenerator(seed: seed)
    return Basis(
      uncheckedStorage: rng.gaussianVector(
        count: p * k, standardDeviation: 1 / Double(p).squareRoot()),
      dimension: p, count: k)
  }

  /// Uᵀx in Double and Σ_i |U[i,j] x[i]| per column.
  static func referenceCoefficients(_ u: Basis, _ x: [Float]) -> ([Double], [Double]) {
    var c = [Double](repeating: 0, count: u.count)
    var m = [Double](repeating: 0, count: u.count)
    for j in 0..<u.count {
      for i in 0..<u.dimension {
        let t = Double(u.storage[j * u.dimension + i]) * Double(x[i])
        c[j] += t
        m[j] += abs(t)
      }
    }
    return (c, m)
  }

  /// α_bulk·x + (α_dom − α_bulk)·U c in Double, and a per-element error scale.
  static func referenceProjection(
    _ u: Basis, _ x: [Float], _ c: [Double], dominant: Double, bulk: Double
  ) -> ([Double], Double) {
    let p = u.dimension
    var out = x.map { bulk * Double($0) }
    var scale = 0.0
    for j in 0..<u.count {
      let d = (dominant - bulk) * c[j]
      var colMax = 0.0
      for i in 0..<p {
        let v = Double(u.storage[j * p + i])
        out[i] += d * v
        colMax = max(colMax, abs(v))
      }
      scale += abs(d) * colMax
    }
    return (out, scale + abs(bulk) * Double(x.map { abs($0) }.max() ?? 0))
  }

  @Test(arguments: [(1, 1), (7, 3), (4099, 5), (10_000, 8), (70_003, 13), (300_001, 7)])
  func projectionsMatchDoubleReference(p: Int, k: Int) {
    let u = Self.randomBasis(dimension: p, count: k, seed: UInt64(p * 31 + k))
    var rng = SeededGenerator(seed: 2)
    let x = rng.gaussianVector(count: p)
    let (cRef, mag) = Self.referenceCoefficients(u, x)
    let c = u.coefficients(of: x)
    for j in 0..<k { #expect(abs(c[j] - cRef[j]) <= 1e-6 * mag[j], "c[\(j)]") }

    for (dom, bulk) in [(1.0, 0.0), (0.0, 1.0), (0.3, 1.7), (1.0, 1.0)] {
      let out = u.project(x, dominantWeight: Float(dom), bulkWeight: Float(bulk))
      let (ref, scale) = Self.referenceProjection(u, x, cRef, dominant: dom, bulk: bulk)
      var worst = 0.0
      for i in 0..<p { worst = max(worst, abs(Double(out[i]) - ref[i])) }
      #expect(worst <= 2e-6 * scale, "α=(\(dom), \(bulk)) err \(worst) scale \(scale)")
    }
    let dominant = u.projectDominant(x)
    #expect(dominant == u.project(x, dominantWeight: 1, bulkWeight: 0))
    let bulk = u.projectBulk(x)
    #expect(bulk == u.project(x, dominantWeight: 0, bulkWeight: 1))

    // combine: U c and out += U c.
    let coeffs = (0..<k).map { Double($0) - 1.5 }
    let combined = u.combine(coeffs)
    let (uc, scale) = Self.referenceProjection(
      u, [Float](repeating: 0, count: p), coeffs, dominant: 1, bulk: 0)
    var worst = 0.0
    for i in 0..<p { worst = max(worst, abs(Double(combined[i]) - uc[i])) }
    #expect(worst <= 2e-6 * scale)
    var acc = x
    acc.withUnsafeMutableBufferPointer { ap in
      coeffs.withUnsafeBufferPointer { u.combine($0, into: ap, accumulate: true) }
    }
    worst = 0
    for i in 0..<p { worst = max(worst, abs(Double(acc[i]) - (Double(x[i]) + uc[i]))) }
    #expect(worst <= 2e-6 * (scale + 4))
  }

  /// With an orthonormal U: dominant + bulk = x, Uᵀ(bulk) ≈ 0, and in-place projection works.
  @Test func orthonormalBasisSplitsVector() throws {
    let p = 5000
    var rng = SeededGenerator(seed: 11)
    let cols = (0..<6).map { _ in rng.gaussianVector(count: p) }
    let u = try Basis(orthonormalizing: cols, dimension: p)
    let x = rng.gaussianVector(count: p)
    let dom = u.projectDominant(x)
    let bulk = u.projectBulk(x)
    var worst: Float = 0
    for i in 0..<p { worst = max(worst, abs(dom[i] + bulk[i] - x[i])) }
    #expect(worst <= 1e-5)
    let residual = u.coefficients(of: bulk)
    #expect(residual.allSatisfy { abs($0) <= 1e-4 })
    var inPlace = x
    var coefficients = [Double](repeating: 0, count: u.count)
    inPlace.withUnsafeMutableBufferPointer { buffer in
      coefficients.withUnsafeMutableBufferPointer { cp in
        u.project(
          UnsafeBufferPointer(buffer), dominantWeight: 0, bulkWeight: 1, into: buffer,
          coefficients: cp)
      }
    }
    #expect(inPlace == bulk)
    #expect(coefficients == u.coefficients(of: x))
  }

  /// Long products run on all cores: Uᵀx equals the fixed parts summed in order (what one core
  /// computes), bit for bit, and repeated projections give the same bits.
  @Test func parallelProjectionIsDeterministic() {
    let p = 2 * ProjectionKernels.part + 4321
    let k = 11
    let u = Self.randomBasis(dimension: p, count: k, seed: 77)
    var rng = SeededGenerator(seed: 78)
    let x = rng.gaussianVector(count: p)
    let c1 = u.coefficients(of: x)
    let c2 = u.coefficients(of: x)
    var serial = [Double](repeating: 0, count: k)
    u.storage.withUnsafeBufferPointer { up in
      x.withUnsafeBufferPointer { xp in
        var lo = 0
        while lo < p {
          let hi = min(p, lo + ProjectionKernels.part)
          var part = [Double](repeating: 0, count: k)
          part.withUnsafeMutableBufferPointer { pp in
            ProjectionKernels.partialTransposeMultiply(
              u: up.baseAddress!, rows: p, columns: k, x: xp.baseAddress!, range: lo..<hi,
              into: pp.baseAddress!)
          }
          for j in 0..<k { serial[j] += part[j] }
          lo = hi
        }
      }
    }
    #expect(c1.map(\.bitPattern) == c2.map(\.bitPattern))
    #expect(c1.map(\.bitPattern) == serial.map(\.bitPattern))
    let o1 = u.project(x, dominantWeight: 0.5, bulkWeight: 2)
    let o2 = u.project(x, dominantWeight: 0.5, bulkWeight: 2)
    #expect(o1.map(\.bitPattern) == o2.map(\.bitPattern))
  }
}
