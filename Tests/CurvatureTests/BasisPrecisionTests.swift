import Testing

@testable import Curvature

@Suite struct BasisPrecisionTests {
  static func orthonormal(p: Int, k: Int, seed: UInt64) throws -> Basis {
    var rng = SeededGenerator(seed: seed)
    return try Basis(
      orthonormalizing: (0..<k).map { _ in rng.gaussianVector(count: p) }, dimension: p)
  }

  static func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

  @Test func halfCopyRecordsItsErrorWithinTheBound() throws {
    let single = try Self.orthonormal(p: 50_000, k: 10, seed: 1)
    let half = single.withPrecision(.half)
    #expect(half.precision == .half && single.precision == .single)
    #expect(half.storage == single.storage)
    // ε computed independently from the rounded entries.
    var sum = 0.0
    for v in single.storage {
      let d = Double(HalfPrecisionKernels.float(HalfPrecisionKernels.half(v))) - Double(v)
      sum += d * d
    }
    #expect(abs(half.precisionError - sum.squareRoot()) <= 1e-12)
    let bound = BasisPrecision.half.representationErrorBound(dimension: 50_000, count: 10)
    #expect(half.precisionError > 0 && half.precisionError <= bound)
    #expect(BasisPrecision.single.representationErrorBound(dimension: 50_000, count: 10) == 0)
    #expect(single.precisionError == 0)
    // Equality sees the precision; going back to single gives the original basis.
    #expect(half != single)
    #expect(half.withPrecision(.single) == single)
    #expect(half.withPrecision(.single).precisionError == 0)
    #expect(half.prefix(4).precision == .half)
    #expect(!half.sharesStorage(with: single) && half.sharesStorage(with: half))
  }

  @Test func int8CopyRecordsItsErrorWithinTheBound() throws {
    let p = 50_000
    let single = try Self.orthonormal(p: p, k: 10, seed: 1)
    let copy = single.withPrecision(.int8)
    #expect(copy.precision == .int8 && copy.storage == single.storage)
    // ε from the definition: each block of 64 rows read back as (max|u|/127)·round(u/scale).
    var sum = 0.0
    for j in 0..<10 {
      for b0 in stride(from: 0, to: p, by: 64) {
        let rows = (j * p + b0)..<(j * p + min(p, b0 + 64))
        let scale = Double(rows.map { abs(single.storage[$0]) }.max()! / 127)
        for i in rows {
          let x = Double(single.storage[i])
          let d = scale * (x / scale).rounded(.toNearestOrEven) - x
          sum += d * d
        }
      }
    }
    #expect(abs(copy.precisionError - sum.squareRoot()) <= 1e-6 * sum.squareRoot())
    let bound = BasisPrecision.int8.representationErrorBound(dimension: p, count: 10)
    #expect(copy.precisionError > 0 && copy.precisionError <= bound)
    // Gaussian columns: about 1/250 per column, far inside the worst case.
    #expect(copy.precisionError <= 0.25 * bound)
    #expect(copy.int8Bytes.count == Int8Kernels.columnStride(rows: p) * 10)
    #expect(single.int8Bytes.isEmpty)
    #expect(copy != single && copy != single.withPrecision(.half))
    #expect(copy.withPrecision(.single) == single)
    #expect(copy.withPrecision(.half).int8Bytes.isEmpty)
    #expect(copy.prefix(4).precision == .int8)
    #expect(!copy.sharesStorage(with: single) && copy.sharesStorage(with: copy))
  }

  /// Projections through a reduced copy stay within (2ε + ε²)|α − β|‖x‖ of the exact ones with
  /// the Float columns, and differ from them (the copy is what is read).
  @Test(arguments: [BasisPrecision.half, .int8], [(1.0, 0.0), (0.0, 1.0), (0.3, 1.7)])
  func projectionsStayWithinTheErrorBound(precision: BasisPrecision, weights: (Double, Double))
    throws
  {
    let (a, b) = weights
    let single = try Self.orthonormal(p: 40_000, k: 8, seed: 2)
    let half = single.withPrecision(precision)
    let eps = half.precisionError
    var rng = SeededGenerator(seed: 3)
    let x = rng.gaussianVector(count: 40_000)
    let xNorm = Self.norm(x.map(Double.init))
    let ref = SubspaceProjectionTests.reference(single, x, a, b)
    let out = half.project(x, dominantWeight: Float(a), bulkWeight: Float(b))
    let outSingle = single.project(x, dominantWeight: Float(a), bulkWeight: Float(b))
    let err = Self.norm((0..<x.count).map { Double(out[$0]) - ref[$0] })
    let errSingle = Self.norm((0..<x.count).map { Double(outSingle[$0]) - ref[$0] })
    #expect(err <= abs(a - b) * (2 * eps + eps * eps) * xNorm + 1e-6 * xNorm)
    #expect(err > errSingle)
    // Coefficients: |c̃_j − c_j| ≤ ‖ũ_j − u_j‖‖x‖ ≤ ε‖x‖.
    let c = half.coefficients(of: x)
    let cSingle = single.coefficients(of: x)
    for j in 0..<8 { #expect(abs(c[j] - cSingle[j]) <= eps * xNorm + 1e-6 * xNorm) }
    #expect(c != cSingle)
  }

  /// Appending to a half-precision basis orthogonalises in Float (the columns stay orthonormal
  /// to round-off) and refreshes the copy.
  @Test(arguments: [BasisPrecision.half, .int8])
  func appendKeepsColumnsOrthonormalAndTheCopyCurrent(precision: BasisPrecision) throws {
    var basis = try Self.orthonormal(p: 3000, k: 4, seed: 4).withPrecision(precision)
    var rng = SeededGenerator(seed: 5)
    let appended = basis.append(orthogonalizing: rng.gaussianVector(count: 3000))
    #expect(appended)
    #expect(basis.count == 5 && basis.precision == precision)
    #expect(basis.orthogonalityError <= 1e-5)
    #expect(basis.withPrecision(precision).precisionError == basis.precisionError)
    let x = rng.gaussianVector(count: 3000)
    #expect(basis.coefficients(of: x) == basis.withPrecision(precision).coefficients(of: x))
  }

  /// The one-pass projected SGD step equals w − η·P(g) in Double, for both precisions, and is
  /// the step the tracker's fast path takes.
  @Test(arguments: [BasisPrecision.single, .half, .int8])
  func fusedStepMatchesTheProjectedGradientStep(precision: BasisPrecision) throws {
    let basis = try Self.orthonormal(p: 20_000, k: 6, seed: 6).withPrecision(precision)
    var rng = SeededGenerator(seed: 7)
    let w0 = rng.gaussianVector(count: 20_000)
    let g = rng.gaussianVector(count: 20_000)
    let gNorm = Self.norm(g.map(Double.init))
    let eps = basis.precisionError
    for (a, b) in [(0.0, 1.0), (1.0, 0.0), (0.5, 2.0)] {
      var opt = SGD(learningRate: 0.05).projected(
        .interpolated(dominant: Float(a), bulk: Float(b)), basis: basis)
      var w = w0
      try opt.step(parameters: &w, gradient: g)
      #expect(opt.stepCount == 1 && opt.base.stepCount == 1)
      let p = SubspaceProjectionTests.reference(basis.withPrecision(.single), g, a, b)
      let err = Self.norm((0..<w.count).map { Double(w[$0]) - (Double(w0[$0]) - 0.05 * p[$0]) })
      #expect(
        err <= 0.05 * (abs(a - b) * (2 * eps + eps * eps) + 1e-6) * gNorm + 1e-5, "\(a), \(b)")
      // The stored-gradient path (momentum 0 is fused; the same step through SGD.step on the
      // projected gradient) agrees to Float rounding.
      var projected = [Float](repeating: 0, count: g.count)
      g.withUnsafeBufferPointer { gp in
        projected.withUnsafeMutableBufferPointer {
          opt.projection.apply(gp, into: $0, step: 0)
        }
      }
      var plain = SGD(learningRate: 0.05)
      var w2 = w0
      try plain.step(parameters: &w2, gradient: projected)
      for i in stride(from: 0, to: w.count, by: 97) { #expect(abs(w[i] - w2[i]) <= 1e-6) }
    }
  }

  /// A step that could overflow is refused by the one-pass path too, and changes nothing.
  @Test func fusedStepRefusesOverflowAndChangesNothing() throws {
    let basis = try Self.orthonormal(p: 1000, k: 3, seed: 8).withPrecision(.half)
    var opt = SGD(learningRate: 1e30).projected(.bulk, basis: basis)
    var w = [Float](repeating: 3e38, count: 1000)
    let g = [Float](repeating: 1e10, count: 1000)
    let before = (w, opt.stepCount, opt.base.stepCount)
    #expect(throws: CurvatureError.self) { try opt.step(parameters: &w, gradient: g) }
    #expect(w == before.0 && opt.stepCount == before.1 && opt.base.stepCount == before.2)
    var bad = g
    bad[17] = .nan
    #expect(throws: CurvatureError.self) { try opt.step(parameters: &w, gradient: bad) }
    #expect(w == before.0 && opt.stepCount == before.1)
  }

  /// A projected optimizer's checkpoint keeps the precision of its basis; an unknown precision
  /// is refused and leaves the optimizer unchanged.
  @Test(arguments: [BasisPrecision.half, .int8])
  func checkpointKeepsThePrecision(precision: BasisPrecision) throws {
    let basis = try Self.orthonormal(p: 500, k: 3, seed: 9).withPrecision(precision)
    var opt = SGD(learningRate: 0.1).projected(.bulk, basis: basis)
    var rng = SeededGenerator(seed: 10)
    var w = rng.gaussianVector(count: 500)
    try opt.step(parameters: &w, gradient: rng.gaussianVector(count: 500))
    let state = opt.snapshot()
    var restored = SGD(learningRate: 0.1).projected(.bulk)
    try restored.restore(state)
    #expect(restored.projection.basis == basis)
    let g = rng.gaussianVector(count: 500)
    var w1 = w
    var w2 = w
    try opt.step(parameters: &w1, gradient: g)
    try restored.step(parameters: &w2, gradient: g)
    #expect(w1 == w2)
    var broken = state
    broken.strings["basis.precision"] = "quarter"
    var untouched = SGD(learningRate: 0.1).projected(.dominant)
    #expect(throws: CurvatureError.self) { try untouched.restore(broken) }
    #expect(untouched.projection.basis == nil && untouched.projection.mode == .dominant)
  }
}
