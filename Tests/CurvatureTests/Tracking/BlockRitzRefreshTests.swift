import Testing

@testable import Curvature

@Suite struct BlockRitzRefreshTests {
  @Test func warmBlockRefreshFindsTheOutliersWithExactResiduals() throws {
    let fx = try QuadraticFixture(functional: 0.2)
    let tracker = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(
        k: 5, hessianBatch: .full, refresh: .every(1),
        lanczos: LanczosConfiguration(tolerance: 1e-4, maxProducts: 400),
        method: .blockRitz(iterations: 2)))
    var rng = SeededGenerator(seed: 8)
    let w = rng.gaussianVector(count: fx.p)
    let first = try tracker.refresh(parameters: w)  // Lanczos (no previous basis)
    let second = try tracker.refresh(parameters: w)  // block Rayleigh–Ritz
    // At most 2k per step; directions already in span(U) are dropped (no product), and a
    // converged first step ends the refresh.
    #expect(second.productCount >= 5 && second.productCount <= 2 * 5)
    #expect(second.allConverged && second.overlapWithPrevious! > 0.9999)
    for i in 0..<5 {
      #expect(abs(second.eigenvalues[i] - first.eigenvalues[i]) < 1e-4 * abs(first.eigenvalues[i]))
    }
    // Residuals reported from HQ agree with explicit dense residuals.
    let basis = tracker.basis!
    for i in 0..<5 {
      let u = basis.column(i)
      let hu = fx.hessian(u)
      var r = 0.0
      for l in 0..<fx.p {
        r +=
          (hu[l] - second.eigenvalues[i] * Double(u[l]))
          * (hu[l] - second.eigenvalues[i] * Double(u[l]))
      }
      #expect(abs(r.squareRoot() - second.residuals[i]) < 1e-4)
    }
  }

  @Test func oneStepImprovesAPerturbedBasis() throws {
    let fx = try QuadraticFixture()
    // The exact top-5 eigenvectors, perturbed by noise of relative size 0.1.
    var rng = SeededGenerator(seed: 9)
    let exact = try Basis(
      orthonormalizing: (0..<5).map { fx.q[$0].map(Float.init) }, dimension: fx.p)
    let noisy = try Basis(
      orthonormalizing: (0..<5).map { j in
        zip(
          fx.q[j],
          rng.gaussianVector(count: fx.p, standardDeviation: 0.1 / Double(fx.p).squareRoot())
        )
        .map { Float($0) + $1 }
      }, dimension: fx.p)
    let op = try ObjectiveHessian(
      objective: fx.objective, at: [Float](repeating: 0, count: fx.p), samples: .all(fx.n))
    let r = try DominantSubspaceTracker.blockRitz(
      op: op, start: noisy, k: 5, iterations: 1, tolerance: 1e-3)
    let before = 1 - (try SubspaceMetrics.overlap(noisy, exact))
    let after = 1 - (try SubspaceMetrics.overlap(r.vectors, exact))
    #expect(after < 0.01 * before)
    #expect(r.productCount == 10)
    #expect(throws: CurvatureError.self) {
      try DominantSubspaceTracker(
        objective: fx.objective,
        configuration: .init(
          k: 2, hessianBatch: .full, refresh: .every(1), method: .blockRitz(iterations: 0)))
    }
  }
}
