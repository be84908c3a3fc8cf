import Foundation
import Testing

@testable import Curvature

@Suite struct KrylovSchurWorkspaceTests {
  typealias S = SpectrumTestSupport

  /// A workspace on a random symmetric operator after a block start, Lanczos steps and a restart,
  /// so T is full and Z has one or several columns.
  private static func workspace(blockStart: Int, steps: Int, restartKeep: Int?) throws
    -> KrylovSchurWorkspace
  {
    let n = 90
    let a = Dense.randomSymmetric(n, seed: 5)
    let op = try DenseSymmetricOperator(matrix: a.map { Float($0) }, order: n)
    let ws = KrylovSchurWorkspace(operator: op, capacity: 40)
    var rng = SeededGenerator(seed: 9)
    var start: [Float] = []
    for _ in 0..<blockStart { start += rng.gaussianVector(count: n) }
    #expect(try ws.append(candidates: start, count: blockStart) == blockStart)
    func step() throws {
      if ws.zCount == 1 {
        #expect(try ws.appendResidualDirection() == 1)
      } else {
        let r = try ws.ritz(target: .largest)
        let d = ws.directions(r, wanted: 4, tolerance: 1e-6, count: 1, rng: &rng)
        #expect(try ws.append(candidates: d, count: 1) == 1)
      }
    }
    for _ in 0..<steps { try step() }
    if let keep = restartKeep {
      ws.restart(try ws.ritz(target: .largest), keep: keep)
      for _ in 0..<3 { try step() }
    }
    return ws
  }

  @Test(arguments: [(1, 20, nil), (1, 30, 12), (4, 10, nil), (3, 20, 9)] as [(Int, Int, Int?)])
  func ritzEstimatesAgreeWithTheFullRitzPairs(block: Int, steps: Int, keep: Int?) throws {
    let ws = try Self.workspace(blockStart: block, steps: steps, restartKeep: keep)
    for target in EigenTarget.allCases {
      let full = try ws.ritz(target: target)
      let cheap = try ws.ritzEstimates(target: target)
      #expect(cheap.order == ws.count)
      #expect(cheap.vectors.isEmpty)
      let norm = full.values.map(abs).max()!
      for i in 0..<ws.count { #expect(abs(cheap.values[i] - full.values[i]) <= 1e-13 * norm) }
      let scale = full.estimates.max()! + 1e-300
      for i in 0..<ws.count {
        #expect(abs(cheap.estimates[i] - full.estimates[i]) <= 1e-10 * scale)
      }
    }
  }

  @Test func residualStepKeepsTheBasisOrthonormalAndTheRelationExact() throws {
    let ws = try Self.workspace(blockStart: 1, steps: 35, restartKeep: 20)
    let p = ws.p
    let m = ws.count
    // VᵀV = I and H V = V T + Z C, column by column, to single-precision round-off.
    var worstOrthogonality = 0.0
    for i in 0..<m {
      for j in 0...i {
        var dot = 0.0
        for r in 0..<p { dot += Double(ws.v[i * p + r]) * Double(ws.v[j * p + r]) }
        worstOrthogonality = max(worstOrthogonality, abs(dot - (i == j ? 1 : 0)))
      }
    }
    #expect(worstOrthogonality < 1e-5)
    var worstRelation = 0.0
    for j in 0..<m {
      for r in 0..<p {
        var x = Double(ws.w[j * p + r])
        for i in 0..<m { x -= Double(ws.v[i * p + r]) * ws.t[i * ws.capacity + j] }
        for s in 0..<ws.zCount { x -= Double(ws.z[s * p + r]) * ws.c[s * ws.capacity + j] }
        worstRelation = max(worstRelation, abs(x))
      }
    }
    #expect(worstRelation < 1e-4)
  }
}
