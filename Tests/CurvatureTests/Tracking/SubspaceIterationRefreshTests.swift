import Testing

@testable import Curvature

@Suite struct SubspaceIterationRefreshTests {
  /// The exact top-5 eigenvectors of the fixture, each perturbed by noise of relative size
  /// `noise`, orthonormalised.
  private func noisyTopBasis(_ fx: QuadraticFixture, noise: Double, seed: UInt64) throws -> Basis {
    var rng = SeededGenerator(seed: seed)
    return try Basis(
      orthonormalizing: (0..<5).map { j in
        zip(
          fx.q[j],
          rng.gaussianVector(count: fx.p, standardDeviation: noise / Double(fx.p).squareRoot())
        )
        .map { Float($0) + $1 }
      }, dimension: fx.p)
  }

  private func hessianOperator(_ fx: QuadraticFixture) throws -> ObjectiveHessian {
    try ObjectiveHessian(
      objective: fx.objective, at: [Float](repeating: 0, count: fx.p), samples: .all(fx.n))
  }

  /// Reported pairs are the Ritz pairs of the start basis (checked in Double against a dense
  /// H), and the returned basis spans H·U: one power step, for k products.
  @Test func oneStepReturnsTheRitzPairsAndThePowerStep() throws {
    let fx = try QuadraticFixture(functional: 0.2)
    let u = try noisyTopBasis(fx, noise: 0.3, seed: 3)
    let r = try DominantSubspaceTracker.subspaceIteration(
      op: try hessianOperator(fx), start: u, k: 5, tolerance: 1e-3)
    #expect(r.productCount == 5 && r.vectors.count == 5)
    // T = UᵀHU in Double and its eigenpairs.
    let hu = (0..<5).map { fx.hessian(u.column($0)) }
    var t = [Double](repeating: 0, count: 25)
    for i in 0..<5 {
      for j in 0..<5 {
        t[i * 5 + j] = zip(u.column(i), hu[j]).reduce(0) { $0 + Double($1.0) * $1.1 }
      }
    }
    for i in 0..<5 { for j in 0..<i { t[i * 5 + j] = 0.5 * (t[i * 5 + j] + t[j * 5 + i]) } }
    for i in 0..<5 { for j in (i + 1)..<5 { t[i * 5 + j] = t[j * 5 + i] } }
    let e = try SymmetricEigensolver.decompose(t, order: 5)
    for i in 0..<5 {
      #expect(abs(r.eigenvalues[i] - e.values[i]) <= 1e-5 * abs(e.values[i]))
      // x = U s, residual ‖Hx − θx‖ with H x = (HU) s.
      var res = 0.0
      for l in 0..<fx.p {
        var x = 0.0
        var hx = 0.0
        for j in 0..<5 {
          x += Double(u.column(j)[l]) * e.vectors[i * 5 + j]
          hx += hu[j][l] * e.vectors[i * 5 + j]
        }
        res += (hx - e.values[i] * x) * (hx - e.values[i] * x)
      }
      #expect(abs(r.residuals[i] - res.squareRoot()) <= 1e-4 * (1 + res.squareRoot()))
      #expect(r.converged[i] == (r.residuals[i] <= 1e-3 * abs(r.eigenvalues[i])))
    }
    // The basis is orthonormal.
    for i in 0..<5 {
      for j in 0..<5 {
        let d = zip(r.vectors.column(i), r.vectors.column(j)).reduce(0.0) {
          $0 + Double($1.0) * Double($1.1)
        }
        #expect(abs(d - (i == j ? 1 : 0)) <= 1e-5)
      }
    }
    // span(result) = span(HU).
    let powered = try Basis(orthonormalizing: hu.map { $0.map(Float.init) }, dimension: fx.p)
    #expect(try SubspaceMetrics.overlap(r.vectors, powered) > 1 - 1e-5)
  }

  /// Repeated steps at fixed parameters converge at the power-iteration rate: the squared
  /// sines of the angles to the top-5 subspace shrink by about (λ₆/λ₅)² = 10⁻² per step.
  @Test func repeatedStepsConvergeAtThePowerRate() throws {
    let fx = try QuadraticFixture()
    let exact = try Basis(
      orthonormalizing: (0..<5).map { fx.q[$0].map(Float.init) }, dimension: fx.p)
    var u = try noisyTopBasis(fx, noise: 0.5, seed: 4)
    var deficit = 1 - (try SubspaceMetrics.overlap(u, exact))
    #expect(deficit > 1e-2)
    let op = try hessianOperator(fx)
    var last: EigenResult? = nil
    for _ in 0..<3 {
      let r = try DominantSubspaceTracker.subspaceIteration(
        op: op, start: u, k: 5, tolerance: 1e-4)
      let next = 1 - (try SubspaceMetrics.overlap(r.vectors, exact))
      #expect(next <= max(0.05 * deficit, 1e-6))
      deficit = next
      u = r.vectors
      last = r
    }
    #expect(op.productCount == 15)
    for i in 0..<5 {
      #expect(abs(last!.eigenvalues[i] - fx.eigenvalues[i]) <= 1e-3 * fx.eigenvalues[i])
    }
  }

  /// With averaging β the step is a power step on (1 − β) H + β U Λ Uᵀ: the returned basis
  /// spans (1 − β) HU + β UΛ (checked against a dense computation), still for k products, and
  /// the reported Ritz values are those of that mixed operator on span(U).
  @Test func averagingMixesThePreviousEstimate() throws {
    let fx = try QuadraticFixture(functional: 0.2)
    var rng = SeededGenerator(seed: 77)  // not the fixture's seed (its eigenvectors)
    let u = try Basis(
      orthonormalizing: (0..<5).map { _ in rng.gaussianVector(count: fx.p) }, dimension: fx.p)
    let previous: [Double] = [1, 3, 5, 7, 30]
    let beta = 0.6
    let op = try hessianOperator(fx)
    let r = try DominantSubspaceTracker.subspaceIteration(
      op: op, start: u, k: 5, tolerance: 1e-3, previousEigenvalues: previous, averaging: beta)
    #expect(r.productCount == 5 && r.vectors.count == 5)
    let mixed = (0..<5).map { j in
      zip(fx.hessian(u.column(j)), u.column(j)).map {
        Float((1 - beta) * $0 + beta * previous[j] * Double($1))
      }
    }
    let expected = try Basis(orthonormalizing: mixed, dimension: fx.p)
    #expect(try SubspaceMetrics.overlap(r.vectors, expected) > 1 - 1e-5)
    // Without averaging the span differs (a random U is far from invariant).
    let plain = try DominantSubspaceTracker.subspaceIteration(
      op: op, start: u, k: 5, tolerance: 1e-3)
    let gap = 1 - (try SubspaceMetrics.overlap(plain.vectors, expected))
    #expect(gap > 0.1, "gap \(gap)")
    // Trace of T = UᵀYU: (1 − β) tr(UᵀHU) + β Σ λ_prev.
    let plainTrace = plain.eigenvalues.reduce(0, +)
    let mixedTrace = r.eigenvalues.reduce(0, +)
    #expect(abs(mixedTrace - ((1 - beta) * plainTrace + beta * 46)) <= 1e-4 * abs(mixedTrace))
  }

  /// The tracker refuses an averaging weight outside [0, 1).
  @Test func trackerRejectsAveragingOutOfRange() throws {
    let fx = try QuadraticFixture()
    for bad in [-0.1, 1, .nan] {
      #expect(throws: CurvatureError.self) {
        try DominantSubspaceTracker(
          objective: fx.objective,
          configuration: .init(
            k: 3, hessianBatch: .full, refresh: .every(1), method: .subspaceIteration,
            refreshAveraging: bad))
      }
    }
  }

  /// In a tracker: the first refresh is Lanczos, later ones cost exactly k products.
  @Test func trackerRefreshesWithKProducts() throws {
    let fx = try QuadraticFixture()
    let tracker = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(
        k: 5, hessianBatch: .full, refresh: .every(1),
        lanczos: LanczosConfiguration(tolerance: 1e-4, maxProducts: 400),
        method: .subspaceIteration))
    var rng = SeededGenerator(seed: 6)
    let w = rng.gaussianVector(count: fx.p)
    let first = try tracker.refresh(parameters: w)
    let second = try tracker.refresh(parameters: w)
    #expect(first.productCount > 5)
    #expect(second.productCount == 5)
    #expect(second.allConverged && second.overlapWithPrevious! > 1 - 1e-5)
    for i in 0..<5 {
      #expect(abs(second.eigenvalues[i] - fx.eigenvalues[i]) <= 1e-4 * fx.eigenvalues[i])
    }
  }

  /// When H annihilates a direction of span(U), H X is rank-deficient: the step falls back on
  /// Gram–Schmidt and fills the basis back up with the Ritz vector of that direction, so the
  /// basis keeps k orthonormal columns (and the zero Ritz value is reported exactly).
  @Test func annihilatedDirectionIsFilledWithItsRitzVector() throws {
    let n = 40
    var diagonal = [Float](repeating: 0, count: n * n)
    for i in 0..<n where i != 5 { diagonal[i * n + i] = Float(40 - i) / 10 }
    let op = try DenseSymmetricOperator(matrix: diagonal, order: n)
    func unit(_ i: Int) -> [Float] { (0..<n).map { $0 == i ? 1 : 0 } }
    let u = try Basis(orthonormalizing: [unit(0), unit(5), unit(1)], dimension: n)
    let r = try DominantSubspaceTracker.subspaceIteration(op: op, start: u, k: 3, tolerance: 1e-6)
    #expect(r.vectors.count == 3)
    #expect(r.eigenvalues == [4, 3.9000000953674316, 0])
    #expect(r.residuals.allSatisfy { $0 <= 1e-6 })
    let expected = try Basis(orthonormalizing: [unit(0), unit(1), unit(5)], dimension: n)
    #expect(try SubspaceMetrics.overlap(r.vectors, expected) > 1 - 1e-6)
    for i in 0..<3 {
      for j in 0..<3 {
        let d = zip(r.vectors.column(i), r.vectors.column(j)).reduce(0.0) {
          $0 + Double($1.0) * Double($1.1)
        }
        #expect(abs(d - (i == j ? 1 : 0)) <= 1e-6)
      }
    }
  }
}
