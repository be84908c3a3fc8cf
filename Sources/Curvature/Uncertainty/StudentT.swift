import Foundation

/// Student's t distribution: the quantiles that turn a standard error estimated from ν + 1
/// groups into a confidence interval.
public enum StudentT {
  /// The cumulative distribution function P(T ≤ t) with `degreesOfFreedom` ν ≥ 1.
  ///
  /// Uses P(T ≤ t) = 1 − ½ I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0 (and symmetry), with the regularised
  /// incomplete beta function evaluated by its continued fraction (modified Lentz), accurate to
  /// about 1e-12. - Complexity: O(1) (at most 300 continued-fraction terms).
  public static func cumulativeProbability(_ t: Double, degreesOfFreedom nu: Int) -> Double {
    precondition(nu >= 1, "StudentT: degrees of freedom must be at least 1")
    if t.isNaN { return .nan }
    if t.isInfinite { return t > 0 ? 1 : 0 }
    let v = Double(nu)
    let tail = 0.5 * regularizedIncompleteBeta(v / (v + t * t), a: v / 2, b: 0.5)
    return t >= 0 ? 1 - tail : tail
  }

  /// The quantile t with P(T ≤ t) = `p`, for p in (0, 1) and ν ≥ 1 (bisection to 1e-12 relative
  /// on the CDF). - Complexity: O(1) (about 100 CDF evaluations).
  public static func quantile(_ p: Double, degreesOfFreedom nu: Int) -> Double {
    precondition(p > 0 && p < 1, "StudentT: probability must lie in (0, 1)")
    precondition(nu >= 1, "StudentT: degrees of freedom must be at least 1")
    if p == 0.5 { return 0 }
    if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: nu) }
    var lo = 0.0
    var hi = 1.0
    while cumulativeProbability(hi, degreesOfFreedom: nu) < p && hi < 1e300 { hi *= 2 }
    for _ in 0..<200 {
      let mid = 0.5 * (lo + hi)
      if cumulativeProbability(mid, degreesOfFreedom: nu) < p { lo = mid } else { hi = mid }
      if hi - lo <= 1e-13 * hi { break }
    }
    return 0.5 * (lo + hi)
  }

  /// The two-sided multiplier t_{ν, (1 + C)/2} of a central interval at confidence C ∈ (0, 1).
  public static func twoSidedMultiplier(confidence: Double, degreesOfFreedom nu: Int) -> Double {
    quantile(0.5 * (1 + confidence), degreesOfFreedom: nu)
  }

  /// I_x(a, b), the regularised incomplete beta function, for x in [0, 1] and a, b > 0.
  static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let logBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
    let logPowers: Double = a * log(x) + b * log(1 - x)
    let logFront = logBeta + logPowers
    let front = exp(logFront)
    if x < (a + 1) / (a + b + 2) {
      return front * betaContinuedFraction(x, a: a, b: b) / a
    }
    return 1 - front * betaContinuedFraction(1 - x, a: b, b: a) / b
  }

  /// The continued fraction of I_x(a, b) (Lentz's method).
  private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1...300 {
      let m = Double(m)
      let m2 = 2 * m
      var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
      d = 1 + aa * d
      if abs(d) < tiny { d = tiny }
      c = 1 + aa / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      h *= d * c
      aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
      d = 1 + aa * d
      if abs(d) < tiny { d = tiny }
      c = 1 + aa / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < 1e-15 { break }
    }
    return h
  }
}
