/// A chosen set of training samples: the "batch" a loss, gradient or HVP is averaged over.
public enum SampleSet: Sendable, Hashable {
  /// The contiguous samples `range`.
  case range(Range<Int>)
  /// Explicit sample indices (repeats allowed, order irrelevant for means).
  case indices([Int])

  /// All `n` samples.
  public static func all(_ n: Int) -> SampleSet { .range(0..<n) }

  /// The number of samples.
  public var count: Int {
    switch self {
    case .range(let r): return r.count
    case .indices(let i): return i.count
    }
  }

  /// The sample indices in order. - Complexity: O(count).
  public var indexArray: [Int] {
    switch self {
    case .range(let r): return Array(r)
    case .indices(let i): return i
    }
  }

  /// Checks that every index lies in `0..<sampleCount` and the set is non-empty.
  /// - Throws: `CurvatureError.invalidArgument` naming `samples`.
  public func validate(sampleCount: Int) throws(CurvatureError) {
    switch self {
    case .range(let r):
      if r.isEmpty || r.lowerBound < 0 || r.upperBound > sampleCount {
        throw .invalidArgument(
          name: "samples", reason: "range \(r) is empty or outside 0..<\(sampleCount)")
      }
    case .indices(let idx):
      if idx.isEmpty { throw .invalidArgument(name: "samples", reason: "no indices") }
      if let bad = idx.first(where: { $0 < 0 || $0 >= sampleCount }) {
        throw .invalidArgument(name: "samples", reason: "index \(bad) outside 0..<\(sampleCount)")
      }
    }
  }
}
