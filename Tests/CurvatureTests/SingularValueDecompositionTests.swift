import Testing

@testable import Curvature

@Suite struct SingularValueDecompositionTests {
  /// A (row-major m×n) from U diag(σ) Vᵀ with random orthonormal U, V.
  static func construct(_ sigma: [Double], rows m: Int, columns n: Int, seed: UInt64) -> [Double] {
    let u = Dense.randomOrthogonal(m, seed: seed)
    let v = Dense.randomOrthogonal(n, seed: seed + 1)
    var a = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        for l in 0..<sigma.count { s += u[l * m + i] * sigma[l] * v[l * n + j] }
        a[i * n + j] = s
      }
    }
    return a
  }

  static func reconstructionError(_ a: [Double], _ svd: SingularValueDecomposition) -> Double {
    let (m, n) = (svd.rows, svd.columns)
    var worst = 0.0
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        for l in 0..<svd.singularValues.count {
          s += svd.leftVectors[l * m + i] * svd.singularValues[l] * svd.rightVectors[l * n + j]
        }
        worst = max(worst, abs(s - a[i * n + j]))
      }
    }
    return worst
  }

  @Test func recoversKnownFactorizations() throws {
    for (m, n) in [(7, 4), (4, 7), (12, 12), (30, 5)] {
      let r = min(m, n)
      let sigma = (0..<r).map { 5 / Double($0 + 1) }
      let a = Self.construct(sigma, rows: m, columns: n, seed: UInt64(m * 100 + n))
      let svd = try SingularValueDecomposition(a, rows: m, columns: n)
      #expect(svd.singularValues.count == r)
      for i in 0..<r { #expect(abs(svd.singularValues[i] - sigma[i]) <= 1e-14 * 5 * 4) }
      #expect(Self.reconstructionError(a, svd) <= 1e-13)
      #expect(Dense.orthogonality(svd.leftVectors, rows: m, columns: r) <= 1e-13)
      #expect(Dense.orthogonality(svd.rightVectors, rows: n, columns: r) <= 1e-13)
    }
  }

  @Test func closedFormSmallCases() throws {
    // [[3, 0], [4, 5]] has singular values √45 and √5.
    let svd = try SingularValueDecomposition([3, 0, 4, 5], rows: 2, columns: 2)
    #expect(abs(svd.singularValues[0] - 45.0.squareRoot()) <= 1e-14)
    #expect(abs(svd.singularValues[1] - 5.0.squareRoot()) <= 1e-14)
    let one = try SingularValueDecomposition([-2], rows: 1, columns: 1)
    #expect(one.singularValues == [2])
    #expect(one.leftVectors[0] * one.rightVectors[0] == -1)
    // A row vector: σ = ‖x‖, v = x/‖x‖.
    let row = try SingularValueDecomposition([3, 4], rows: 1, columns: 2)
    #expect(abs(row.singularValues[0] - 5) <= 1e-15)
    #expect(abs(abs(row.rightVectors[0]) - 0.6) <= 1e-15)
    let empty = try SingularValueDecomposition([], rows: 0, columns: 3)
    #expect(empty.singularValues.isEmpty)
  }

  @Test func rankDeficientAndZeroKeepOrthonormalVectors() throws {
    let a = Self.construct([2, 1, 0, 0], rows: 6, columns: 4, seed: 3)
    let svd = try SingularValueDecomposition(a, rows: 6, columns: 4)
    #expect(abs(svd.singularValues[0] - 2) <= 1e-14 && abs(svd.singularValues[1] - 1) <= 1e-14)
    #expect(svd.singularValues[2] <= 1e-14 && svd.singularValues[3] <= 1e-14)
    #expect(Dense.orthogonality(svd.leftVectors, rows: 6, columns: 4) <= 1e-13)
    #expect(Dense.orthogonality(svd.rightVectors, rows: 4, columns: 4) <= 1e-13)
    #expect(Self.reconstructionError(a, svd) <= 1e-13)
    let zero = try SingularValueDecomposition(Array(repeating: 0, count: 15), rows: 5, columns: 3)
    #expect(zero.singularValues == [0, 0, 0])
    #expect(Dense.orthogonality(zero.leftVectors, rows: 5, columns: 3) <= 1e-15)
    // Repeated singular values (an orthonormal-column matrix): all exactly 1 to round-off.
    let q = Dense.randomOrthogonal(5, seed: 9)
    var cols = [Double](repeating: 0, count: 15)  // row-major 5×3 from the first 3 columns
    for i in 0..<5 { for j in 0..<3 { cols[i * 3 + j] = q[j * 5 + i] } }
    let iso = try SingularValueDecomposition(cols, rows: 5, columns: 3)
    for s in iso.singularValues { #expect(abs(s - 1) <= 1e-15 * 4) }
  }

  @Test func agreesWithEigenvaluesOfTheGramMatrix() throws {
    var rng = SeededGenerator(seed: 21)
    let (m, n) = (9, 6)
    let a = (0..<(m * n)).map { _ in rng.nextGaussian() }
    var gram = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n { for k in 0..<m { gram[i * n + j] += a[k * n + i] * a[k * n + j] } }
    }
    let eig = SymmetricEigensolver.jacobi(gram, order: n)
    let svd = try SingularValueDecomposition(a, rows: m, columns: n)
    for i in 0..<n {
      #expect(abs(svd.singularValues[i] * svd.singularValues[i] - eig.values[i]) <= 1e-12)
    }
  }

  @Test func rejectsBadInput() {
    #expect(throws: CurvatureError.dimensionMismatch(name: "matrix", expected: 6, actual: 5)) {
      try SingularValueDecomposition([1, 2, 3, 4, 5], rows: 2, columns: 3)
    }
    #expect(throws: CurvatureError.nonFinite(name: "matrix", index: 1)) {
      try SingularValueDecomposition([1, .infinity], rows: 1, columns: 2)
    }
    #expect(throws: CurvatureError.self) {
      try SingularValueDecomposition([], rows: -1, columns: 0)
    }
    #expect(throws: CurvatureError.self) {
      try SingularValueDecomposition([], rows: Int.max, columns: 3)
    }
  }
}
