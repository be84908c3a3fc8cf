import Testing

@testable import Curvature

@Suite struct RandomAffineSubspaceTests {
  @Test func restrictedHessianIsAtHA() throws {
    let fx = try QuadraticFixture(p: 30, functional: 0.3)
    var rng = SeededGenerator(seed: 1)
    let w0 = rng.gaussianVector(count: 30)
    let sub = try RandomAffineSubspace(objective: fx.objective, origin: w0, dimension: 6, seed: 4)
    // Columns have unit norm.
    for j in 0..<6 {
      let col = Array(sub.directions[(j * 30)..<((j + 1) * 30)])
      #expect(abs(Kernels.norm(col) - 1) < 1e-6)
    }
    let z = rng.gaussianVector(count: 6)
    let hd = try sub.restrictedHessian(at: z, samples: .all(fx.n))
    // Dense AᵀHA.
    for i in 0..<6 {
      let ai = Array(sub.directions[(i * 30)..<((i + 1) * 30)])
      for j in 0..<6 {
        let aj = Array(sub.directions[(j * 30)..<((j + 1) * 30)])
        let haj = fx.hessian(aj)
        let ref = (0..<30).reduce(0.0) { $0 + Double(ai[$1]) * haj[$1] }
        #expect(abs(hd[i * 6 + j] - ref) < 1e-4 * max(1, abs(ref)))
      }
    }
    var tr = 0.0
    for i in 0..<6 { tr += hd[i * 6 + i] }
    let fro = hd.reduce(0) { $0 + $1 * $1 }.squareRoot()
    #expect(abs(try sub.goldilocksMeasure(at: z, samples: .all(fx.n)) - tr / fro) < 1e-12)
    // Gradient is Aᵀ∇L(w₀ + Az) and the loss matches.
    let w = try sub.parameters(for: z)
    let (l, g) = try fx.objective.lossAndGradient(at: w, samples: .all(fx.n))
    let (lz, gz) = try sub.lossAndGradient(at: z, samples: .all(fx.n))
    #expect(l == lz)
    for j in 0..<6 {
      let a = Array(sub.directions[(j * 30)..<((j + 1) * 30)])
      #expect(abs(Double(gz[j]) - Kernels.dot(a, g)) < 1e-5)
    }
  }

  @Test func trainsZWithAnyOptimizer() throws {
    let fx = try QuadraticFixture(p: 30)
    let sub = try RandomAffineSubspace(
      objective: fx.objective, origin: [Float](repeating: 0, count: 30), dimension: 10, seed: 2)
    var z = [Float](repeating: 0, count: 10)
    var opt = Adam(learningRate: 0.05)
    let start = try sub.loss(at: z, samples: .all(fx.n))
    for _ in 0..<100 {
      let (_, g) = try sub.lossAndGradient(at: z, samples: .all(fx.n))
      try opt.step(parameters: &z, gradient: g)
    }
    #expect(try sub.loss(at: z, samples: .all(fx.n)) < start - 0.1)
    #expect(throws: CurvatureError.self) {
      try RandomAffineSubspace(objective: fx.objective, origin: [0], dimension: 3, seed: 1)
    }
    #expect(throws: CurvatureError.self) {
      try RandomAffineSubspace(
        objective: fx.objective, origin: [Float](repeating: 0, count: 30), dimension: 31, seed: 1)
    }
  }
}
