/// A seeded, platform-independent pseudo-random generator (xoshiro256**).
///
/// The same seed gives the same stream on every machine and OS: the state is seeded by
/// SplitMix64, and Gaussian variates use the Marsaglia polar method evaluated in `Double`.
/// The whole state is a value (four `UInt64`s), so it can be checkpointed and restored exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable, Codable {
  /// The four 64-bit words of xoshiro256** state.
  public var state: [UInt64]
  /// A cached second Gaussian variate from the polar method, if any.
  public var spareGaussian: Double?

  /// Creates a generator from a 64-bit seed (expanded with SplitMix64).
  public init(seed: UInt64) {
    var s = seed
    func splitmix(_ x: inout UInt64) -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = [splitmix(&s), splitmix(&s), splitmix(&s), splitmix(&s)]
    spareGaussian = nil
  }

  /// The next 64 random bits.
  @inlinable
  public mutating func next() -> UInt64 {
    let result = ((state[1] &* 5) << 7 | (state[1] &* 5) >> 57) &* 9
    let t = state[1] << 17
    state[2] ^= state[0]
    state[3] ^= state[1]
    state[1] ^= state[2]
    state[0] ^= state[3]
    state[2] ^= t
    state[3] = (state[3] << 45) | (state[3] >> 19)
    return result
  }

  /// A uniform `Double` in [0, 1) with 53 random bits.
  @inlinable
  public mutating func nextUniform() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A standard normal variate (mean 0, variance 1).
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

  /// A Rademacher variate: ±1 with equal probability.
  @inlinable
  public mutating func nextRademacher() -> Float {
    (next() >> 63) == 0 ? 1 : -1
  }

  /// A vector of `count` independent N(0, σ²) variates.
  /// - Complexity: O(count).
  public mutating func gaussianVector(count: Int, standardDeviation: Double = 1) -> [Float] {
    (0..<count).map { _ in Float(nextGaussian() * standardDeviation) }
  }

  /// A vector of `count` independent Rademacher (±1) variates.
  /// - Complexity: O(count).
  public mutating func rademacherVector(count: Int) -> [Float] {
    (0..<count).map { _ in nextRademacher() }
  }

  /// A uniform integer in `0..<upperBound` (unbiased, by rejection).
  public mutating func nextInt(below upperBound: Int) -> Int {
    precondition(upperBound > 0)
    let bound = UInt64(upperBound)
    let threshold = (0 &- bound) % bound
    while true {
      let r = next()
      if r >= threshold { return Int(r % bound) }
    }
  }

  /// A uniformly random permutation of `0..<count` (Fisher–Yates).
  public mutating func permutation(count: Int) -> [Int] {
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
