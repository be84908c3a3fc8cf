import Testing

@testable import Curvature

@Suite struct BasisTests {
  @Test func orthonormalAndDropsDependentColumns() throws {
    var rng = SeededGenerator(seed: 2)
    let p = 1000
    let a = rng.gaussianVector(count: p)
    let b = rng.gaussianVector(count: p)
    let c = zip(a, b).map { $0 + 2 * $1 }  // dependent
    let basis = try Basis(orthonormalizing: [a, b, c], dimension: p)
    #expect(basis.count == 2)
    #expect(basis.orthogonalityError <= 1e-5)
  }

  @Test func projectionsSplitTheVector() throws {
    var rng = SeededGenerator(seed: 3)
    let p = 513
    let cols = (0..<5).map { _ in rng.gaussianVector(count: p) }
    let basis = try Basis(orthonormalizing: cols, dimension: p)
    let x = rng.gaussianVector(count: p)
    let dom = basis.projectDominant(x)
    let bulk = basis.projectBulk(x)
    for i in 0..<p { #expect(abs(dom[i] + bulk[i] - x[i]) < 1e-5) }
    // The bulk part is orthogonal to every column.
    for c in basis.coefficients(of: bulk) { #expect(abs(c) < 1e-4) }
  }

  @Test func rejectsNonFiniteColumns() {
    #expect(throws: CurvatureError.nonFinite(name: "columns[0]", index: 1)) {
      try Basis(orthonormalizing: [[1, .nan, 0]], dimension: 3)
    }
  }
}
