import Curvature
import Foundation

/// One contiguous run of samples of a ``ChunkedObjective``, with its own workspace and a
/// partial-sum buffer for the reductions over chunks.
protocol ObjectiveChunk: AnyObject {
  /// Scratch for this chunk's share of a reduced result (grown on demand).
  var partialBuffer: FloatBuffer? { get set }
  /// The position of the chunk's first sample within the chosen samples.
  var start: Int { get }
  /// The loss of each of the chunk's samples at the cached forward pass.
  var sampleLosses: [Double] { get }
}

extension ObjectiveChunk {
  /// A partial-sum buffer of at least `count` elements. - Complexity: O(count) when it grows.
  func partial(_ count: Int) -> UnsafeMutablePointer<Float> { ensure(&partialBuffer, count).p }
}

/// The point (parameters, samples) whose forward pass the chunks of a ``ChunkedObjective``
/// hold, and whether they hold its backward pass too.
struct ForwardCache {
  /// What ``update(_:_:)`` found changed.
  enum Change {
    /// Same samples, other parameters: rerun the forward pass.
    case parameters
    /// Other samples: rebuild the chunks, then rerun the forward pass.
    case samples
  }

  private var parameters: [Float] = []
  private var samples: SampleSet?
  /// Whether the chunks also hold the backward pass (every adjoint) at the cached point.
  var backwardValid = false
  /// Whether the forward pass also stored the activations' second derivatives σ'', which only
  /// Hessian products (not gradients) need.
  var secondOrderValid = false

  /// Makes (w, samples) the cached point: nil when it already was (the chunks are current),
  /// otherwise what changed; any change clears ``backwardValid``.
  /// - Complexity: O(P) (a comparison, and a copy on a change).
  mutating func update(_ w: UnsafeBufferPointer<Float>, _ samples: SampleSet) -> Change? {
    if let s = self.samples, s == samples, parameters.count == w.count,
      parameters.withUnsafeBufferPointer({
        memcmp($0.baseAddress!, w.baseAddress!, 4 * w.count) == 0
      })
    {
      return nil
    }
    let change: Change = self.samples == samples ? .parameters : .samples
    self.samples = samples
    parameters = Array(w)
    backwardValid = false
    secondOrderValid = false
    return change
  }
}

/// The plumbing the reference models share: they split the chosen samples into contiguous
/// chunks (one per core), cache the forward pass at the last (parameters, samples), validate
/// inputs the same way and reduce per-chunk results in chunk order (so results do not depend
/// on thread timing).
protocol ChunkedObjective: DifferentiableObjective, AnyObject {
  associatedtype Chunk: ObjectiveChunk
  /// The chunks of the cached samples.
  var chunks: [Chunk] { get }
  /// The cached point.
  var cache: ForwardCache { get set }
  /// Rebuilds ``chunks`` for `samples` (gathering their inputs).
  func makeChunks(for samples: SampleSet)
  /// The forward pass of one chunk at `w`; with `secondOrder` it also stores the activations'
  /// second derivatives for Hessian products.
  func forward(_ chunk: Chunk, _ w: UnsafePointer<Float>, secondOrder: Bool)
  /// The backward pass of one chunk at the cached point, storing every adjoint the tangent
  /// passes need and, when `gradient` is given, writing the chunk's gradient contribution there
  /// (every entry is overwritten).
  func backward(_ chunk: Chunk, _ w: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>?)
}

extension ChunkedObjective {
  /// Validates a parameter vector's length and a sample set.
  func check(_ w: UnsafeBufferPointer<Float>, _ samples: SampleSet) throws(CurvatureError) {
    try checkOut("parameters", w.count, parameterCount)
    try samples.validate(sampleCount: sampleCount)
  }

  /// Like ``check(_:_:)`` and also rejects NaN/Inf parameters (entry points that take arrays).
  func checkFinite(_ w: [Float], _ samples: SampleSet) throws(CurvatureError) {
    try checkOut("parameters", w.count, parameterCount)
    if let i = w.firstIndex(where: { !$0.isFinite }) {
      throw .nonFinite(name: "parameters", index: i)
    }
    try samples.validate(sampleCount: sampleCount)
  }

  /// Validates the arguments of a product with `count` directions (P × count each).
  func checkProducts(
    _ w: UnsafeBufferPointer<Float>, _ samples: SampleSet, _ v: UnsafeBufferPointer<Float>,
    _ count: Int, _ out: UnsafeMutableBufferPointer<Float>
  ) throws(CurvatureError) {
    try check(w, samples)
    if count < 1 { throw .outOfRange(name: "count", value: Double(count), range: "[1, ∞)") }
    try checkOut("directions", v.count, parameterCount * count)
    try checkOut("out", out.count, parameterCount * count)
  }

  /// The mean loss of the cached forward pass, summed in sample order.
  /// - Complexity: O(samples).
  func meanLoss() -> Double {
    var s = 0.0
    var n = 0
    for c in chunks {
      for x in c.sampleLosses { s += x }
      n += c.sampleLosses.count
    }
    return s / Double(n)
  }

  /// The mean loss at (w, samples), validated. - Complexity: one forward pass unless cached.
  func chunkedLoss(_ w: UnsafeBufferPointer<Float>, _ samples: SampleSet) throws(CurvatureError)
    -> Double
  {
    try check(w, samples)
    prepareForward(w, samples)
    return meanLoss()
  }

  /// The gradient at (w, samples) into `gradient` and the mean loss, validated; leaves the
  /// backward pass cached. - Complexity: one forward pass unless cached, one backward pass.
  func chunkedGradient(
    _ w: UnsafeBufferPointer<Float>, _ samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws(CurvatureError) -> Double {
    try check(w, samples)
    try checkOut("gradient", gradient.count, parameterCount)
    prepareForward(w, samples)
    let wp = w.baseAddress!
    sumOverChunks(count: parameterCount, into: gradient.baseAddress!) { i, target in
      self.backward(self.chunks[i], wp, gradient: target)
    }
    cache.backwardValid = true
    return meanLoss()
  }

  /// The per-sample losses at (w, samples) into `losses`, validated.
  /// - Complexity: one forward pass unless cached.
  func chunkedPerSampleLosses(
    _ w: UnsafeBufferPointer<Float>, _ samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws(CurvatureError) {
    try check(w, samples)
    try checkOut("losses", losses.count, samples.count)
    prepareForward(w, samples)
    for c in chunks {
      for (i, x) in c.sampleLosses.enumerated() { losses[c.start + i] = x }
    }
  }

  /// Makes the chunks hold the forward pass at (w, samples), reusing the cache when possible;
  /// `secondOrder` also asks for the activations' second derivatives (Hessian products), which
  /// gradients and Gauss–Newton products skip.
  /// - Complexity: one forward pass unless cached; O(P) otherwise.
  func prepareForward(
    _ w: UnsafeBufferPointer<Float>, _ samples: SampleSet, secondOrder: Bool = false
  ) {
    if let change = cache.update(w, samples) {
      if change == .samples { makeChunks(for: samples) }
    } else if !secondOrder || cache.secondOrderValid {
      return
    } else {
      // A rerun at the cached point to add σ'': the backward pass may have used the missing
      // σ'' (the MLP's adjoint-times-σ'' term), so it is redone when next needed.
      cache.backwardValid = false
    }
    let wp = w.baseAddress!
    Parallel.forEach(chunks.count) { i in
      self.forward(self.chunks[i], wp, secondOrder: secondOrder)
    }
    cache.secondOrderValid = secondOrder
  }

  /// Runs the backward pass (without the gradient) on every chunk unless it is current.
  func prepareBackward(_ w: UnsafeBufferPointer<Float>) {
    if cache.backwardValid { return }
    let wp = w.baseAddress!
    Parallel.forEach(chunks.count) { i in self.backward(self.chunks[i], wp, gradient: nil) }
    cache.backwardValid = true
  }

  /// Runs `body(i, target)` for every chunk on both cores, `target` being `out` for chunk 0
  /// and chunk i's own partial buffer of `count` elements otherwise, then adds the partial
  /// buffers into `out` in chunk order.
  /// - Complexity: the cost of the bodies plus O(count · chunks).
  func sumOverChunks(
    count: Int, into out: UnsafeMutablePointer<Float>,
    _ body: (Int, UnsafeMutablePointer<Float>) -> Void
  ) {
    let o = SendablePointer(out)
    Parallel.forEach(chunks.count) { i in body(i, i == 0 ? o.p : self.chunks[i].partial(count)) }
    for i in 1..<max(chunks.count, 1) {
      Dense.add(chunks[i].partialBuffer!.p, into: out, count: count)
    }
  }
}

/// Throws `dimensionMismatch` naming `name` unless `count == expected`.
func checkOut(_ name: String, _ count: Int, _ expected: Int) throws(CurvatureError) {
  if count != expected { throw .dimensionMismatch(name: name, expected: expected, actual: count) }
}
