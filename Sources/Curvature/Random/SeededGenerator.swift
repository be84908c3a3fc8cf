/// A seeded, platform-independent pseudo-random generator (xoshiro256**).
///
/// The same seed gives the same stream on every machine and OS: the state is seeded by
/// SplitMix64, and Gaussian variates use the Marsaglia polar method evaluated in `Double` with a
/// portable logarithm (only +, −, ×, ÷ and √, which IEEE 754 rounds identically everywhere).
/// The whole state is a value (four `UInt64`s and an optional cached Gaussian), so it can be
/// checkpointed with `Codable` and restored to continue the stream exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable, Codable {
  @usableFromInline var s0: UInt64
  @usableFromInline var s1: UInt64
  @usableFromInline var s2: UInt64
  @usableFromInline var s3: UInt64
  /// A cached second Gaussian variate from the polar method, if any.
  public var spareGaussian: Double?

  /// The four 64-bit words of xoshiro256** state.
  ///
  /// Setting it requires exactly four words, not all zero (a precondition; use
  /// ``init(state:spareGaussian:)`` to validate untrusted values).
  public var state: [UInt64] {
    get { [s0, s1, s2, s3] }
    set {
      precondition(Self.isValid(newValue), "state: expected four words, not all zero")
      (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
    }
  }

  /// Creates a generator from a 64-bit seed (expanded with SplitMix64; every seed is valid).
  /// - Complexity: O(1).
  public init(seed: UInt64) {
    var x = seed
    func splitmix(_ x: inout UInt64) -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitmix(&x)
    s1 = splitmix(&x)
    s2 = splitmix(&x)
    s3 = splitmix(&x)
    spareGaussian = nil
  }

  /// Restores a generator from saved state words.
  /// - Throws: `CurvatureError.invalidArgument` unless `state` has four words, not all zero,
  ///   and `spareGaussian` is finite when present.
  /// - Complexity: O(1).
  public init(state: [UInt64], spareGaussian: Double? = nil) throws(CurvatureError) {
    guard Self.isValid(state) else {
      throw .invalidArgument(name: "state", reason: "expected four words, not all zero")
    }
    if let g = spareGaussian, !g.isFinite {
      throw .nonFinite(name: "spareGaussian", index: 0)
    }
    (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    self.spareGaussian = spareGaussian
  }

  private static func isValid(_ state: [UInt64]) -> Bool {
    state.count == 4 && state.contains { $0 != 0 }
  }

  private enum CodingKeys: String, CodingKey {
    case state
    case spareGaussian
  }

  /// Decodes a checkpointed generator (the keys `state` and `spareGaussian`).
  /// - Throws: `DecodingError.dataCorrupted` for an invalid state.
  /// - Complexity: O(1).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let words = try c.decode([UInt64].self, forKey: .state)
    let spare = try c.decodeIfPresent(Double.self, forKey: .spareGaussian)
    do { try self.init(state: words, spareGaussian: spare) } catch {
      throw DecodingError.dataCorrupted(
        .init(codingPath: c.codingPath, debugDescription: error.description))
    }
  }

  /// Encodes the state words and the cached Gaussian (if any). - Complexity: O(1).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(state, forKey: .state)
    try c.encodeIfPresent(spareGaussian, forKey: .spareGaussian)
  }

  /// The next 64 random bits. - Complexity: O(1).
  @inlinable
  public mutating func next() -> UInt64 {
    let m = s1 &* 5
    let result = (m << 7 | m >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 45) | (s3 >> 19)
    return result
  }

  /// A uniform `Double` in [0, 1) with 53 random bits. - Complexity: O(1).
  @inlinable
  public mutating func nextUniform() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A standard normal variate (mean 0, variance 1). - Complexity: O(1) expected.
  public mutating func nextGaussian() -> Double {
    if let g = spareGaussian {
      spareGaussian = nil
      return g
    }
    while true {
      let u = 2 * nextUniform() - 1
      let v = 2 * nextUniform() - 1
      let s = u * u + v * v
      if s > 0 && s < 1 {
        let f = (-2 * _log(s) / s).squareRoot()
        spareGaussian = v * f
        return u * f
      }
    }
  }

  /// A Rademacher variate: ±1 with equal probability (the top bit of ``next()``).
  /// - Complexity: O(1).
  @inlinable
  public mutating func nextRademacher() -> Float {
    (next() >> 63) == 0 ? 1 : -1
  }

  /// A vector of `count` independent N(0, σ²) variates.
  /// - Complexity: O(count).
  public mutating func gaussianVector(count: Int, standardDeviation: Double = 1) -> [Float] {
    (0..<Swift.max(0, count)).map { _ in Float(nextGaussian() * standardDeviation) }
  }

  /// A vector of `count` independent variates uniform on [−1, 1), on a grid of 2⁻²³ (one
  /// ``next()`` each, where ``gaussianVector(count:standardDeviation:)`` takes a rejection loop
  /// and a logarithm per pair).
  /// - Complexity: O(count).
  public mutating func uniformVector(count: Int) -> [Float] {
    (0..<Swift.max(0, count)).map { _ in
      Float(Int64(bitPattern: next()) >> 40) * 0x1p-23
    }
  }

  /// A vector of `count` independent Rademacher (±1) variates.
  /// - Complexity: O(count).
  public mutating func rademacherVector(count: Int) -> [Float] {
    (0..<Swift.max(0, count)).map { _ in nextRademacher() }
  }

  /// A uniform integer in `0..<upperBound` (unbiased, by rejection; `upperBound > 0` is a
  /// precondition). - Complexity: O(1) expected.
  public mutating func nextInt(below upperBound: Int) -> Int {
    precondition(upperBound > 0)
    let bound = UInt64(upperBound)
    let threshold = (0 &- bound) % bound
    while true {
      let r = next()
      if r >= threshold { return Int(r % bound) }
    }
  }

  /// A uniformly random permutation of `0..<count` (Fisher–Yates; a negative count gives
  /// an empty array). - Complexity: O(count).
  public mutating func permutation(count: Int) -> [Int] {
    if count <= 0 { return [] }
    var p = Array(0..<count)
    if count < 2 { return p }
    for i in stride(from: count - 1, to: 0, by: -1) {
      let j = nextInt(below: i + 1)
      p.swapAt(i, j)
    }
    return p
  }
}

/// Natural logarithm in portable Swift (no libm), so Gaussian streams are bit-identical across
/// platforms. Accurate to a few ulps for positive normal inputs.
@usableFromInline
func _log(_ x: Double) -> Double {
  precondition(x > 0 && x.isFinite)
  // x = m · 2^e with m in [√½, √2)
  var e = Double(x.exponent)
  var m = x.significand  // [1, 2)
  if m > 1.4142135623730951 {
    m /= 2
    e += 1
  }
  // log(m) = 2 atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716
  let s = (m - 1) / (m + 1)
  let s2 = s * s
  var term = s
  var sum = 0.0
  var k = 1.0
  while true {
    let add = term / k
    sum += add
    if abs(add) < 1e-18 * abs(sum) || k > 60 { break }
    term *= s2
    k += 2
  }
  return 2 * sum + e * 0.6931471805599453
}
