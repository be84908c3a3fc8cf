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

  /// A workspace on a random symmetric operator of `order` after a start block of `block`
  /// Gaussian columns.
  private static func blockStart(
    order n: Int, seed: UInt64, capacity: Int, block: Int, rng: inout SeededGenerator
  ) throws -> KrylovSchurWorkspace {
    let a = Dense.randomSymmetric(n, seed: seed)
    let op = try DenseSymmetricOperator(matrix: a.map { Float($0) }, order: n)
    let ws = KrylovSchurWorkspace(operator: op, capacity: capacity)
    var start: [Float] = []
    for _ in 0..<block { start += rng.gaussianVector(count: n) }
    #expect(try ws.append(candidates: start, count: block) == block)
    return ws
  }

  /// Checks VᵀV = I, ZᵀZ = I, ZᵀV = 0 and H V = V T + Z C to single-precision round-off.
  private static func expectInvariants(_ ws: KrylovSchurWorkspace) {
    let p = ws.p
    func dot(_ x: [Float], _ i: Int, _ y: [Float], _ j: Int) -> Double {
      var s = 0.0
      for r in 0..<p { s += Double(x[i * p + r]) * Double(y[j * p + r]) }
      return s
    }
    var worst = 0.0
    for i in 0..<ws.count {
      for j in 0...i { worst = max(worst, abs(dot(ws.v, i, ws.v, j) - (i == j ? 1 : 0))) }
    }
    for i in 0..<ws.zCount {
      for j in 0...i { worst = max(worst, abs(dot(ws.z, i, ws.z, j) - (i == j ? 1 : 0))) }
      for j in 0..<ws.count { worst = max(worst, abs(dot(ws.z, i, ws.v, j))) }
    }
    #expect(worst < 1e-5)
    var worstRelation = 0.0
    for j in 0..<ws.count {
      for r in 0..<p {
        var x = Double(ws.w[j * p + r])
        for i in 0..<ws.count { x -= Double(ws.v[i * p + r]) * ws.t[i * ws.capacity + j] }
        for s in 0..<ws.zCount { x -= Double(ws.z[s * p + r]) * ws.c[s * ws.capacity + j] }
        worstRelation = max(worstRelation, abs(x))
      }
    }
    #expect(worstRelation < 1e-4)
  }

  /// Block steps that take their directions from Z (as ``BlockLanczos`` does) keep Z as wide as
  /// the block, across a restart, with every invariant intact. Before, the rounding left of the
  /// directions a step had taken was normalised back into Z: Z grew by about one column per
  /// block column (past 100 columns at P ≈ 10⁶) and ZᵀV reached 0.96.
  @Test func blockStepsKeepTheResidualSpaceAsWideAsTheBlock() throws {
    var rng = SeededGenerator(seed: 10)
    let ws = try Self.blockStart(order: 120, seed: 6, capacity: 30, block: 4, rng: &rng)
    func step() throws {
      let r = try ws.ritz(target: .largest)
      let d = ws.directions(r, wanted: 6, tolerance: 1e-9, count: 4, rng: &rng)
      #expect(try ws.append(candidates: d, count: 4) == 4)
      #expect(ws.zCount == 4)
    }
    for _ in 0..<6 { try step() }
    ws.restart(try ws.ritz(target: .largest), keep: 10)
    for _ in 0..<4 { try step() }
    Self.expectInvariants(ws)
  }

  /// A restart that keeps fewer pairs than Z has columns narrows Z to the range of C (Z W,
  /// Wᵀ C): Z C, and so the relation, are unchanged.
  @Test func restartNarrowsTheResidualSpaceToTheBasis() throws {
    var rng = SeededGenerator(seed: 11)
    let ws = try Self.blockStart(order: 60, seed: 7, capacity: 20, block: 8, rng: &rng)
    #expect(ws.zCount == 8)
    let r = try ws.ritz(target: .largest)
    // Z C y for the kept Ritz vectors y, before the restart.
    let p = ws.p
    func residuals() -> [Double] {
      var out = [Double](repeating: 0, count: p * ws.count)
      for j in 0..<ws.count {
        for s in 0..<ws.zCount {
          let cs = ws.c[s * ws.capacity + j]
          for i in 0..<p { out[j * p + i] += Double(ws.z[s * p + i]) * cs }
        }
      }
      return out
    }
    var before = [Double](repeating: 0, count: p * 3)
    let full = residuals()
    for i in 0..<3 {
      for j in 0..<8 {
        let y = r.vectors[i * 8 + j]
        for e in 0..<p { before[i * p + e] += y * full[j * p + e] }
      }
    }
    ws.restart(r, keep: 3)
    #expect(ws.zCount == 3 && ws.count == 3)
    let after = residuals()
    let scale = before.map(abs).max()!
    for e in 0..<(p * 3) { #expect(abs(after[e] - before[e]) <= 1e-5 * scale) }
    Self.expectInvariants(ws)
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
