import Foundation
import Testing

@testable import Curvature

/// Bad input at the public API: every case throws a typed error and changes nothing.
@Suite struct PublicAPIInputTests {
  @Test func denseOperatorRejectsOrdersWithoutAMatrix() {
    #expect(throws: CurvatureError.self) { try DenseSymmetricOperator(matrix: [1], order: 1 << 32) }
    #expect(throws: CurvatureError.self) { try DenseSymmetricOperator(matrix: [1], order: -1) }
    #expect(throws: CurvatureError.self) { try DenseSymmetricOperator(matrix: [], order: 0) }
    #expect(throws: CurvatureError.self) {
      try DenseSymmetricOperator(matrix: [1], order: Int.max)
    }
  }

  @Test func eigensolverHandlesEntriesNearTheLargestDouble() throws {
    let one = try SymmetricEigensolver.decompose([1e308], order: 1)
    #expect(one.values == [1e308])
    let two = try SymmetricEigensolver.decompose([1e308, 0, 0, 1e308], order: 2)
    #expect(two.values == [1e308, 1e308])
    // Off-diagonal entries at the edge: eigenvalues of [[a, b], [b, a]] are a ± b.
    let a = 1e308
    let b = 0.5e308
    let three = try SymmetricEigensolver.decompose([a, b, b, a], order: 2)
    #expect(abs(three.values[0] - (a + b)) <= 1e-12 * (a + b))
    #expect(abs(three.values[1] - (a - b)) <= 1e-12 * (a + b))
    let finite = three.values.filter { $0.isFinite }
    #expect(finite.count == 2)
  }

  @Test func checkpointWithANegativeStepIsRefusedBeforeWriting() throws {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("negative-step-\(UUID().uuidString).ckpt").path
    let c = Checkpoint(step: -1, parameters: [1, 2], optimizer: SGD(learningRate: 0.1).snapshot())
    #expect(throws: CurvatureError.self) { try c.write(to: path) }
    #expect(!FileManager.default.fileExists(atPath: path), "nothing reaches the file system")
    #expect(throws: CurvatureError.self) { try c.encoded() }
  }

  @Test func basisNeedsAPositiveDimension() {
    #expect(throws: CurvatureError.self) { try Basis(dimension: 0) }
    #expect(throws: CurvatureError.self) { try Basis(dimension: -1) }
    #expect(throws: CurvatureError.self) { try Basis(orthonormalizing: [], dimension: 0) }
    #expect(throws: Never.self) { try Basis(dimension: 1) }
  }

  @Test func sgdRefusesAStepThatOverflowsAndKeepsItsState() throws {
    var sgd = SGD(learningRate: 1e30)
    var w: [Float] = [1, -2, 3]
    let g: [Float] = [1e10, 0, -1]
    #expect(throws: CurvatureError.self) { try sgd.step(parameters: &w, gradient: g) }
    #expect(w == [1, -2, 3], "parameters unchanged")
    #expect(sgd.stepCount == 0)
    // With momentum, the velocity enters the bound, and a refused step leaves it alone.
    var heavy = SGD(learningRate: 10, momentum: 0.9)
    var u: [Float] = [1, 1]
    try heavy.step(parameters: &u, gradient: [1e-3, 1e-3])
    let before = (u, heavy.snapshot())
    #expect(throws: CurvatureError.self) {
      try heavy.step(parameters: &u, gradient: [1e38, 0])
    }
    #expect(u == before.0)
    #expect(heavy.snapshot() == before.1)
    // A finite step at the edge of the range still goes through.
    var edge = SGD(learningRate: 1)
    var x: [Float] = [Float.greatestFiniteMagnitude / 2]
    try edge.step(parameters: &x, gradient: [Float.greatestFiniteMagnitude / 4])
    #expect(x[0] == Float.greatestFiniteMagnitude / 4)
  }

  @Test func largestMagnitudeMatchesAScalarScan() {
    var rng = SeededGenerator(seed: 5)
    // Lengths around the 32-element vector step, and past the parallel threshold (2²⁰) with a
    // ragged last chunk.
    for n in [0, 1, 31, 32, 33, 100, 1000, (1 << 20) + 37] {
      var x = (0..<n).map { _ in Float(rng.nextGaussian()) * 7 }
      if n > 40 {
        // The largest magnitude negative, in a vector tail; -0 and subnormals elsewhere.
        x[n - 3] = -1000
        x[1] = -0.0
        x[2] = -Float.leastNonzeroMagnitude
      }
      let fast = x.withUnsafeBufferPointer { Validate.largestMagnitude($0) }
      #expect(fast == x.map { abs($0) }.max() ?? 0)
      let positions = n > 40 ? [0, 17, n / 2, (1 << 16) + 5, n - 1] : [n / 2]
      for bad in [Float.nan, -Float.nan, .signalingNaN, .infinity, -.infinity] where n > 0 {
        for i in positions where i < n {
          var y = x
          y[i] = bad
          #expect(y.withUnsafeBufferPointer { Validate.largestMagnitude($0) } == nil, "\(n) \(i)")
        }
      }
    }
    // The extremes of the finite range.
    let edge: [Float] = [0, -.greatestFiniteMagnitude, 1, .leastNormalMagnitude]
    #expect(
      edge.withUnsafeBufferPointer { Validate.largestMagnitude($0) } == .greatestFiniteMagnitude)
  }
}
