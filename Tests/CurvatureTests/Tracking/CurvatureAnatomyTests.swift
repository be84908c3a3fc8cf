import Testing

@testable import Curvature

@Suite struct CurvatureAnatomyTests {
  @Test func sharesMatchTheDenseAnswer() throws {
    let fx = try QuadraticFixture(functional: 0.5)
    let tracker = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(
        k: 5, hessianBatch: .full, refresh: .every(1),
        lanczos: LanczosConfiguration(tolerance: 1e-5, maxProducts: 400)))
    var rng = SeededGenerator(seed: 6)
    let w = rng.gaussianVector(count: fx.p)
    try tracker.refresh(parameters: w)
    let a = try tracker.anatomy(parameters: w, maskSize: 8, probes: 400, seed: 3)
    let basis = tracker.basis!
    // Dense references.
    var hIn = 0.0
    var gIn = 0.0
    for j in 0..<5 {
      let u = basis.column(j)
      let hu = fx.hessian(u)
      hIn += (0..<fx.p).reduce(0.0) { $0 + Double(u[$1]) * hu[$1] }
      for i in 0..<fx.p {
        for l in 0..<fx.p { gIn += Double(u[i]) * fx.g[i * fx.p + l] * Double(u[l]) }
      }
    }
    let trG = (0..<fx.p).reduce(0.0) { $0 + fx.g[$1 * fx.p + $1] }
    let trH = trG + (0..<fx.p).reduce(0.0) { $0 + fx.f[$1 * fx.p + $1] }
    #expect(abs(a.hessianInSubspace - hIn) < 1e-3 * abs(hIn))
    #expect(abs(a.gaussNewtonInSubspace! - gIn) < 1e-3 * abs(gIn))
    #expect(abs(a.functionalInSubspace! - (hIn - gIn)) < 1e-2)
    // Hutchinson: standard error √(2 Σ_{i≠j} A_ij² / S); allow 4 standard errors.
    var off = 0.0
    for i in 0..<fx.p {
      for j in 0..<fx.p where i != j { off += pow2(fx.g[i * fx.p + j] + fx.f[i * fx.p + j]) }
    }
    let se = (2 * off / 400).squareRoot()
    #expect(abs(a.hessianTrace - trH) < 4 * se)
    // Mask overlap against a direct count.
    let mask = (0..<fx.p).sorted { abs(w[$0]) > abs(w[$1]) }.prefix(8)
    var m = 0.0
    for j in 0..<5 {
      let u = basis.column(j)
      for i in mask { m += Double(u[i]) * Double(u[i]) }
    }
    #expect(abs(a.maskOverlap - m / 5) < 1e-6)
    #expect(a.maskChanceLevel == 0.2 && a.productCount == 2 * (5 + 400))
  }

  @Test func requiresABasisAndValidArguments() throws {
    let fx = try QuadraticFixture()
    let tracker = try DominantSubspaceTracker(
      objective: fx.objective, configuration: .init(k: 2, hessianBatch: .full, refresh: .every(1)))
    let w = [Float](repeating: 1, count: fx.p)
    #expect(throws: CurvatureError.self) { try tracker.anatomy(parameters: w, maskSize: 3) }
    try tracker.refresh(parameters: w)
    #expect(throws: CurvatureError.self) { try tracker.anatomy(parameters: w, maskSize: 0) }
    #expect(throws: CurvatureError.self) {
      try tracker.anatomy(parameters: w, maskSize: 3, probes: 0)
    }
  }
}

private func pow2(_ x: Double) -> Double { x * x }
