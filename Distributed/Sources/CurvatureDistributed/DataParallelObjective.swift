import Curvature

/// A ``DifferentiableObjective`` whose samples are split across the ranks of an MPI job.
///
/// The N samples are cut into V contiguous *virtual shards* (even sizes, V =
/// ``virtualShardCount``, fixed by the caller and independent of the number of ranks R), and
/// each rank owns a contiguous run of them (``shard``). For a requested ``SampleSet``, a rank
/// evaluates, with its own (local) objective, one call per virtual shard it owns on the
/// requested samples that fall in it; the per-shard means are weighted by their sample counts
/// and accumulated in `Double` in shard order; the per-rank partial sums are then added in rank
/// order and shared by ``Communicator``'s deterministic reduction, and rounded to `Float` once.
///
/// So every rank holds identical bits, the result does not depend on timing, and it does not
/// depend on R either except through the association of `Double` additions (about 1e-16
/// relative, which almost never changes the rounded `Float`): the same `Float` work is done on
/// the same sample groups whatever R is. Lanczos, the tracker, the optimizers and the monitor
/// can therefore run replicated on every rank with the same seeds and stay in lockstep, and a
/// run on 2 ranks follows the run on 1 rank.
///
/// Every operation is collective: call it on every rank, in the same order, from the thread
/// that created the communicator. A failure on any rank (a throwing local objective) becomes a
/// ``DistributedFailure`` on every rank. Asynchronous (background) tracker refreshes are not
/// supported with this objective.
///
/// Communication per call, for P parameters (P × count for a block of count directions) and R
/// ranks: each rank sends and receives (R − 1)/R · 8P bytes (reduce-scatter of `Double`
/// partials) and (R − 1)/R · 4P (all-gather of the `Float` result), plus a status all-gather of
/// R integers and a one-element reduction of the loss. Compute: V/R local calls per operation
/// on each rank, on about 1/R of the requested samples.
public final class DataParallelObjective: DifferentiableObjective {
  /// How the local objective numbers its samples.
  public enum LocalIndexing: Sendable, Hashable {
    /// The local objective holds all N samples (replicated data); indices are global.
    case global
    /// The local objective holds only this rank's ``shard`` (sharded data); global index i is
    /// local index i − `shard.lowerBound`.
    case shard
  }

  /// The default number of virtual shards: results are the same for any number of ranks; up
  /// to this many ranks share the work.
  public static let defaultVirtualShardCount = 8

  /// The objective evaluated on this rank.
  public let local: any DifferentiableObjective
  /// The job.
  public let communicator: Communicator
  /// The number of virtual shards V.
  public let virtualShardCount: Int
  /// The global sample indices this rank evaluates (the union of its virtual shards).
  public let shard: Range<Int>
  /// How ``local`` numbers its samples.
  public let indexing: LocalIndexing
  public let parameterCount: Int
  public let sampleCount: Int
  /// The local objective's accuracy: the reduction adds only `Double` round-off.
  public var hessianProductAccuracy: HessianProductAccuracy { local.hessianProductAccuracy }
  /// This rank's virtual shards, as global sample ranges, in order.
  private let virtualShards: [Range<Int>]

  /// Contiguous ranges of `count` items over `parts` parts whose sizes differ by at most one
  /// (the first `count % parts` parts hold one more).
  public static func evenShards(count: Int, ranks parts: Int) -> [Range<Int>] {
    precondition(count >= 0 && parts > 0, "evenShards: count ≥ 0 and parts > 0")
    return Communicator.split(count, parts: parts)
  }

  /// The global samples rank `rank` of `ranks` owns when N = `sampleCount` samples are cut
  /// into `virtualShards` virtual shards: what to load on that rank with `.shard` indexing.
  public static func shard(
    rank: Int, of ranks: Int, sampleCount: Int,
    virtualShards: Int = defaultVirtualShardCount
  ) -> Range<Int> {
    let virtual = evenShards(count: sampleCount, ranks: virtualShards)
    let mine = evenShards(count: virtualShards, ranks: ranks)[rank]
    if mine.isEmpty { return 0..<0 }
    return virtual[mine.lowerBound].lowerBound..<virtual[mine.upperBound - 1].upperBound
  }

  /// Wraps `local` for this rank.
  ///
  /// - Parameters:
  ///   - local: the rank's objective; with `.global` indexing it holds all `sampleCount`
  ///     samples, with `.shard` exactly the samples of
  ///     ``shard(rank:of:sampleCount:virtualShards:)``.
  ///   - communicator: the job.
  ///   - sampleCount: N, the total number of samples over all ranks.
  ///   - virtualShards: V ≥ 1; keep it fixed to compare runs on different numbers of ranks.
  ///   - indexing: how `local` numbers its samples.
  /// - Throws: `CurvatureError` if N or V is not positive or `local` holds the wrong number of
  ///   samples. The check is collective: every rank throws if any rank's is wrong.
  public init(
    local: any DifferentiableObjective, communicator: Communicator, sampleCount: Int,
    virtualShards: Int = defaultVirtualShardCount, indexing: LocalIndexing = .global
  ) throws {
    self.local = local
    self.communicator = communicator
    self.sampleCount = sampleCount
    self.virtualShardCount = virtualShards
    self.indexing = indexing
    self.parameterCount = local.parameterCount
    let valid = sampleCount >= 1 && virtualShards >= 1
    let shard =
      valid
      ? Self.shard(
        rank: communicator.rank, of: communicator.size, sampleCount: sampleCount,
        virtualShards: virtualShards) : 0..<0
    self.shard = shard
    self.virtualShards =
      valid
      ? evenShardsOwned(
        sampleCount: sampleCount, virtualShards: virtualShards, rank: communicator.rank,
        ranks: communicator.size) : []
    try communicator.collectively { () throws in
      if sampleCount < 1 {
        throw CurvatureError.invalidArgument(
          name: "sampleCount", reason: "\(sampleCount) is not positive")
      }
      if virtualShards < 1 {
        throw CurvatureError.invalidArgument(
          name: "virtualShards", reason: "\(virtualShards) is not positive")
      }
      let expected = indexing == .global ? sampleCount : shard.count
      if local.sampleCount != expected {
        throw CurvatureError.dimensionMismatch(
          name: "local objective's samples", expected: expected, actual: local.sampleCount)
      }
    }
  }

  // MARK: - Sharding a request

  /// The requested samples in virtual shard `range`, in local numbering (nil if none).
  private func part(of samples: SampleSet, in range: Range<Int>) -> SampleSet? {
    let offset = indexing == .global ? 0 : shard.lowerBound
    switch samples {
    case .range(let r):
      let lo = max(r.lowerBound, range.lowerBound)
      let hi = min(r.upperBound, range.upperBound)
      return lo < hi ? .range((lo - offset)..<(hi - offset)) : nil
    case .indices(let idx):
      let mine = idx.filter { range.contains($0) }.map { $0 - offset }
      return mine.isEmpty ? nil : .indices(mine)
    }
  }

  /// The weighted reduction behind every product: `compute` writes the local mean over a part
  /// (length `length`) into a Float buffer and returns the part's mean loss (or nil); the
  /// global mean goes to `out` and the global mean loss is returned.
  private func reduce(
    samples: SampleSet, length: Int, into out: UnsafeMutableBufferPointer<Float>?,
    compute: (SampleSet, UnsafeMutableBufferPointer<Float>) throws -> Double?
  ) throws -> Double {
    try samples.validate(sampleCount: sampleCount)
    var partial = [Double](repeating: 0, count: length + 1)
    try communicator.collectively {
      var buffer = [Float](repeating: 0, count: length)
      for range in virtualShards {
        guard let part = part(of: samples, in: range) else { continue }
        let m = Double(part.count)
        let loss = try buffer.withUnsafeMutableBufferPointer { try compute(part, $0) }
        buffer.withUnsafeBufferPointer { b in
          partial.withUnsafeMutableBufferPointer { p in
            for i in 0..<length { p[i] += m * Double(b[i]) }
          }
        }
        if let loss {
          if !loss.isFinite {
            throw CurvatureError.invalidArgument(
              name: "loss", reason: "non-finite (\(loss)) on samples \(range)")
          }
          partial[length] += m * loss
        }
      }
    }
    let n = Double(samples.count)
    var loss = [Double](repeating: 0, count: 1)
    try partial.withUnsafeBufferPointer { p in
      if let out {
        try communicator.sum(UnsafeBufferPointer(rebasing: p[0..<length]), divisor: n, into: out)
      }
      try loss.withUnsafeMutableBufferPointer {
        try communicator.sum(UnsafeBufferPointer(rebasing: p[length...]), divisor: n, into: $0)
      }
    }
    return loss[0]
  }

  // MARK: - DifferentiableObjective

  public func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    try reduce(samples: samples, length: 0, into: nil) { part, _ in
      try local.loss(at: w, samples: part)
    }
  }

  public func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    try reduce(samples: samples, length: parameterCount, into: gradient) { part, buffer in
      try local.gradient(at: w, samples: part, into: buffer)
    }
  }

  public func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    _ = try reduce(samples: samples, length: parameterCount, into: out) { part, buffer in
      try local.hessianVectorProduct(at: w, samples: part, direction: v, into: buffer)
      return nil
    }
  }

  public func hessianVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    _ = try reduce(samples: samples, length: parameterCount * count, into: out) { part, buffer in
      try local.hessianVectorProducts(
        at: w, samples: part, directions: v, count: count, into: buffer)
      return nil
    }
  }

  public func gaussNewtonVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    _ = try reduce(samples: samples, length: parameterCount, into: out) { part, buffer in
      try local.gaussNewtonVectorProduct(at: w, samples: part, direction: v, into: buffer)
      return nil
    }
  }

  public func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    try samples.validate(sampleCount: sampleCount)
    let all = samples.indexArray
    let offset = indexing == .global ? 0 : shard.lowerBound
    var partial = [Double](repeating: 0, count: all.count)
    try communicator.collectively {
      let positions = all.indices.filter { shard.contains(all[$0]) }
      if positions.isEmpty { return }
      let mine = try local.perSampleLosses(
        at: Array(w), samples: .indices(positions.map { all[$0] - offset }))
      for (p, l) in zip(positions, mine) { partial[p] = l }
    }
    // Exactly one rank contributes each position and the others add zeros: the sum is exact.
    try partial.withUnsafeBufferPointer { try communicator.sum($0, divisor: 1, into: losses) }
  }
}

/// The virtual shards (global sample ranges) that `rank` of `ranks` owns.
private func evenShardsOwned(sampleCount: Int, virtualShards: Int, rank: Int, ranks: Int)
  -> [Range<Int>]
{
  let virtual = Communicator.split(sampleCount, parts: virtualShards)
  let mine = Communicator.split(virtualShards, parts: ranks)[rank]
  return mine.map { virtual[$0] }.filter { !$0.isEmpty }
}
