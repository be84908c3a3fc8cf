import Testing

@testable import Curvature

@Suite struct StabilizationEstimatorTests {
  let objective = LeastSquaresObjective(parameters: 12, samples: 40, outputs: 3, seed: 5)

  func parameters() -> [Float] {
    var g = SeededGenerator(seed: 9)
    return g.gaussianVector(count: 12, standardDeviation: 0.5)
  }

  /// The quadratic expansion is exact on a least-squares objective, so the closed form is the
  /// true Δ₂^(D); direct Monte Carlo must agree within 3 standard errors.
  @Test func closedFormMatchesDirectMonteCarloOnQuadratic() throws {
    let config = StabilizationConfiguration(
      sigma: 0.5, subspaceDimension: 4, probeCount: 20000, orderCount: 1, seed: 3,
      lanczos: LanczosConfiguration(tolerance: 1e-5, maxProducts: 200))
    let est = try StabilizationEstimator(configuration: config)
    let w = parameters()
    let grid = [6, 20]
    let gm = try est.curve(of: objective, at: w, sampleCounts: grid, method: .gaussianMoment)
    let direct = try est.curve(of: objective, at: w, sampleCounts: grid, method: .direct)
    let quad = try est.curve(of: objective, at: w, sampleCounts: grid, method: .quadratic)
    for i in grid.indices {
      let se = direct.standardError[i]
      #expect(se > 0)
      #expect(abs(gm.mean[i] - direct.mean[i]) <= 3 * se, "k = \(grid[i])")
      #expect(abs(gm.mean[i] - quad.mean[i]) <= 3 * quad.standardError[i], "k = \(grid[i])")
      // Discriminating: every σ-dependent term is far above the error bar.
      let inc = try est.subspaceIncrement(
        of: objective, at: w, order: est.sampleOrder(0, sampleCount: 40), sampleCount: grid[i])
      let e = inc.expansion
      let a = e.value
      let s2 = config.sigma * config.sigma
      #expect(abs(gm.mean[i] - a * a) > 10 * se)
      if i == 0 { #expect(abs(a * s2 * e.hessianTrace) > 5 * se) }
    }
  }

  /// a, ‖c‖, tr B and tr B² against a dense computation with a dense eigendecomposition.
  @Test func expansionMatchesDenseComputation() throws {
    let config = StabilizationConfiguration(
      sigma: 0.1, subspaceDimension: 3,
      lanczos: LanczosConfiguration(tolerance: 1e-6, maxProducts: 200))
    let est = try StabilizationEstimator(configuration: config)
    let w = parameters()
    let order = est.sampleOrder(1, sampleCount: 40)
    let k = 15
    let inc = try est.subspaceIncrement(of: objective, at: w, order: order, sampleCount: k)
    let first = Array(order[0..<k])
    let next = Array(order[0...k])
    let p = 12
    let a = objective.denseLoss(w, next) - objective.denseLoss(w, first)
    #expect(abs(inc.expansion.value - a) <= 1e-12 * max(1, abs(a)))
    let eig = try SymmetricEigensolver.decompose(objective.denseHessian(first), order: p)
    let u = (0..<3).map { eig.vector($0) }
    for i in 0..<3 { #expect(abs(inc.eigenvalues[i] - eig.values[i]) <= 1e-4 * eig.values[0]) }
    let g1 = objective.denseGradient(w, next)
    let g0 = objective.denseGradient(w, first)
    let dg = zip(g1, g0).map { $0 - $1 }
    let c = u.map { ui in zip(ui, dg).reduce(0) { $0 + $1.0 * $1.1 } }
    let h1 = objective.denseHessian(next)
    let h0 = objective.denseHessian(first)
    let dh = zip(h1, h0).map { $0 - $1 }
    var b = [Double](repeating: 0, count: 9)
    for i in 0..<3 {
      for j in 0..<3 {
        var s = 0.0
        for r in 0..<p { for t in 0..<p { s += u[i][r] * dh[r * p + t] * u[j][t] } }
        b[i * 3 + j] = s
      }
    }
    let dense = try IncrementExpansion(value: a, gradient: c, hessian: b)
    let cn = c.map { $0 * $0 }.reduce(0, +)
    let cnEst = inc.expansion.gradient.map { $0 * $0 }.reduce(0, +)
    #expect(abs(cnEst - cn) <= 1e-4 * cn)
    #expect(
      abs(inc.expansion.hessianTrace - dense.hessianTrace) <= 1e-4
        * dense.hessianSquaredTrace.squareRoot())
    #expect(
      abs(inc.expansion.hessianSquaredTrace - dense.hessianSquaredTrace) <= 1e-4
        * dense.hessianSquaredTrace)
    let s = config.sigma
    #expect(
      abs(inc.expansion.gaussianMoment(sigma: s) - dense.gaussianMoment(sigma: s)) <= 1e-4
        * dense.gaussianMoment(sigma: s))
  }

  /// Full-space Δ₂ on the quadratic equals the closed form with U = I_P (exact), within 3 SE.
  @Test func fullSpaceMatchesDenseClosedForm() throws {
    let config = StabilizationConfiguration(sigma: 0.3, probeCount: 20000, orderCount: 1, seed: 8)
    let est = try StabilizationEstimator(configuration: config)
    let w = parameters()
    let grid = [5, 30]
    let curve = try est.curve(of: objective, at: w, sampleCounts: grid, method: .fullSpace)
    let order = est.sampleOrder(0, sampleCount: 40)
    for (i, k) in grid.enumerated() {
      let first = Array(order[0..<k])
      let next = Array(order[0...k])
      let a = objective.denseLoss(w, next) - objective.denseLoss(w, first)
      let c = zip(objective.denseGradient(w, next), objective.denseGradient(w, first)).map {
        $0 - $1
      }
      let b = zip(objective.denseHessian(next), objective.denseHessian(first)).map { $0 - $1 }
      let exact = try IncrementExpansion(value: a, gradient: c, hessian: b).gaussianMoment(
        sigma: 0.3)
      #expect(abs(curve.mean[i] - exact) <= 3 * curve.standardError[i], "k = \(k)")
      #expect(abs(exact - a * a) > 10 * curve.standardError[i])
    }
  }

  /// Δ₁ against means subtracted in Double, for every grid point and order.
  @Test func pointwiseMatchesDenseLosses() throws {
    let est = try StabilizationEstimator(configuration: .init(orderCount: 3))
    let w = parameters()
    let grid = [1, 2, 7, 39]
    let curve = try est.curve(of: objective, at: w, sampleCounts: grid, method: .pointwise)
    for r in 0..<3 {
      let order = est.sampleOrder(r, sampleCount: 40)
      for (i, k) in grid.enumerated() {
        let d = abs(
          objective.denseLoss(w, Array(order[0...k])) - objective.denseLoss(w, Array(order[0..<k])))
        #expect(abs(curve.perOrder[r][i] - d) <= 1e-12)
      }
    }
    for i in grid.indices {
      let m = (0..<3).map { curve.perOrder[$0][i] }.reduce(0, +) / 3
      #expect(abs(curve.mean[i] - m) <= 1e-15)
    }
    #expect(curve.sampleLossCount == 3 * 40)
  }

  @Test func unconvergedSubspacesAreReported() throws {
    let w = parameters()
    let tight = try StabilizationEstimator(
      configuration: .init(
        subspaceDimension: 2, lanczos: LanczosConfiguration(tolerance: 1e-4, maxProducts: 200)))
    #expect(
      try tight.curve(of: objective, at: w, sampleCounts: [10, 20], method: .gaussianMoment)
        .unconvergedSubspaces == 0)
    let starved = try StabilizationEstimator(
      configuration: .init(
        subspaceDimension: 2, orderCount: 2,
        lanczos: LanczosConfiguration(tolerance: 1e-9, maxProducts: 3)))
    #expect(
      try starved.curve(of: objective, at: w, sampleCounts: [10, 20], method: .gaussianMoment)
        .unconvergedSubspaces == 4)
  }

  @Test func deterministicGivenSeed() throws {
    let est = try StabilizationEstimator(
      configuration: .init(sigma: 0.2, subspaceDimension: 2, probeCount: 16, orderCount: 2, seed: 4)
    )
    let w = parameters()
    for m in StabilizationMethod.allCases {
      let a = try est.curve(of: objective, at: w, sampleCounts: [3, 9], method: m)
      let b = try est.curve(of: objective, at: w, sampleCounts: [3, 9], method: m)
      #expect(a == b)
    }
  }

  @Test func validatesInputs() throws {
    let w = parameters()
    #expect(throws: CurvatureError.outOfRange(name: "sigma", value: 0, range: "(0, ∞)")) {
      try StabilizationEstimator(configuration: .init(sigma: 0))
    }
    #expect(throws: CurvatureError.self) {
      try StabilizationEstimator(configuration: .init(sigma: .nan))
    }
    #expect(throws: CurvatureError.self) {
      try StabilizationEstimator(configuration: .init(subspaceDimension: 0))
    }
    #expect(throws: CurvatureError.self) {
      try StabilizationEstimator(configuration: .init(probeCount: 0))
    }
    #expect(throws: CurvatureError.self) {
      try StabilizationEstimator(configuration: .init(orderCount: 0))
    }
    let est = try StabilizationEstimator(configuration: .init(subspaceDimension: 12))
    #expect(
      throws: CurvatureError.outOfRange(name: "subspaceDimension", value: 12, range: "[1, 11]")
    ) {
      try est.curve(of: objective, at: w, sampleCounts: [4], method: .gaussianMoment)
    }
    // D is irrelevant for the full-space and pointwise methods.
    _ = try est.curve(of: objective, at: w, sampleCounts: [4], method: .pointwise)
    let ok = try StabilizationEstimator()
    #expect(
      throws: CurvatureError.invalidArgument(name: "sampleCounts", reason: "the grid is empty")
    ) {
      try ok.curve(of: objective, at: w, sampleCounts: [], method: .pointwise)
    }
    #expect(
      throws: CurvatureError.invalidArgument(
        name: "sampleCounts", reason: "not strictly increasing at index 1")
    ) {
      try ok.curve(of: objective, at: w, sampleCounts: [8, 8], method: .pointwise)
    }
    #expect(throws: CurvatureError.outOfRange(name: "sampleCounts[1]", value: 40, range: "[1, 39]"))
    {
      try ok.curve(of: objective, at: w, sampleCounts: [8, 40], method: .pointwise)
    }
    #expect(throws: CurvatureError.outOfRange(name: "sampleCounts[0]", value: 0, range: "[1, 39]"))
    {
      try ok.curve(of: objective, at: w, sampleCounts: [0], method: .pointwise)
    }
    #expect(throws: CurvatureError.dimensionMismatch(name: "parameters", expected: 12, actual: 11))
    {
      try ok.curve(of: objective, at: Array(w.dropLast()), sampleCounts: [3], method: .pointwise)
    }
    var bad = w
    bad[2] = .nan
    #expect(throws: CurvatureError.nonFinite(name: "parameters", index: 2)) {
      try ok.curve(of: objective, at: bad, sampleCounts: [3], method: .pointwise)
    }
    #expect(throws: CurvatureError.self) {
      try ok.subspaceIncrement(of: objective, at: w, order: [0, 1, 1, 2], sampleCount: 2)
    }
  }
}
