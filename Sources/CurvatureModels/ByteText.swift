import Curvature
import Foundation

/// A text for a byte-level language model: its bytes, the vocabulary of the bytes that occur,
/// and seeded windows of T + 1 tokens as ``TokenSequences`` for a ``Transformer``.
///
/// Token i is the i-th smallest byte value occurring in the text, so V is the number of
/// distinct bytes (at most 256) and every window of every part of the text uses the same
/// vocabulary. Value type; the initializer validates.
public struct ByteText: Sendable, Hashable {
  /// The text's bytes.
  public let bytes: [UInt8]
  /// The distinct bytes of the text in increasing order; token i stands for `vocabulary[i]`.
  public let vocabulary: [UInt8]
  /// The text as tokens (one per byte, each in `0..<vocabularySize`).
  public let tokens: [Int]
  /// The number of distinct bytes V.
  public var vocabularySize: Int { vocabulary.count }
  /// The number of bytes.
  public var count: Int { bytes.count }

  /// The default context length T of ``windows(length:count:seed:within:)``.
  public static let defaultLength = 32

  /// Creates a text from its bytes.
  /// - Throws: `CurvatureError.invalidArgument` for an empty text or a text of one distinct
  ///   byte (a vocabulary of one token has nothing to predict).
  /// - Complexity: O(n).
  public init(bytes: [UInt8], name: String = "text") throws(CurvatureError) {
    if bytes.isEmpty { throw .invalidArgument(name: name, reason: "the text is empty") }
    var present = [Bool](repeating: false, count: 256)
    for b in bytes { present[Int(b)] = true }
    let vocabulary = (0..<256).filter { present[$0] }.map { UInt8($0) }
    if vocabulary.count < 2 {
      throw .invalidArgument(
        name: name,
        reason:
          "the text has a vocabulary of one byte (\(vocabulary[0])); a language model needs at least 2"
      )
    }
    var index = [Int](repeating: -1, count: 256)
    for (i, b) in vocabulary.enumerated() { index[Int(b)] = i }
    self.bytes = bytes
    self.vocabulary = vocabulary
    self.tokens = bytes.map { index[Int($0)] }
  }

  /// Reads the text of the file at `path`.
  /// - Throws: `CurvatureError.fileSystem` if it cannot be read, otherwise as
  ///   ``init(bytes:name:)`` (naming the path).
  /// - Complexity: O(n).
  public init(contentsOf path: String) throws(CurvatureError) {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw .fileSystem(path: path, reason: "cannot read: \(error.localizedDescription)")
    }
    try self.init(bytes: [UInt8](data), name: path)
  }

  /// The bundled excerpt of Ambrose Bierce's *The Devil's Dictionary* (1911, public domain):
  /// 47,086 bytes of English prose, 79 distinct bytes.
  /// - Throws: `CurvatureError.malformedFile` if the bundled resource is missing.
  /// - Complexity: O(n).
  public static func devilsDictionary() throws -> ByteText {
    guard let url = Bundle.module.url(forResource: "devils-dictionary", withExtension: "txt"),
      let data = try? Data(contentsOf: url)
    else {
      throw CurvatureError.malformedFile(
        path: "devils-dictionary.txt", reason: "bundled resource not found")
    }
    return try ByteText(bytes: [UInt8](data), name: "devils-dictionary.txt")
  }

  /// The entropy of the byte frequencies, −Σ p(b) log p(b), in nats: the cross-entropy of the
  /// best model that ignores context, the baseline a language model must beat.
  /// - Parameter range: the bytes counted (default: all).
  /// - Complexity: O(|range|).
  public func unigramEntropy(of range: Range<Int>? = nil) -> Double {
    let r = range?.clamped(to: 0..<count) ?? 0..<count
    if r.isEmpty { return 0 }
    var counts = [Int](repeating: 0, count: vocabularySize)
    for i in r { counts[tokens[i]] += 1 }
    let n = Double(r.count)
    var h = 0.0
    for c in counts where c > 0 {
      let p = Double(c) / n
      h -= p * Foundation.log(p)
    }
    return h
  }

  /// Seeded windows of `length + 1` consecutive tokens from the bytes in `range`, as next-token
  /// sequences (every position counts in the loss) over the whole text's vocabulary.
  ///
  /// The windows start at distinct offsets drawn without replacement (seeded) from every
  /// offset in `range` that leaves room for T + 1 tokens, in the order drawn; `count` defaults
  /// to the number of disjoint windows the range holds, ⌊n / (T + 1)⌋ (at least 2), capped at
  /// the number of offsets.
  /// - Throws: `CurvatureError.outOfRange` for `length < 1` or `count < 1`, and
  ///   `CurvatureError.invalidArgument` when the range holds fewer than T + 2 bytes (too few
  ///   for two distinct windows).
  /// - Complexity: O(n + N T) for n bytes in the range and N windows.
  public func windows(
    length: Int = ByteText.defaultLength, count: Int? = nil, seed: UInt64,
    within range: Range<Int>? = nil
  )
    throws(CurvatureError) -> TokenSequences
  {
    if length < 1 { throw .outOfRange(name: "length", value: Double(length), range: "[1, ∞)") }
    if let count, count < 1 {
      throw .outOfRange(name: "count", value: Double(count), range: "[1, ∞)")
    }
    let r = range?.clamped(to: 0..<self.count) ?? 0..<self.count
    if r.count < length + 2 {
      throw .invalidArgument(
        name: "text",
        reason:
          "\(r.count) bytes is too short for windows of T + 1 = \(length + 1) bytes (need at least T + 2 = \(length + 2))"
      )
    }
    let offsets = r.count - length
    let n = min(count ?? max(2, r.count / (length + 1)), offsets)
    var rng = SeededGenerator(seed: seed)
    // A partial Fisher–Yates shuffle of the offsets: the first n draws, without replacement.
    var pool = Array(0..<offsets)
    var t: [Int] = []
    t.reserveCapacity(n * (length + 1))
    for i in 0..<n {
      let j = i + rng.nextInt(below: offsets - i)
      pool.swapAt(i, j)
      let start = r.lowerBound + pool[i]
      t.append(contentsOf: tokens[start...(start + length)])
    }
    return try TokenSequences(tokens: t, length: length, vocabularySize: vocabularySize)
  }

  /// The bytes of `tokens` (the inverse of the vocabulary map), for showing samples.
  /// - Complexity: O(|tokens|).
  public func decode(_ tokens: [Int]) -> [UInt8] {
    tokens.map { vocabulary[min(max($0, 0), vocabularySize - 1)] }
  }
}
