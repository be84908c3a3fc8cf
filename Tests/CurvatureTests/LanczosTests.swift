import Foundation
import Testing

@testable import Curvature

@Suite struct LanczosTests {
  typealias S = SpectrumTestSupport

  @Test func laplacianTopEigenvalues() throws {
    let n = 200
    var a = [Float](repeating: 0, count: n * n)
    for i in 0..<n {
      a[i * n + i] = 2
      if i + 1 < n {
        a[i * n + i + 1] = -1
        a[(i + 1) * n + i] = -1
      }
    }
    let op = try DenseSymmetricOperator(matrix: a, order: n)
    let r = try Lanczos(configuration: .init(tolerance: 1e-5)).eigenpairs(of: op, count: 4)
    #expect(r.allConverged)
    for j in 1...4 {
      let exact = 2 - 2 * cos(Double(n + 1 - j) * Double.pi / Double(n + 1))
      #expect(abs(r.eigenvalues[j - 1] - exact) <= 1e-5 * exact)
    }
  }

  @Test func diagonalSpectrumLargestAndResidualsAreTrue() throws {
    let n = 1500
    var d = (0..<n).map { Float(1 + 0.001 * Double($0 % 997)) }
    let top: [Float] = [50, 40, 30, 20, 10, 9, 8, 7]
    for (i, x) in top.enumerated() { d[i * 37] = x }
    let op = S.diagonal(d)
    let r = try Lanczos(configuration: .init(tolerance: 1e-6)).eigenpairs(of: op, count: 8)
    #expect(r.allConverged)
    #expect(r.productCount == op.productCount)
    for i in 0..<8 {
      #expect(abs(r.eigenvalues[i] - Double(top[i])) <= 1e-5 * Double(top[i]))
      let res = try S.trueResidual(op, r.vectors.column(i), r.eigenvalues[i])
      #expect(abs(res - r.residuals[i]) <= 1e-6 * Double(top[i]) + 0.05 * r.residuals[i])
      #expect(r.residuals[i] <= 1e-6 * Double(top[i]))
    }
    #expect(r.vectors.orthogonalityError < 1e-5)
  }

  @Test func agreesWithDenseSolverOnRandomSymmetric() throws {
    let n = 120
    let a = Dense.randomSymmetric(n, seed: 7)
    let dense = try SymmetricEigensolver.decompose(a, order: n)
    let op = try DenseSymmetricOperator(matrix: a.map { Float($0) }, order: n)
    for target in EigenTarget.allCases {
      let k = 6
      let r = try Lanczos(configuration: .init(tolerance: 1e-5, target: target, seed: 3))
        .eigenpairs(of: op, count: k)
      #expect(r.allConverged)
      let idx = target == .largest ? Array(0..<k) : Array((n - k)..<n).reversed()
      for (i, j) in idx.enumerated() {
        #expect(abs(r.eigenvalues[i] - dense.values[j]) <= 1e-5 * abs(dense.values[j]))
      }
      // The exact top-k subspace (the gaps of a Wigner matrix edge are small but nonzero).
      let overlap = S.overlap(r.vectors, idx.map { dense.vector($0) })
      #expect(overlap >= 0.999)
    }
  }

  @Test func negativeEigenvaluesSmallestAndLargest() throws {
    let n = 150
    let low: [Double] = [-9, -7, -5, -4]
    var lambda = [Double](repeating: 0, count: n)
    for i in 0..<n { lambda[i] = i < 4 ? low[i] : Double(i) / Double(n) - 1 }
    let (m, _) = S.rotated(lambda, seed: 11)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let small = try Lanczos(configuration: .init(target: .smallest)).eigenpairs(of: op, count: 4)
    #expect(small.allConverged)
    for (i, x) in [-9.0, -7, -5, -4].enumerated() {
      #expect(abs(small.eigenvalues[i] - x) <= 1e-5 * abs(x))
    }
    let large = try Lanczos().eigenpairs(of: op, count: 2)
    #expect(large.allConverged)
    #expect(abs(large.eigenvalues[0] - lambda[n - 1]) <= 1e-5)
    #expect(abs(large.eigenvalues[1] - lambda[n - 2]) <= 1e-5)
  }

  @Test func clusteredTopEigenvalues() throws {
    let n = 400
    var lambda = (0..<n).map { Double($0) / Double(n) }
    for i in 0..<5 { lambda[i] = 10 - 0.01 * Double(i) }
    let (m, q) = S.rotated(lambda, seed: 5)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let r = try Lanczos(configuration: .init(tolerance: 1e-5)).eigenpairs(of: op, count: 5)
    #expect(r.allConverged)
    for i in 0..<5 { #expect(abs(r.eigenvalues[i] - lambda[i]) <= 1e-5 * lambda[i]) }
    let exact = (0..<5).map { Array(q[($0 * n)..<(($0 + 1) * n)]) }
    #expect(S.overlap(r.vectors, exact) >= 0.999)
  }

  @Test func repeatedTopEigenvalueIsFoundWithEveryCopy() throws {
    // λ = 5 with multiplicity 3 above a bulk in [0, 1].
    let n = 300
    var lambda = (0..<n).map { Double($0) / Double(n) }
    for i in 0..<3 { lambda[i] = 5 }
    lambda[3] = 3
    let (m, q) = S.rotated(lambda, seed: 9)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let r = try Lanczos(configuration: .init(tolerance: 1e-5)).eigenpairs(of: op, count: 4)
    #expect(r.allConverged)
    for (i, x) in [5.0, 5, 5, 3].enumerated() { #expect(abs(r.eigenvalues[i] - x) <= 1e-5 * x) }
    let exact = (0..<4).map { Array(q[($0 * n)..<(($0 + 1) * n)]) }
    #expect(S.overlap(r.vectors, exact) >= 0.999)
  }

  @Test func rankDeficientOperatorReportsZeroPairsAsUnconverged() throws {
    // Rank 4: eigenvalues 8, 6, 4, 2 and zeros.
    let n = 200
    var lambda = [Double](repeating: 0, count: n)
    for (i, x) in [8.0, 6, 4, 2].enumerated() { lambda[i] = x }
    let (m, _) = S.rotated(lambda, seed: 2)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let r = try Lanczos().eigenpairs(of: op, count: 4)
    #expect(r.allConverged)
    for (i, x) in [8.0, 6, 4, 2].enumerated() { #expect(abs(r.eigenvalues[i] - x) <= 1e-5 * x) }
    // A fifth pair has θ ≈ 0: the relative criterion cannot be met and the pair is flagged.
    let r5 = try Lanczos(configuration: .init(maxProducts: 60)).eigenpairs(of: op, count: 5)
    #expect(r5.converged[0..<4].allSatisfy { $0 })
    #expect(abs(r5.eigenvalues[4]) < 1e-5)
    #expect(r5.productCount <= 60)
  }

  @Test func budgetExhaustionIsReportedHonestly() throws {
    let n = 500
    let d = (0..<n).map { Float(1 + Double($0) / Double(n)) }  // no gap: slow convergence
    let op = S.diagonal(d)
    let r = try Lanczos(configuration: .init(tolerance: 1e-8, maxProducts: 25)).eigenpairs(
      of: op, count: 3)
    #expect(r.productCount <= 25)
    #expect(!r.allConverged)
    for i in 0..<3 {
      let res = try S.trueResidual(op, r.vectors.column(i), r.eigenvalues[i])
      #expect(abs(res - r.residuals[i]) <= 1e-6 + 0.05 * res)
      #expect(r.converged[i] == (r.residuals[i] <= 1e-8 * abs(r.eigenvalues[i])))
    }
  }

  @Test func warmStartAfterSmallPerturbationIsCheapAndCorrect() throws {
    let n = 400
    var lambda = (0..<n).map { Double($0) / Double(n) }
    for i in 0..<8 { lambda[i] = 1.4 - 0.05 * Double(i) }
    let (m0, q0) = S.rotated(lambda, seed: 21)
    // 1% relative Frobenius perturbation by a random symmetric matrix.
    let e = Dense.randomSymmetric(n, seed: 4)
    let f0 = (m0.reduce(0.0) { $0 + Double($1) * Double($1) }).squareRoot()
    let fe = (e.reduce(0.0) { $0 + $1 * $1 }).squareRoot()
    let m1 = (0..<(n * n)).map { m0[$0] + Float(0.01 * f0 / fe * e[$0]) }
    let op0 = try DenseSymmetricOperator(matrix: m0, order: n)
    let op1 = try DenseSymmetricOperator(matrix: m1, order: n)
    let solver = Lanczos(configuration: .init(tolerance: 1e-4))
    let first = try solver.eigenpairs(of: op0, count: 8)
    #expect(first.allConverged)
    let cold = try solver.eigenpairs(of: op1, count: 8)
    let warm = try solver.eigenpairs(of: op1, count: 8, warmStart: first.vectors)
    #expect(cold.allConverged && warm.allConverged)
    for i in 0..<8 {
      #expect(abs(cold.eigenvalues[i] - warm.eigenvalues[i]) <= 1e-6 * cold.eigenvalues[i])
    }
    // A random full-rank perturbation leaks the old subspace into the bulk by about 0.5%: the
    // warm start must filter that leakage out, which costs a few steps (see the benchmarks).
    #expect(warm.productCount < cold.productCount)
    // When the perturbation keeps the eigenvectors (eigenvalues drift by 1%), the old subspace
    // is invariant and a warm start from it needs about k products.
    let exact = try Basis(
      orthonormalizing: (0..<8).map { j in q0[(j * n)..<((j + 1) * n)].map { Float($0) } },
      dimension: n)
    let drift = lambda.enumerated().map { $0.offset < 8 ? $0.element * 1.01 : $0.element }
    let (m2, _) = S.rotated(drift, seed: 21)
    let op2 = try DenseSymmetricOperator(matrix: m2, order: n)
    let cold2 = try solver.eigenpairs(of: op2, count: 8)
    let warm2 = try solver.eigenpairs(of: op2, count: 8, warmStart: exact)
    #expect(cold2.allConverged && warm2.allConverged)
    for i in 0..<8 { #expect(abs(warm2.eigenvalues[i] - drift[i]) <= 1e-6 * drift[i]) }
    #expect(warm2.productCount * 3 <= cold2.productCount)
    #expect(warm2.productCount <= 2 * 8)
  }

  @Test func invalidInputsThrow() throws {
    let op = S.diagonal([1, 2, 3, 4])
    #expect(throws: CurvatureError.self) { try Lanczos().eigenpairs(of: op, count: 0) }
    #expect(throws: CurvatureError.self) { try Lanczos().eigenpairs(of: op, count: 4) }
    #expect(throws: CurvatureError.self) {
      try Lanczos(configuration: .init(tolerance: -1)).eigenpairs(of: op, count: 1)
    }
    #expect(throws: CurvatureError.self) {
      try Lanczos().eigenpairs(of: op, count: 1, warmStart: try Basis(dimension: 5))
    }
    let bad = ClosureOperator(dimension: 10) { v, out in for i in 0..<10 { out[i] = .nan } }
    #expect(throws: CurvatureError.self) { try Lanczos().eigenpairs(of: bad, count: 1) }
  }

  @Test func smallDimensionUsesWholeSpace() throws {
    let op = S.diagonal([1, 2, 3, 4, 5])
    let r = try Lanczos().eigenpairs(of: op, count: 4)
    #expect(r.allConverged)
    for (i, x) in [5.0, 4, 3, 2].enumerated() { #expect(abs(r.eigenvalues[i] - x) <= 1e-6 * x) }
  }
}
