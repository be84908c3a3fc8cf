import Testing

@testable import Curvature

@Suite struct KernelsTests {
  @Test func dotMatchesDoubleReference() {
    var rng = SeededGenerator(seed: 1)
    let n = 100_003
    let x = rng.gaussianVector(count: n)
    let y = rng.gaussianVector(count: n)
    var ref = 0.0
    for i in 0..<n { ref += Double(x[i]) * Double(y[i]) }
    let d = Kernels.dot(x, y)
    let scale = Kernels.norm(x) * Kernels.norm(y)
    #expect(abs(d - ref) <= 1e-6 * scale)
  }

  @Test func axpyAndScale() {
    var y: [Float] = (0..<19).map { Float($0) }
    let x: [Float] = (0..<19).map { _ in 1 }
    Kernels.axpy(2, x, &y)
    #expect(y == (0..<19).map { Float($0) + 2 })
    Kernels.scale(0.5, &y)
    #expect(y[18] == 10)
  }
}
