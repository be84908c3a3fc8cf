import Foundation
import Testing

@testable import Curvature

@Suite struct FiniteDifferenceHessianTests {
  /// Mean softmax cross-entropy over N samples; W is C×d row-major. Exact HVP in closed form:
  /// H·V = (1/N) Σₙ (pₙ∘zₙ − pₙ(pₙᵀzₙ)) xₙᵀ with zₙ = V xₙ.
  struct Softmax {
    let x: [[Double]]
    let y: [Int]
    let c: Int
    let d: Int

    func probabilities(_ w: UnsafeBufferPointer<Float>, _ xn: [Double]) -> [Double] {
      var z = (0..<c).map { k in (0..<d).reduce(0.0) { $0 + Double(w[k * d + $1]) * xn[$1] } }
      let m = z.max()!
      z = z.map { exp($0 - m) }
      let s = z.reduce(0, +)
      return z.map { $0 / s }
    }

    func gradient(_ w: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>) {
      var acc = [Double](repeating: 0, count: c * d)
      for (xn, yn) in zip(x, y) {
        let p = probabilities(w, xn)
        for k in 0..<c { for j in 0..<d { acc[k * d + j] += (p[k] - (k == yn ? 1 : 0)) * xn[j] } }
      }
      for i in 0..<(c * d) { g[i] = Float(acc[i] / Double(x.count)) }
    }

    func hvp(_ w: [Float], _ v: [Float]) -> [Double] {
      var acc = [Double](repeating: 0, count: c * d)
      w.withUnsafeBufferPointer { wp in
        for xn in x {
          let p = probabilities(wp, xn)
          let z = (0..<c).map { k in (0..<d).reduce(0.0) { $0 + Double(v[k * d + $1]) * xn[$1] } }
          let pz = zip(p, z).reduce(0.0) { $0 + $1.0 * $1.1 }
          for k in 0..<c { for j in 0..<d { acc[k * d + j] += (p[k] * z[k] - p[k] * pz) * xn[j] } }
        }
      }
      return acc.map { $0 / Double(x.count) }
    }
  }

  @Test func quadraticIsExactUpToRounding() throws {
    let n = 30
    let (a, _) = SpectrumTestSupport.rotated((0..<n).map { 1 + Double($0) }, seed: 3)
    var rng = SeededGenerator(seed: 1)
    let w = rng.gaussianVector(count: n)
    let b = rng.gaussianVector(count: n)
    let op = try FiniteDifferenceHessian(parameters: w) { w, g in
      for i in 0..<n {
        var s: Float = 0
        for j in 0..<n { s += a[i * n + j] * w[j] }
        g[i] = s - b[i]
      }
    }
    let dense = try DenseSymmetricOperator(matrix: a, order: n)
    for _ in 0..<3 {
      let v = rng.gaussianVector(count: n)
      let fd = try op.apply(v)
      let exact = try dense.apply(v)
      let err = zip(fd, exact).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        .squareRoot()
      #expect(err <= 2e-4 * Kernels.norm(exact))
    }
    #expect(op.productCount == 3 && op.gradientEvaluations == 6)
    #expect(
      abs(
        op.step(directionNorm: 2) - FiniteDifferenceHessian.defaultRelativeStep
          * (1 + Kernels.norm(w)) / 2) < 1e-12)
  }

  @Test func softmaxRegressionMatchesClosedForm() throws {
    var rng = SeededGenerator(seed: 5)
    let d = 5
    let c = 3
    let x = (0..<40).map { _ in (0..<d).map { _ in rng.nextGaussian() } }
    let y = (0..<40).map { _ in rng.nextInt(below: c) }
    let model = Softmax(x: x, y: y, c: c, d: d)
    let w = rng.gaussianVector(count: c * d, standardDeviation: 0.5)
    let op = try FiniteDifferenceHessian(parameters: w) { model.gradient($0, $1) }
    for _ in 0..<4 {
      let v = rng.gaussianVector(count: c * d)
      let fd = try op.apply(v)
      let exact = model.hvp(w, v)
      let norm = (exact.reduce(0) { $0 + $1 * $1 }).squareRoot()
      let err = zip(fd, exact).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }
        .squareRoot()
      #expect(err <= 2e-3 * norm)
    }
    // Its top eigenpair through Lanczos agrees with the dense closed-form Hessian.
    let p = c * d
    var h = [Double](repeating: 0, count: p * p)
    for j in 0..<p {
      var e = [Float](repeating: 0, count: p)
      e[j] = 1
      let col = model.hvp(w, e)
      for i in 0..<p { h[i * p + j] = col[i] }
    }
    let dense = try SymmetricEigensolver.decompose(h, order: p)
    let r = try Lanczos(configuration: .init(tolerance: 1e-3)).eigenpairs(of: op, count: 1)
    #expect(abs(r.eigenvalues[0] - dense.values[0]) <= 3e-3 * dense.values[0])
  }

  @Test func rejectsBadInput() {
    #expect(throws: CurvatureError.self) { try FiniteDifferenceHessian(parameters: []) { _, _ in } }
    #expect(throws: CurvatureError.self) {
      try FiniteDifferenceHessian(parameters: [.nan]) { _, _ in }
    }
    #expect(throws: CurvatureError.self) {
      try FiniteDifferenceHessian(parameters: [1], relativeStep: 0) { _, _ in }
    }
  }
}
