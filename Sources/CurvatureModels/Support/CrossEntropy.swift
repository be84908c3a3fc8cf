/// Numerically stable softmax cross-entropy on rows of logits.
enum CrossEntropy {
  /// For each row: loss = logsumexp(z) − z[label] (max-shifted, accumulated in Double, so
  /// logits of any finite size give finite results) and the softmax probabilities into `probs`.
  /// - Complexity: O(rows · classes).
  static func forward(
    logits: UnsafePointer<Float>, rows: Int, classes: Int, labels: UnsafePointer<Int32>,
    probs: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Double>
  ) {
    for r in 0..<rows {
      let z = logits + r * classes
      let p = probs + r * classes
      var m = -Float.infinity
      for c in 0..<classes where z[c] > m { m = z[c] }
      var s = 0.0
      var c = 0
      while c < classes {
        let w = min(16, classes - c)
        let e = VectorMath.expNonPositive(VectorMath.load(z + c, w) - m)
        VectorMath.store(e, p + c, w)
        for l in 0..<w { s += Double(e[l]) }
        c += 16
      }
      let inv = Float(1 / s)
      for c in 0..<classes { p[c] *= inv }
      let y = Int(labels[r])
      losses[r] = Double(m) + _logDouble(s) - Double(z[y])
    }
  }
}

/// Natural logarithm of a positive finite Double (no libm): argument reduction and atanh series.
@inline(__always)
func _logDouble(_ x: Double) -> Double {
  var e = Double(x.exponent)
  var m = x.significand
  if m > 1.4142135623730951 {
    m /= 2
    e += 1
  }
  let s = (m - 1) / (m + 1)
  let s2 = s * s
  // atanh series to s^21: |s| ≤ 0.1716 gives < 1e-17 relative truncation.
  var p = 1.0 / 21
  var k = 19.0
  while k >= 1 {
    p = p * s2 + 1 / k
    k -= 2
  }
  return 2 * s * p + e * 0.6931471805599453
}
