import Foundation
import Testing

@testable import Curvature

@Suite struct BlockLanczosTests {
  typealias S = SpectrumTestSupport

  /// Counts block calls to check that products arrive as blocks.
  final class BlockCounting: HessianOperator {
    let base: DenseSymmetricOperator
    var dimension: Int { base.dimension }
    private(set) var productCount = 0
    private(set) var blockCalls: [Int] = []
    init(_ base: DenseSymmetricOperator) { self.base = base }
    func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
      productCount += 1
      blockCalls.append(1)
      base.apply(v, into: out)
    }
    func apply(
      block v: UnsafeBufferPointer<Float>, count: Int, into out: UnsafeMutableBufferPointer<Float>
    ) {
      productCount += count
      blockCalls.append(count)
      let p = dimension
      for j in 0..<count {
        base.apply(
          UnsafeBufferPointer(rebasing: v[(j * p)..<((j + 1) * p)]),
          into: UnsafeMutableBufferPointer(rebasing: out[(j * p)..<((j + 1) * p)]))
      }
    }
  }

  @Test func repeatedEigenvalueWithBlocks() throws {
    let n = 250
    var lambda = (0..<n).map { Double($0) / Double(n) }
    for i in 0..<3 { lambda[i] = 4 }
    lambda[3] = 3
    lambda[4] = 2.5
    let (m, q) = S.rotated(lambda, seed: 13)
    let op = BlockCounting(try DenseSymmetricOperator(matrix: m, order: n))
    let r = try BlockLanczos(configuration: .init(tolerance: 1e-5), blockSize: 3).eigenpairs(
      of: op, count: 5)
    #expect(r.allConverged)
    for i in 0..<5 { #expect(abs(r.eigenvalues[i] - lambda[i]) <= 1e-5 * lambda[i]) }
    let exact = (0..<5).map { Array(q[($0 * n)..<(($0 + 1) * n)]) }
    #expect(S.overlap(r.vectors, exact) >= 0.999)
    #expect(op.blockCalls.allSatisfy { $0 <= 3 })
    #expect(op.blockCalls.filter { $0 == 3 }.count >= op.blockCalls.count - 2)
    #expect(r.productCount == op.productCount)
  }

  @Test func agreesWithDenseOnSmallestAndWarmStarts() throws {
    let n = 100
    let a = Dense.randomSymmetric(n, seed: 17)
    let dense = try SymmetricEigensolver.decompose(a, order: n)
    let op = try DenseSymmetricOperator(matrix: a.map { Float($0) }, order: n)
    let solver = BlockLanczos(
      configuration: .init(tolerance: 1e-5, target: .smallest), blockSize: 2)
    let r = try solver.eigenpairs(of: op, count: 4)
    #expect(r.allConverged)
    for i in 0..<4 {
      #expect(
        abs(r.eigenvalues[i] - dense.values[n - 1 - i]) <= 1e-5 * abs(dense.values[n - 1 - i]))
    }
    let warm = try solver.eigenpairs(of: op, count: 4, warmStart: r.vectors)
    #expect(warm.allConverged)
    #expect(warm.productCount < r.productCount / 2)
    #expect(throws: CurvatureError.self) {
      try BlockLanczos(blockSize: 0).eigenpairs(of: op, count: 2)
    }
  }
}
