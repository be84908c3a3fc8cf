import Foundation
import Testing

@testable import Curvature

@Suite struct SketchedEigensolverTests {
  typealias S = SpectrumTestSupport

  @Test(arguments: SketchMethod.allCases)
  func fastDecayingSpectrumIsRecoveredWithinTheBound(_ method: SketchMethod) throws {
    let n = 300
    // PSD, fast decay: 20 large eigenvalues then a tail of 1e-3.
    let lambda = (0..<n).map { $0 < 20 ? 100 * pow(0.8, Double($0)) : 1e-3 }
    let (m, q) = S.rotated(lambda, seed: 6)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let k = 10
    let r = try SketchedEigensolver(
      method: method, sketchSize: 30, probes: 8, blockSize: 16, seed: 1
    )
    .eigenpairs(of: op, count: k)
    // Rayleigh–Ritz spends a second batch, one product per column of the sketch's basis.
    let products = method == .rayleighRitz ? 38 + 30 : 38
    #expect(r.productCount == products)
    #expect(op.productCount == products)
    #expect(r.errorEstimate > 0)
    for i in 0..<k {
      #expect(abs(r.eigenvalues[i] - lambda[i]) <= r.errorEstimate)
      #expect(abs(r.eigenvalues[i] - lambda[i]) <= 1e-3 * lambda[0])
    }
    let exact = (0..<k).map { Array(q[($0 * n)..<(($0 + 1) * n)]) }
    #expect(S.overlap(r.vectors, exact) >= 0.99)
    #expect(r.vectors.orthogonalityError < 1e-4)
  }

  @Test func symmetricHandlesIndefiniteAndNystromRejectsIt() throws {
    let n = 200
    let lambda = (0..<n).map { $0 < 6 ? [9.0, -8, 7, -6, 5, -4][$0] : 0.0 }
    let (m, _) = S.rotated(lambda, seed: 3)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let r = try SketchedEigensolver(method: .symmetric, sketchSize: 12).eigenpairs(of: op, count: 3)
    for (i, x) in [9.0, 7, 5].enumerated() { #expect(abs(r.eigenvalues[i] - x) <= 1e-3) }
    #expect(r.errorEstimate < 1e-2)
    #expect(throws: CurvatureError.self) {
      try SketchedEigensolver(method: .nystrom, sketchSize: 12).eigenpairs(of: op, count: 3)
    }
    #expect(throws: CurvatureError.self) {
      try SketchedEigensolver(sketchSize: 2).eigenpairs(of: op, count: 3)
    }
  }

  /// On a slowly decaying indefinite spectrum (10/i, every fourth negative) the single-pass fit
  /// is ill-conditioned while the two-pass Rayleigh–Ritz core leaves only the unsketched part:
  /// its top eigenvalues are right to 2 % and its bound, at least |λ₈₁| as any rank-80
  /// approximation's error must be, is over 100× below the single pass's.
  @Test func rayleighRitzBoundsTheTailWhereTheSinglePassCannot() throws {
    let n = 400
    let lambda: [Double] = (0..<n).map { i in
      let sign: Double = i % 4 == 3 ? -1 : 1
      return sign * 10 / Double(i + 1)
    }
    let (m, _) = S.rotated(lambda, seed: 17)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let single = try SketchedEigensolver(method: .symmetric, sketchSize: 80, seed: 2)
      .eigenpairs(of: op, count: 20)
    let twoPass = try SketchedEigensolver(method: .rayleighRitz, sketchSize: 80, seed: 2)
      .eigenpairs(of: op, count: 20)
    let expected = lambda.sorted(by: >)
    let tail = abs(lambda[80])  // every rank-80 Â has ‖H − Â‖₂ ≥ |λ₈₁|
    for i in 0..<20 { #expect(abs(twoPass.eigenvalues[i] - expected[i]) <= twoPass.errorEstimate) }
    for i in 0..<5 { #expect(abs(twoPass.eigenvalues[i] - expected[i]) <= 2e-2 * expected[i]) }
    #expect(twoPass.errorEstimate >= tail)
    #expect(twoPass.errorEstimate < single.errorEstimate / 100)
    // The single pass's square fit is ill-conditioned here (its λ₁ came out 13,778 for 10).
    #expect(abs(twoPass.eigenvalues[0] - 10) <= 1e-3 * 10)
    #expect(twoPass.errorEstimate < single.errorEstimate / 3)
    #expect(twoPass.productCount == 80 + 10 + 80)
  }

  @Test func slowDecayGivesALargerButValidBound() throws {
    let n = 200
    let lambda = (0..<n).map { 1 / Double($0 + 1) }
    let (m, _) = S.rotated(lambda, seed: 12)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let r = try SketchedEigensolver(method: .nystrom, sketchSize: 20, probes: 10).eigenpairs(
      of: op, count: 5)
    for i in 0..<5 { #expect(abs(r.eigenvalues[i] - lambda[i]) <= r.errorEstimate) }
    // The probes see the unsketched tail: ‖H − Â‖₂ ≥ λ₂₁ ≈ 0.048 and the bound is above it.
    #expect(r.errorEstimate >= lambda[20])
  }

  /// A sketch of 160 columns (three panels of the blocked orthogonalisation) of an indefinite
  /// 400 × 400 operator with 120 nonzero eigenvalues: the sketch spans the range exactly, so the
  /// top eigenpairs match the dense answer to round-off and the bound is at round-off too.
  @Test func sketchLargerThanOnePanelIsExactOnALowRankOperator() throws {
    let n = 400
    let lambda = (0..<n).map { i -> Double in
      guard i < 120 else { return 0 }
      return (i % 3 == 2 ? -1 : 1) * 50 * pow(0.97, Double(i))
    }
    let (m, _) = S.rotated(lambda, seed: 21)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let r = try SketchedEigensolver(sketchSize: 160, probes: 6, seed: 4).eigenpairs(
      of: op, count: 40)
    let expected = lambda.filter { $0 > 0 }.sorted(by: >)
    for i in 0..<40 { #expect(abs(r.eigenvalues[i] - expected[i]) <= 1e-4 * 50) }
    #expect(r.errorEstimate < 1e-2)
    #expect(r.vectors.orthogonalityError < 1e-4)
  }

  /// Out-of-core storage gives the same bits as memory and leaves nothing in the directory;
  /// a directory that does not exist, or a file in its place, is a `.fileSystem` error.
  @Test func storageDirectoryGivesTheSameResultAndLeavesNothing() throws {
    let n = 300
    let lambda = (0..<n).map { 10 * pow(0.9, Double($0)) }
    let (m, _) = S.rotated(lambda, seed: 2)
    let op = try DenseSymmetricOperator(matrix: m, order: n)
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("curvature-sketch-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for method in SketchMethod.allCases {
      let inMemory = try SketchedEigensolver(method: method, sketchSize: 90, seed: 3)
        .eigenpairs(of: op, count: 20)
      let mapped = try SketchedEigensolver(
        method: method, sketchSize: 90, seed: 3, storageDirectory: directory
      ).eigenpairs(of: op, count: 20)
      #expect(mapped.eigenvalues == inMemory.eigenvalues)
      #expect(mapped.vectors.storage == inMemory.vectors.storage)
      #expect(mapped.errorEstimate == inMemory.errorEstimate)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    let missing = directory + "/absent"
    #expect(throws: CurvatureError.fileSystem(path: missing, reason: "is not a directory")) {
      try SketchedEigensolver(sketchSize: 40, storageDirectory: missing).eigenpairs(
        of: op, count: 10)
    }
    let file = directory + "/file"
    FileManager.default.createFile(atPath: file, contents: Data([1]))
    #expect(throws: CurvatureError.fileSystem(path: file, reason: "is not a directory")) {
      try SketchedEigensolver(sketchSize: 40, storageDirectory: file).eigenpairs(
        of: op, count: 10)
    }
  }
}
