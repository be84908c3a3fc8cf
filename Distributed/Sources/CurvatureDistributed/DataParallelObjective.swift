import Curvature

/// A ``DifferentiableObjective`` whose samples are split across the ranks of an MPI job.
///
/// Each rank owns a contiguous shard of the N samples and computes losses, gradients,
/// per-sample losses, Hessian-vector products (single and block) and Gauss–Newton products on
/// the part of each requested ``SampleSet`` that it owns, with its own (local) objective. The
/// per-rank results are weighted by the number of samples each rank evaluated, converted to
/// `Double`, added in rank order and shared (``Communicator``'s deterministic reduction), so
/// every rank holds identical bits and the result does not depend on timing. Lanczos, the
/// tracker, the optimizers and the monitor can therefore run replicated on every rank with the
/// same seeds and stay in lockstep.
///
/// With one rank the result equals the local objective's bit for bit. With R ranks it differs
/// from the one-rank result only by the `Float` rounding of the per-rank means (about 1e-7
/// relative).
///
/// Every operation is collective: call it on every rank, in the same order, from the thread
/// that created the communicator. A failure on any rank (a throwing local objective) becomes a
/// ``DistributedFailure`` on every rank. Asynchronous (background) tracker refreshes are not
/// supported with this objective.
///
/// Communication per call, for P parameters (P × count for a block of count directions) and R
/// ranks: each rank sends (R − 1)/R · 8P bytes (reduce-scatter of `Double` partials) and
/// receives (R − 1)/R · 4P (all-gather of the `Float` result), plus a status all-gather of R
/// integers and a one-element reduction of the loss.
public final class DataParallelObjective: DifferentiableObjective {
  /// How the local objective numbers its samples.
  public enum LocalIndexing: Sendable, Hashable {
    /// The local objective holds all N samples (replicated data); indices are global.
    case global
    /// The local objective holds only this rank's shard; global index i is local i − shard start.
    case shard
  }

  /// The objective evaluated on this rank.
  public let local: any DifferentiableObjective
  /// The job.
  public let communicator: Communicator
  /// The global sample indices this rank evaluates.
  public let shard: Range<Int>
  /// How ``local`` numbers its samples.
  public let indexing: LocalIndexing
  public let parameterCount: Int
  public let sampleCount: Int

  /// Contiguous shards of `count` samples over `ranks` ranks whose sizes differ by at most one
  /// (the first `count % ranks` ranks hold one more).
  public static func evenShards(count: Int, ranks: Int) -> [Range<Int>] {
    precondition(count >= 0 && ranks > 0, "evenShards: count ≥ 0 and ranks > 0")
    let base = count / ranks
    let extra = count % ranks
    var start = 0
    return (0..<ranks).map { r in
      let n = base + (r < extra ? 1 : 0)
      defer { start += n }
      return start..<(start + n)
    }
  }

  /// Wraps `local` for this rank.
  ///
  /// - Parameters:
  ///   - local: the rank's objective; with `.global` indexing it holds all `sampleCount`
  ///     samples, with `.shard` exactly the samples of `shard`.
  ///   - communicator: the job.
  ///   - sampleCount: N, the total number of samples over all ranks.
  ///   - shard: this rank's samples; defaults to the even split of N.
  ///   - indexing: how `local` numbers its samples.
  /// - Throws: `CurvatureError` if the shard lies outside 0..<N or does not match `local`'s
  ///   sample count. The check is collective (every rank throws if any rank's is wrong).
  public init(
    local: any DifferentiableObjective, communicator: Communicator, sampleCount: Int,
    shard: Range<Int>? = nil, indexing: LocalIndexing = .global
  ) throws {
    let shard =
      shard ?? Self.evenShards(count: sampleCount, ranks: communicator.size)[communicator.rank]
    self.local = local
    self.communicator = communicator
    self.sampleCount = sampleCount
    self.shard = shard
    self.indexing = indexing
    self.parameterCount = local.parameterCount
    try communicator.collectively { () throws in
      if sampleCount < 1 {
        throw CurvatureError.invalidArgument(
          name: "sampleCount", reason: "\(sampleCount) is not positive")
      }
      if shard.lowerBound < 0 || shard.upperBound > sampleCount {
        throw CurvatureError.invalidArgument(
          name: "shard", reason: "\(shard) lies outside the samples 0..<\(sampleCount)")
      }
      let expected = indexing == .global ? sampleCount : shard.count
      if local.sampleCount != expected {
        throw CurvatureError.dimensionMismatch(
          name: "local objective's samples", expected: expected, actual: local.sampleCount)
      }
    }
  }

  // MARK: - Sharding a request

  /// The part of `samples` this rank owns, in local numbering, and the count it covers.
  private func localPart(of samples: SampleSet) -> SampleSet? {
    let offset = indexing == .global ? 0 : shard.lowerBound
    switch samples {
    case .range(let r):
      let lo = max(r.lowerBound, shard.lowerBound)
      let hi = min(r.upperBound, shard.upperBound)
      return lo < hi ? .range((lo - offset)..<(hi - offset)) : nil
    case .indices(let idx):
      let mine = idx.filter { shard.contains($0) }.map { $0 - offset }
      return mine.isEmpty ? nil : .indices(mine)
    }
  }

  /// Runs a weighted reduction: `compute` writes the local mean (length `length`) into a Float
  /// buffer and returns the local mean loss (or nil); the result is the global mean.
  private func reduce(
    samples: SampleSet, length: Int, into out: UnsafeMutableBufferPointer<Float>?,
    compute: (SampleSet, UnsafeMutableBufferPointer<Float>) throws -> Double?
  ) throws -> Double {
    try samples.validate(sampleCount: sampleCount)
    if communicator.size == 1, indexing == .global || shard == 0..<sampleCount {
      // One rank: the local objective itself, bit for bit.
      let target = out ?? UnsafeMutableBufferPointer(start: nil, count: 0)
      return try compute(samples, target) ?? 0
    }
    let part = localPart(of: samples)
    let m = Double(part?.count ?? 0)
    var partial = [Double](repeating: 0, count: length + 1)
    try communicator.collectively {
      guard let part else { return }
      var buffer = [Float](repeating: 0, count: length)
      let loss = try buffer.withUnsafeMutableBufferPointer { try compute(part, $0) }
      for i in 0..<length { partial[i] = m * Double(buffer[i]) }
      if let loss {
        if !loss.isFinite { throw CurvatureError.nonFinite(name: "loss", index: 0) }
        partial[length] = m * loss
      }
    }
    let n = Double(samples.count)
    var loss = [Double](repeating: 0, count: 1)
    try partial.withUnsafeBufferPointer { p in
      if let out {
        try communicator.sum(
          UnsafeBufferPointer(rebasing: p[0..<length]), divisor: n, into: out)
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
    if communicator.size == 1, indexing == .global || shard == 0..<sampleCount {
      try local.perSampleLosses(at: w, samples: samples, into: losses)
      return
    }
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
