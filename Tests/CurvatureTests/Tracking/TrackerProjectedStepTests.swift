import Testing

@testable import Curvature

/// A tracker step through the generic `Optimizer` path (no reuse of Uᵀg).
private func genericStep<O: Optimizer>(
  _ tracker: DominantSubspaceTracker, _ optimizer: inout O, _ w: inout [Float], _ g: [Float],
  _ batch: SampleSet
) throws {
  try tracker.step(&optimizer, parameters: &w, gradient: g, minibatch: batch)
}

@Suite struct TrackerProjectedStepTests {
  /// Runs 12 seeded steps (refreshes every 4) and returns the parameters; with `foreignBasis`
  /// the optimizer's projection gets a basis of its own after step 5 (so Uᵀg of the tracker's
  /// basis must not be reused).
  private func run(
    _ mode: SubspaceProjection.Mode, placement: SubspaceProjection.Placement, generic: Bool,
    foreignBasis: Bool = false
  ) throws -> [Float] {
    let fx = try QuadraticFixture()
    let tracker = try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(
        k: 5, refresh: .every(4),
        lanczos: LanczosConfiguration(tolerance: 1e-4, maxProducts: 400), seed: 2))
    var opt = SGD(learningRate: 0.01, momentum: 0.9).projected(mode, placement: placement)
    var rng = SeededGenerator(seed: 5)
    var w = rng.gaussianVector(count: fx.p)
    let other = try Basis(
      orthonormalizing: (0..<5).map { _ in rng.gaussianVector(count: fx.p) }, dimension: fx.p)
    for step in 0..<12 {
      if foreignBasis && step == 5 { opt.projection.basis = other }
      let batch = SampleSet.indices((0..<4).map { _ in rng.nextInt(below: fx.n) })
      let (_, g) = try fx.objective.lossAndGradient(at: w, samples: batch)
      if generic {
        try genericStep(tracker, &opt, &w, g, batch)
      } else {
        try tracker.step(&opt, parameters: &w, gradient: g, minibatch: batch)
      }
    }
    return w
  }

  /// Reusing the χ_k coefficients in the projection changes no bit, in every mode and
  /// placement, across refreshes, and when the projection's basis is not the tracker's.
  @Test(arguments: [
    SubspaceProjection.Mode.bulk, .dominant, .interpolated(dominant: 0.5, bulk: 2), .full,
  ])
  func reusedCoefficientsGiveTheSameBits(mode: SubspaceProjection.Mode) throws {
    for placement in [SubspaceProjection.Placement.gradient, .update] {
      let fast = try run(mode, placement: placement, generic: false)
      let generic = try run(mode, placement: placement, generic: true)
      #expect(fast == generic)
      let fastForeign = try run(mode, placement: placement, generic: false, foreignBasis: true)
      let genericForeign = try run(mode, placement: placement, generic: true, foreignBasis: true)
      #expect(fastForeign == genericForeign)
      if mode != .full { #expect(fastForeign != fast) }
    }
  }
}
