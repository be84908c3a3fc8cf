import Foundation
import Testing

@testable import Curvature

@Suite struct SubspaceMetricsTests {
  /// U = Q[:, 0..<k] and V with vᵢ = cos θᵢ qᵢ + sin θᵢ q_{k+i} (+ `extra` columns orthogonal to
  /// both), for a random orthogonal Q of order p.
  static func pair(angles: [Double], p: Int, extra: Int = 0) throws -> (Basis, Basis) {
    let q = Dense.randomOrthogonal(p, seed: 17)
    let k = angles.count
    func column(_ j: Int) -> [Double] { Array(q[(j * p)..<((j + 1) * p)]) }
    let u = (0..<k).map { column($0).map(Float.init) }
    var v = (0..<k).map { i in
      zip(column(i), column(k + i)).map { Float(cos(angles[i]) * $0 + sin(angles[i]) * $1) }
    }
    for j in 0..<extra { v.append(column(2 * k + j).map(Float.init)) }
    return (
      try Basis(orthonormalizing: u, dimension: p), try Basis(orthonormalizing: v, dimension: p)
    )
  }

  @Test func principalAnglesOfAConstructedPair() throws {
    let angles = [0, 1e-4, 0.3, 1.2, Double.pi / 2]
    let (u, v) = try Self.pair(angles: angles, p: 40)
    let computed = try SubspaceMetrics.principalAngles(u, v)
    #expect(computed.count == 5)
    for i in 0..<5 { #expect(abs(computed[i] - angles[i]) <= 1e-6) }
    // Symmetric in its arguments, and different k gives min(k_U, k_V) angles.
    let swapped = try SubspaceMetrics.principalAngles(v, u)
    for i in 0..<5 { #expect(abs(swapped[i] - computed[i]) <= 1e-8) }  // Float bases
    let (u2, v2) = try Self.pair(angles: angles, p: 40, extra: 3)
    let mixed = try SubspaceMetrics.principalAngles(u2, v2)
    #expect(mixed.count == 5)
    for i in 0..<5 { #expect(abs(mixed[i] - angles[i]) <= 1e-6) }
  }

  @Test func identicalFloatSubspacesHaveTinyAngles() throws {
    var rng = SeededGenerator(seed: 4)
    let cols = (0..<6).map { _ in rng.gaussianVector(count: 300) }
    let u = try Basis(orthonormalizing: cols, dimension: 300)
    // The same span, different basis: reversed order of generators.
    let v = try Basis(orthonormalizing: cols.reversed(), dimension: 300)
    for a in try SubspaceMetrics.principalAngles(u, v) { #expect(a <= 1e-5) }
    #expect(abs(try SubspaceMetrics.overlap(u, v) - 1) <= 1e-5)
  }

  @Test func overlapMatchesTheCosines() throws {
    let angles = [0.1, 0.5, 0.9, 1.3]
    let (u, v) = try Self.pair(angles: angles, p: 30)
    let expected = angles.reduce(0) { $0 + cos($1) * cos($1) } / 4
    #expect(abs(try SubspaceMetrics.overlap(u, v) - expected) <= 1e-6)
    // With an extra orthogonal column in V the sum is divided by max(k) = 6.
    let (u2, v2) = try Self.pair(angles: angles, p: 30, extra: 2)
    #expect(abs(try SubspaceMetrics.overlap(u2, v2) - expected * 4 / 6) <= 1e-6)
    #expect(try SubspaceMetrics.overlapChanceLevel(dimension: 30, 4, 6) == 4.0 / 30)
  }

  @Test func maskOverlapByHand() throws {
    let s = Float(0.5).squareRoot()
    let u = try Basis(orthonormalizing: [[s, s, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]], dimension: 6)
    #expect(abs(try SubspaceMetrics.maskOverlap(u, mask: [2, 0]) - 0.75) <= 1e-7)
    #expect(abs(try SubspaceMetrics.maskOverlap(u, mask: [1]) - 0.25) <= 1e-7)
    #expect(try SubspaceMetrics.maskOverlap(u, mask: [3, 4, 5]) == 0)
    #expect(abs(try SubspaceMetrics.maskOverlap(u, mask: Array(0..<6)) - 1) <= 1e-7)
    #expect(try SubspaceMetrics.maskChanceLevel(maskSize: 3, dimension: 6) == 0.5)
  }

  @Test func randomMasksAverageTheChanceLevel() throws {
    var rng = SeededGenerator(seed: 8)
    let p = 400
    let m = 40
    let u = try Basis(
      orthonormalizing: (0..<5).map { _ in rng.gaussianVector(count: p) }, dimension: p)
    var total = 0.0
    let trials = 300
    for _ in 0..<trials {
      total += try SubspaceMetrics.maskOverlap(u, mask: Array(rng.permutation(count: p).prefix(m)))
    }
    // Mean of 300 draws: m/P = 0.1 with standard error ≈ 0.002.
    #expect(abs(total / Double(trials) - 0.1) <= 0.01)
  }

  @Test func largestMagnitudeSelection() throws {
    #expect(
      try SubspaceMetrics.largestMagnitudeIndices([0.5, -3, 2, -2, 0.1], count: 3) == [1, 2, 3])
    #expect(try SubspaceMetrics.largestMagnitudeIndices([1, -1, 1], count: 2) == [0, 1])
    #expect(try SubspaceMetrics.largestMagnitudeIndices([1, 2], count: 0) == [])
    var rng = SeededGenerator(seed: 12)
    let w = rng.gaussianVector(count: 1000)
    let reference = (0..<1000).sorted { abs(w[$0]) > abs(w[$1]) }.prefix(37).sorted()
    #expect(try SubspaceMetrics.largestMagnitudeIndices(w, count: 37) == reference)
    #expect(try SubspaceMetrics.largestMagnitudeIndices(w, count: 1000) == Array(0..<1000))
  }

  @Test func gradientAlignmentByHand() throws {
    let u = try Basis(orthonormalizing: [[1, 0, 0, 0], [0, 1, 0, 0]], dimension: 4)
    let g: [Float] = [3, 0, 4, 0]
    #expect(abs(try SubspaceMetrics.gradientAlignment(g, basis: u) - 0.6) <= 1e-12)
    #expect(abs(try SubspaceMetrics.topFraction(g, basis: u) - 0.36) <= 1e-12)
    #expect(SubspaceMetrics.topFractionChanceLevel(basis: u) == 0.5)
    // Random gradients average f_top ≈ k/P.
    var rng = SeededGenerator(seed: 31)
    let p = 200
    let basis = try Basis(
      orthonormalizing: (0..<10).map { _ in rng.gaussianVector(count: p) }, dimension: p)
    var total = 0.0
    for _ in 0..<200 {
      total += try SubspaceMetrics.topFraction(rng.gaussianVector(count: p), basis: basis)
    }
    #expect(abs(total / 200 - 0.05) <= 0.005)
  }

  @Test func portableArctangentMatchesLibm() {
    for (y, x) in [(0.0, 1.0), (1e-9, 1.0), (0.3, 0.7), (1.0, 1.0), (5.0, 0.01), (1.0, 0.0)] {
      #expect(abs(SubspaceMetrics.atan2Positive(y, x) - atan2(y, x)) <= 4e-16)
    }
  }

  @Test func rejectsBadInput() throws {
    let u = try Basis(orthonormalizing: [[1, 0, 0]], dimension: 3)
    let w = try Basis(orthonormalizing: [[1, 0, 0, 0]], dimension: 4)
    let empty = try Basis(dimension: 3)
    #expect(
      throws: CurvatureError.dimensionMismatch(
        name: "second basis dimension", expected: 3, actual: 4)
    ) {
      try SubspaceMetrics.principalAngles(u, w)
    }
    #expect(throws: CurvatureError.self) { try SubspaceMetrics.overlap(u, empty) }
    #expect(throws: CurvatureError.self) { try SubspaceMetrics.maskOverlap(u, mask: [0, 0]) }
    #expect(throws: CurvatureError.self) { try SubspaceMetrics.maskOverlap(u, mask: [3]) }
    #expect(throws: CurvatureError.self) { try SubspaceMetrics.maskOverlap(u, mask: []) }
    #expect(throws: CurvatureError.self) { try SubspaceMetrics.topFraction([0, 0, 0], basis: u) }
    #expect(throws: CurvatureError.nonFinite(name: "gradient", index: 2)) {
      try SubspaceMetrics.topFraction([1, 0, .nan], basis: u)
    }
    #expect(throws: CurvatureError.self) {
      try SubspaceMetrics.gradientAlignment([1, 0], basis: u)
    }
    #expect(throws: CurvatureError.self) {
      try SubspaceMetrics.largestMagnitudeIndices([1], count: 2)
    }
    #expect(throws: CurvatureError.self) {
      try SubspaceMetrics.maskChanceLevel(maskSize: 7, dimension: 6)
    }
  }
}
