import Testing

@testable import Curvature

@Suite struct SubspaceProjectionTests {
  static func setup(p: Int = 64, k: Int = 5, seed: UInt64 = 31) throws -> (
    Basis, [Float], [[Float]]
  ) {
    var rng = SeededGenerator(seed: seed)
    let basis = try Basis(
      orthonormalizing: (0..<k).map { _ in rng.gaussianVector(count: p) }, dimension: p)
    return (basis, rng.gaussianVector(count: p), (0..<5).map { _ in rng.gaussianVector(count: p) })
  }

  /// α U Uᵀx + β (x − U Uᵀx) in Double from the basis entries.
  static func reference(_ basis: Basis, _ x: [Float], _ a: Double, _ b: Double) -> [Double] {
    let p = basis.dimension
    var dom = [Double](repeating: 0, count: p)
    for j in 0..<basis.count {
      let u = basis.column(j)
      var c = 0.0
      for i in 0..<p { c += Double(u[i]) * Double(x[i]) }
      for i in 0..<p { dom[i] += c * Double(u[i]) }
    }
    return (0..<p).map { a * dom[$0] + b * (Double(x[$0]) - dom[$0]) }
  }

  @Test(arguments: [(1.0, 0.0), (0.0, 1.0), (0.3, 1.7), (2.0, 0.5)])
  func applyMatchesDenseReference(a: Double, b: Double) throws {
    let (basis, x, _) = try Self.setup()
    let proj = SubspaceProjection(
      mode: .interpolated(dominant: Float(a), bulk: Float(b)), basis: basis)
    var out = [Float](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { xp in
      out.withUnsafeMutableBufferPointer { proj.apply(xp, into: $0, step: 0) }
    }
    let ref = Self.reference(basis, x, a, b)
    for i in 0..<x.count { #expect(abs(Double(out[i]) - ref[i]) < 2e-6) }
  }

  /// Runs `steps` steps of `opt` from `w0` and returns the parameters.
  static func run<O: Optimizer>(_ opt: O, _ w0: [Float], _ gs: [[Float]]) throws -> [Float] {
    var o = opt
    var w = w0
    for g in gs { try o.step(parameters: &w, gradient: g) }
    return w
  }

  @Test func interpolatedCornersAreExactlySGDDomAndBulk() throws {
    let (basis, w0, gs) = try Self.setup()
    let sgd = SGD(learningRate: 0.1, momentum: 0.9)
    let full = try Self.run(sgd, w0, gs)
    #expect(
      try Self.run(sgd.projected(.interpolated(dominant: 1, bulk: 1), basis: basis), w0, gs) == full
    )
    #expect(try Self.run(sgd.projected(.full, basis: basis), w0, gs) == full)
    for placement in [SubspaceProjection.Placement.gradient, .update] {
      let dom = try Self.run(sgd.projected(.dominant, placement: placement, basis: basis), w0, gs)
      let bulk = try Self.run(sgd.projected(.bulk, placement: placement, basis: basis), w0, gs)
      #expect(
        try Self.run(
          sgd.projected(.interpolated(dominant: 1, bulk: 0), placement: placement, basis: basis),
          w0, gs) == dom)
      #expect(
        try Self.run(
          sgd.projected(.interpolated(dominant: 0, bulk: 1), placement: placement, basis: basis),
          w0, gs) == bulk)
      #expect(dom != full && bulk != full)
    }
    // Dom-SGD moves only inside span(U); Bulk-SGD only orthogonally to it.
    let dom = try Self.run(SGD(learningRate: 0.1).projected(.dominant, basis: basis), w0, gs)
    let bulk = try Self.run(SGD(learningRate: 0.1).projected(.bulk, basis: basis), w0, gs)
    let dDom = zip(dom, w0).map { $0 - $1 }
    let dBulk = zip(bulk, w0).map { $0 - $1 }
    let dSum = zip(dDom, dBulk).map { $0 + $1 }
    let sgdStep = zip(try Self.run(SGD(learningRate: 0.1), w0, gs), w0).map { $0 - $1 }
    for i in 0..<w0.count { #expect(abs(dSum[i] - sgdStep[i]) < 1e-5) }
    for c in basis.coefficients(of: dBulk) { #expect(abs(c) < 1e-5) }
    let bulkOfDom = basis.projectBulk(dDom)
    #expect(Kernels.norm(bulkOfDom) < 1e-5)
  }

  @Test func updatePlacementProjectsTheBaseUpdate() throws {
    // With momentum, projecting Δw differs from projecting g; check Δw against a reference
    // built from an unprojected twin optimizer.
    let (basis, w0, gs) = try Self.setup()
    var projected = Adam(learningRate: 0.01).projected(.bulk, placement: .update, basis: basis)
    var twin = Adam(learningRate: 0.01)
    var w = w0
    for g in gs {
      let before = w
      try projected.step(parameters: &w, gradient: g)
      var u = [Float](repeating: 0, count: w.count)
      before.withUnsafeBufferPointer { wp in
        g.withUnsafeBufferPointer { gp in
          u.withUnsafeMutableBufferPointer {
            twin.computeUpdate(gradient: gp, parameters: wp, into: $0)
          }
        }
      }
      let ref = Self.reference(basis, u, 0, 1)
      for i in 0..<w.count { #expect(abs(Double(w[i] - before[i]) - ref[i]) < 1e-6) }
    }
  }

  @Test func scheduleRampsTheWeights() {
    let s = SubspaceProjection.Schedule(from: (1, 1), to: (0, 1), startStep: 10, endStep: 20)
    #expect(s.weights(at: 0) == (1, 1))
    #expect(s.weights(at: 15) == (0.5, 1))
    #expect(s.weights(at: 25) == (0, 1))
  }

  @Test func badInputThrowsAndLeavesStateUnchanged() throws {
    let (basis, w0, gs) = try Self.setup(p: 8, k: 3)
    var opt = SGD(learningRate: 0.1, momentum: 0.9).projected(.bulk, basis: basis)
    var w = w0
    try opt.step(parameters: &w, gradient: gs[0])
    let saved = opt.snapshot()
    let wSaved = w
    _ = opt.updateProjection { $0.mode = .interpolated(dominant: -0.1, bulk: 1) }
    #expect(
      throws: CurvatureError.outOfRange(
        name: "dominant weight α", value: Double(Float(-0.1)), range: "[0, 10]")
    ) {
      try opt.step(parameters: &w, gradient: gs[1])
    }
    _ = opt.updateProjection { $0.mode = .interpolated(dominant: 1, bulk: .nan) }
    #expect(throws: CurvatureError.self) { try opt.step(parameters: &w, gradient: gs[1]) }
    _ = opt.updateProjection {
      $0.mode = .bulk
      $0.basis = try! Basis(
        orthonormalizing: (0..<8).map { j in (0..<8).map { $0 == j ? Float(1) : 0 } }, dimension: 8)
    }
    #expect(opt.projection.basis?.count == 8)
    #expect(throws: CurvatureError.outOfRange(name: "k", value: 8, range: "[0, 7]")) {
      try opt.step(parameters: &w, gradient: gs[1])
    }
    _ = opt.updateProjection { $0.basis = try! Basis(orthonormalizing: [[1, 0, 0]], dimension: 3) }
    #expect(throws: CurvatureError.dimensionMismatch(name: "basis", expected: 8, actual: 3)) {
      try opt.step(parameters: &w, gradient: gs[1])
    }
    #expect(w == wSaved)
    #expect(opt.stepCount == 1 && opt.base.velocity == saved.arrays["base.velocity"])
    var restored = SGD(learningRate: 1).projected(.full)
    try restored.restore(saved)
    #expect(restored.projection.mode == .bulk && restored.projection.basis == basis)
    #expect(restored.snapshot() == saved)
  }
}
