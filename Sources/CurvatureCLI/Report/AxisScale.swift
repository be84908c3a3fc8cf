import Foundation

/// A plot axis: linear or logarithmic, with a "nice" domain and tick marks.
struct AxisScale: Equatable {
  /// Whether values map through log₁₀.
  var logarithmic: Bool
  /// The domain after snapping outward to nice values (both > 0 when logarithmic).
  var lower: Double
  var upper: Double
  /// Tick positions in data units, ascending, inside the domain.
  var ticks: [Double]

  /// Chooses a domain and ticks covering `values` (non-finite values, and non-positive ones on a
  /// log axis, are ignored). `include` values (e.g. a reference line) widen the domain.
  /// With nothing to show, the domain is [0, 1] (or [1, 10]).
  static func fitting(
    _ values: [Double], logarithmic: Bool, include: [Double] = [], targetTicks: Int = 5
  )
    -> AxisScale
  {
    let usable = (values + include).filter { $0.isFinite && (!logarithmic || $0 > 0) }
    guard var lo = usable.min(), var hi = usable.max() else {
      return logarithmic ? logTicks(1, 10) : linearTicks(0, 1, target: targetTicks)
    }
    if logarithmic {
      if hi / lo < 1.000001 {
        lo /= 2
        hi *= 2
      }
      return logTicks(lo, hi)
    }
    if hi - lo <= abs(hi) * 1e-9 {
      let pad = hi == 0 ? 1 : abs(hi) * 0.1
      lo -= pad
      hi += pad
    }
    return linearTicks(lo, hi, target: targetTicks)
  }

  /// The nice step ≥ span/target among 1, 2, 2.5, 5 × 10ⁿ, as an integer mantissa and a
  /// power of ten (so tick values can be computed without accumulating rounding error).
  static func niceStep(_ span: Double, target: Int) -> (mantissa: Int, exponent: Int) {
    let raw = span / Double(max(1, target))
    var exponent = Int(floor(log10(raw)))
    for m in [10, 20, 25, 50, 100]
    where Double(m) / 10 * pow(10, Double(exponent)) >= raw * 0.999_999 {
      exponent -= 1
      var mantissa = m
      while mantissa % 10 == 0 {
        mantissa /= 10
        exponent += 1
      }
      return (mantissa, exponent)
    }
    return (1, exponent + 1)
  }

  /// n · mantissa · 10^exponent, rounded once.
  static func multiple(_ n: Int, _ step: (mantissa: Int, exponent: Int)) -> Double {
    let whole = Double(n * step.mantissa)
    return step.exponent >= 0
      ? whole * pow(10, Double(step.exponent)) : whole / pow(10, Double(-step.exponent))
  }

  static func linearTicks(_ lo: Double, _ hi: Double, target: Int) -> AxisScale {
    let step = niceStep(hi - lo, target: target)
    let size = multiple(1, step)
    let first = Int(floor(lo / size + 1e-9))
    let last = Int(ceil(hi / size - 1e-9))
    let ticks = (first...max(first, last)).map { multiple($0, step) }
    return AxisScale(logarithmic: false, lower: ticks.first!, upper: ticks.last!, ticks: ticks)
  }

  static func logTicks(_ lo: Double, _ hi: Double) -> AxisScale {
    let decades = log10(hi) - log10(lo)
    // Mantissas used for ticks, densest first when the range is narrow.
    let mantissaSets: [[Double]] =
      decades > 2.2
      ? [[1]] : decades > 0.9 ? [[1, 2, 5], [1, 3]] : [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]
    var best: AxisScale?
    for mantissas in mantissaSets {
      var candidates: [Double] = []
      let e0 = Int(floor(log10(lo))) - 1
      let e1 = Int(ceil(log10(hi))) + 1
      for e in e0...e1 {
        for m in mantissas { candidates.append(m * pow(10, Double(e))) }
      }
      candidates.sort()
      let lower = candidates.last { $0 <= lo * (1 + 1e-12) } ?? lo
      let upper = candidates.first { $0 >= hi * (1 - 1e-12) } ?? hi
      var ticks = candidates.filter { $0 >= lower * (1 - 1e-12) && $0 <= upper * (1 + 1e-12) }
      if ticks.count > 8 {
        // Too many decades: keep every n-th decade.
        let stride = Int(ceil(Double(ticks.count) / 7))
        let e = ticks.map { Int(log10($0).rounded()) }
        ticks = zip(ticks, e).filter { $0.1 % stride == 0 }.map(\.0)
      }
      let scale = AxisScale(logarithmic: true, lower: lower, upper: upper, ticks: ticks)
      if ticks.count >= 3 { return scale }
      if best == nil { best = scale }
    }
    return best!
  }

  /// The position of `value` in [0, 1] along the axis (outside for values beyond the domain).
  func fraction(_ value: Double) -> Double {
    if logarithmic {
      return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
    }
    return (value - lower) / (upper - lower)
  }

  /// Whether `value` can be drawn on this axis.
  func accepts(_ value: Double) -> Bool { value.isFinite && (!logarithmic || value > 0) }

  /// Tick labels: decades as 10ⁿ on wide log axes, otherwise compact decimals.
  var labels: [String] {
    let step = ticks.count > 1 ? zip(ticks.dropFirst(), ticks).map { $0 - $1 }.min()! : 1
    let labels = ticks.map { AxisScale.label($0, logarithmic: logarithmic, step: step) }
    // On a log axis, write every power of ten as 10ⁿ once any of them needs it.
    let decadesOnly = ticks.allSatisfy { abs(log10($0) - log10($0).rounded()) < 1e-9 }
    if logarithmic, decadesOnly,
      labels.contains(where: { $0.contains { "⁰¹²³⁴⁵⁶⁷⁸⁹⁻".contains($0) } })
    {
      return zip(ticks, labels).map { t, label in
        let e = log10(t)
        return abs(e - e.rounded()) < 1e-9 ? "10" + AxisScale.superscript(Int(e.rounded())) : label
      }
    }
    return labels
  }

  static func label(_ value: Double, logarithmic: Bool, step: Double) -> String {
    if value == 0 { return "0" }
    let magnitude = abs(value)
    let exponent = Int(floor(log10(magnitude) + 1e-9))
    let mantissa = value / pow(10, Double(exponent))
    if logarithmic {
      if exponent <= -3 || exponent >= 5 {
        let m =
          abs(mantissa - mantissa.rounded()) < 1e-6
          ? String(Int(mantissa.rounded())) : trim(mantissa, 1)
        return (m == "1" ? "" : m + "×") + "10" + superscript(exponent)
      }
      return trim(value, max(0, -exponent))
    }
    if magnitude >= 1e5 || magnitude < 1e-3 {
      let stepExponent = Int(floor(log10(step) + 1e-9))
      let digits = max(0, exponent - stepExponent)
      return trim(mantissa, min(digits, 3)) + "×10" + superscript(exponent)
    }
    let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
    return trim(value, min(decimals + 1, 6))
  }

  /// Fixed decimals with trailing zeros removed.
  static func trim(_ value: Double, _ decimals: Int) -> String {
    var s = String(format: "%.\(decimals)f", value)
    if s.contains(".") {
      while s.hasSuffix("0") { s.removeLast() }
      if s.hasSuffix(".") { s.removeLast() }
    }
    if s == "-0" { s = "0" }
    return s.replacingOccurrences(of: "-", with: "−")
  }

  static func superscript(_ n: Int) -> String {
    let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
    var s = n < 0 ? "⁻" : ""
    for c in String(abs(n)) { s.append(digits[Int(String(c))!]) }
    return s
  }
}
