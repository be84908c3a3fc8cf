import Curvature

/// Token sequences for next-token prediction: N sequences of T + 1 tokens each.
///
/// Sample i feeds tokens `0..<T` of sequence i to a model and asks it to predict tokens
/// `1...T`; `lossMask[t]` says whether the prediction at position t counts in the loss (for
/// example only the answer of an arithmetic problem). Value type; constructors validate.
public struct TokenSequences: Sendable, Hashable {
  /// Tokens, row-major N × (T + 1), each in `0..<vocabularySize`.
  public let tokens: [Int]
  /// The context length T (positions predicted per sequence).
  public let length: Int
  /// The vocabulary size V.
  public let vocabularySize: Int
  /// Which of the T positions count in the loss (at least one).
  public let lossMask: [Bool]
  /// The number of sequences N.
  public var count: Int { tokens.count / (length + 1) }

  /// Creates a data set from N × (T + 1) tokens.
  /// - Throws: `CurvatureError` for `length < 1`, `vocabularySize < 2`, a token count that is
  ///   not a positive multiple of T + 1, a token outside `0..<vocabularySize`, or a mask of the
  ///   wrong length or with no position set.
  /// - Complexity: O(N T).
  public init(tokens: [Int], length: Int, vocabularySize: Int, lossMask: [Bool]? = nil)
    throws(CurvatureError)
  {
    if length < 1 { throw .outOfRange(name: "length", value: Double(length), range: "[1, ∞)") }
    if vocabularySize < 2 {
      throw .outOfRange(name: "vocabularySize", value: Double(vocabularySize), range: "[2, ∞)")
    }
    if tokens.isEmpty || tokens.count % (length + 1) != 0 {
      throw .invalidArgument(
        name: "tokens", reason: "\(tokens.count) tokens is not a positive multiple of \(length + 1)"
      )
    }
    if let i = tokens.firstIndex(where: { $0 < 0 || $0 >= vocabularySize }) {
      throw .invalidArgument(
        name: "tokens", reason: "token \(tokens[i]) at index \(i) is outside 0..<\(vocabularySize)")
    }
    let mask = lossMask ?? [Bool](repeating: true, count: length)
    if mask.count != length {
      throw .dimensionMismatch(name: "lossMask", expected: length, actual: mask.count)
    }
    if !mask.contains(true) { throw .invalidArgument(name: "lossMask", reason: "no position set") }
    self.tokens = tokens
    self.length = length
    self.vocabularySize = vocabularySize
    self.lossMask = mask
  }

  /// The sequences at `indices`, in that order.
  /// - Throws: `CurvatureError.invalidArgument` for an index outside `0..<count`.
  /// - Complexity: O(|indices| T).
  public func subset(_ indices: [Int]) throws(CurvatureError) -> TokenSequences {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw .invalidArgument(name: "indices", reason: "index \(bad) outside 0..<\(count)")
    }
    let w = length + 1
    var t: [Int] = []
    t.reserveCapacity(indices.count * w)
    for i in indices { t.append(contentsOf: tokens[(i * w)..<((i + 1) * w)]) }
    return try TokenSequences(
      tokens: t, length: length, vocabularySize: vocabularySize, lossMask: lossMask)
  }

  /// A seeded random split; both parts non-empty when N ≥ 2 (see ``ClassificationData``).
  /// A single sequence cannot be split: both parts are then that sequence.
  /// - Complexity: O(N T).
  public func split(testFraction: Double, seed: UInt64) -> (
    train: TokenSequences, test: TokenSequences
  ) {
    if count < 2 { return (self, self) }
    var rng = SeededGenerator(seed: seed)
    let perm = rng.permutation(count: count)
    let f = testFraction.isFinite ? min(max(testFraction, 0), 1) : 0
    let nTest = min(max(Int((f * Double(count)).rounded()), 1), count - 1)
    return (try! subset(Array(perm[nTest...])), try! subset(Array(perm[..<nTest])))
  }

  /// Modular addition: sequences `a b = c` with c = (a + b) mod p, over all p² pairs in a
  /// seeded order (or the first `fraction` of them).
  ///
  /// Tokens 0..<p are numbers and p is "="; V = p + 1, T = 3, and only the last position
  /// (predicting c after "=") counts in the loss.
  /// - Throws: `CurvatureError.outOfRange` for `modulus < 2` or `fraction` outside (0, 1].
  /// - Complexity: O(p²).
  public static func modularAddition(modulus p: Int, fraction: Double = 1, seed: UInt64)
    throws(CurvatureError)
    -> TokenSequences
  {
    if p < 2 { throw .outOfRange(name: "modulus", value: Double(p), range: "[2, ∞)") }
    if !(fraction > 0 && fraction <= 1) {
      throw .outOfRange(name: "fraction", value: fraction, range: "(0, 1]")
    }
    var rng = SeededGenerator(seed: seed)
    let perm = rng.permutation(count: p * p)
    let n = max(1, Int((fraction * Double(p * p)).rounded()))
    var t: [Int] = []
    t.reserveCapacity(4 * n)
    for k in perm.prefix(n) {
      let a = k / p
      let b = k % p
      t += [a, b, p, (a + b) % p]
    }
    return try TokenSequences(
      tokens: t, length: 3, vocabularySize: p + 1, lossMask: [false, false, true])
  }

  /// A seeded Markov language: a random transition matrix in which every token has
  /// `branching` possible successors with random probabilities; N sequences of T + 1 tokens
  /// from a uniform start. Every position counts in the loss.
  /// - Throws: `CurvatureError.outOfRange` for `vocabularySize < 2`, `length < 1`,
  ///   `count < 1` or `branching` outside `1...vocabularySize`.
  /// - Complexity: O(V · branching + N T).
  public static func markov(
    vocabularySize v: Int, length: Int, count: Int, branching: Int = 4, seed: UInt64
  ) throws(CurvatureError) -> TokenSequences {
    if v < 2 { throw .outOfRange(name: "vocabularySize", value: Double(v), range: "[2, ∞)") }
    if length < 1 { throw .outOfRange(name: "length", value: Double(length), range: "[1, ∞)") }
    if count < 1 { throw .outOfRange(name: "count", value: Double(count), range: "[1, ∞)") }
    if branching < 1 || branching > v {
      throw .outOfRange(name: "branching", value: Double(branching), range: "[1, \(v)]")
    }
    var rng = SeededGenerator(seed: seed)
    var successors: [[Int]] = []
    var cumulative: [[Double]] = []
    for _ in 0..<v {
      successors.append(Array(rng.permutation(count: v).prefix(branching)))
      let weights = (0..<branching).map { _ in -_logUniform(&rng) }
      let total = weights.reduce(0, +)
      var c = 0.0
      cumulative.append(
        weights.map {
          c += $0 / total
          return c
        })
    }
    var t: [Int] = []
    t.reserveCapacity(count * (length + 1))
    for _ in 0..<count {
      var s = rng.nextInt(below: v)
      t.append(s)
      for _ in 0..<length {
        let u = rng.nextUniform()
        let k = cumulative[s].firstIndex(where: { u < $0 }) ?? (branching - 1)
        s = successors[s][k]
        t.append(s)
      }
    }
    return try TokenSequences(tokens: t, length: length, vocabularySize: v)
  }
}

/// log(u) for a uniform u in (0, 1).
private func _logUniform(_ rng: inout SeededGenerator) -> Double {
  var u = rng.nextUniform()
  while u == 0 { u = rng.nextUniform() }
  return _logDouble(u)
}
