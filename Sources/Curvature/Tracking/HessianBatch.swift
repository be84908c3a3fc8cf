/// The samples whose loss Hessian the tracker follows (MATH.md §1).
public enum HessianBatch: Sendable, Hashable {
  /// Every training sample.
  case full
  /// A fixed subset of `count` samples drawn once from `seed` (sorted indices); a `count` at
  /// or above the objective's sample count takes every sample.
  case subset(count: Int, seed: UInt64)
  /// The current minibatch passed to each tracker step.
  case minibatch

  /// The fixed sample set for ``full`` and ``subset(count:seed:)``; `nil` for ``minibatch``.
  /// - Throws: `CurvatureError.outOfRange` if `count` < 1 or `sampleCount` < 1.
  /// - Complexity: O(N) for a subset (a seeded permutation).
  public func fixedSamples(sampleCount n: Int) throws(CurvatureError) -> SampleSet? {
    switch self {
    case .full: return .all(n)
    case .minibatch: return nil
    case .subset(let count, let seed):
      if count < 1 {
        throw .outOfRange(name: "subset count", value: Double(count), range: "[1, ∞)")
      }
      if n < 1 { throw .outOfRange(name: "sample count", value: Double(n), range: "[1, ∞)") }
      if count >= n { return .all(n) }
      var rng = SeededGenerator(seed: seed)
      return .indices(rng.permutation(count: n).prefix(count).sorted())
    }
  }
}
