import Testing

@testable import Curvature

@Suite struct RefreshBuffersTests {
  /// A synchronous minibatch tracker with averaged subspace-iteration refreshes every 2 steps
  /// (the recommended kind of refresh) reading the basis in `precision`.
  private static func tracker(
    _ problem: QuarticProblem, precision: BasisPrecision
  ) throws -> DominantSubspaceTracker {
    try DominantSubspaceTracker(
      objective: problem.make(),
      configuration: .init(
        k: 3, hessianBatch: .minibatch, refresh: .every(2),
        lanczos: LanczosConfiguration(tolerance: 1e-4, maxProducts: 300),
        method: .subspaceIteration, seed: 6, refreshAveraging: 0.5,
        projectionPrecision: precision))
  }

  /// 12 Bulk-SGD steps; `keep` holds on to every installed basis. Returns the final parameters
  /// and basis, the installed bases (when kept), and the storage address of each installed
  /// basis (its Float columns and reduced copy).
  private static func run(
    _ problem: QuarticProblem, precision: BasisPrecision, keep: Bool
  ) throws -> (w: [Float], basis: Basis, kept: [Basis], addresses: [(Int, Int)]) {
    let tracker = try tracker(problem, precision: precision)
    var rng = SeededGenerator(seed: 3)
    var w = rng.gaussianVector(count: problem.p).map { $0 * 0.8 }
    var opt = SGD(learningRate: 0.01).projected(.bulk)
    var kept: [Basis] = []
    var addresses: [(Int, Int)] = []
    for _ in 0..<12 {
      let batch = SampleSet.indices((0..<4).map { _ in rng.nextInt(below: problem.n) })
      let (_, g) = try tracker.objective.lossAndGradient(at: w, samples: batch)
      let report = try tracker.step(&opt, parameters: &w, gradient: g, minibatch: batch)
      guard report.refresh != nil, let basis = tracker.basis else { continue }
      let columns = basis.storage.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
      let reduced =
        precision == .int8
        ? basis.int8Bytes.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        : basis.halfBits.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
      addresses.append((columns, reduced))
      if keep { kept.append(basis) }
    }
    return (w, try #require(tracker.basis), kept, addresses)
  }

  /// Warm refreshes write the next basis into the storage of the one replaced two refreshes
  /// earlier (Float columns and reduced copy), and the trajectory is the same bit for bit as
  /// when every basis is still held elsewhere (which makes each reuse a copy).
  @Test(arguments: [BasisPrecision.single, .half, .int8])
  func warmRefreshesReuseTheRetiredBasis(precision: BasisPrecision) throws {
    let problem = QuarticProblem()
    let free = try Self.run(problem, precision: precision, keep: false)
    let held = try Self.run(problem, precision: precision, keep: true)
    #expect(free.w == held.w)
    #expect(free.basis == held.basis)
    #expect(free.addresses.count == 6)
    // Refreshes 1 and 2 are the cold one and the first warm one (nothing retired yet); from
    // refresh 3 on each basis lives where the basis two refreshes earlier lived.
    for r in 3..<free.addresses.count {
      #expect(free.addresses[r].0 == free.addresses[r - 2].0, "refresh \(r)")
      if precision != .single { #expect(free.addresses[r].1 == free.addresses[r - 2].1) }
    }
    // Held bases are never overwritten: each still equals a fresh copy of its columns.
    for basis in held.kept {
      let copy = Basis(
        uncheckedStorage: basis.storage.map { $0 }, dimension: basis.dimension,
        count: basis.count
      ).withPrecision(precision)
      #expect(basis == copy)
      #expect(basis.halfBits == copy.halfBits && basis.int8Bytes == copy.int8Bytes)
    }
    #expect(Set(held.kept.map { $0.storage }).count == held.kept.count)
  }
}
