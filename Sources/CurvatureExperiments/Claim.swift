import Foundation

/// One checkable statement of a paper: what the paper says, what we measured, and the
/// acceptance threshold fixed in code before the run (with where it comes from).
public struct Claim: Sendable, Equatable {
  /// How a measured value is compared with the threshold.
  public enum Threshold: Sendable, Equatable, CustomStringConvertible {
    /// measured ≥ value.
    case atLeast(Double)
    /// measured > value.
    case above(Double)
    /// measured ≤ value.
    case atMost(Double)
    /// measured < value.
    case below(Double)
    /// lower ≤ measured ≤ upper.
    case between(Double, Double)
    /// measured < lower or measured > upper.
    case outside(Double, Double)

    /// Whether `x` passes (a non-finite value never does).
    /// - Complexity: O(1).
    public func accepts(_ x: Double) -> Bool {
      guard x.isFinite else { return false }
      switch self {
      case .atLeast(let v): return x >= v
      case .above(let v): return x > v
      case .atMost(let v): return x <= v
      case .below(let v): return x < v
      case .between(let a, let b): return x >= a && x <= b
      case .outside(let a, let b): return x < a || x > b
      }
    }

    /// "≥ 0.5", "in [0.8, 1.25]", ...
    public var description: String {
      switch self {
      case .atLeast(let v): return "≥ \(Claim.format(v))"
      case .above(let v): return "> \(Claim.format(v))"
      case .atMost(let v): return "≤ \(Claim.format(v))"
      case .below(let v): return "< \(Claim.format(v))"
      case .between(let a, let b): return "in [\(Claim.format(a)), \(Claim.format(b))]"
      case .outside(let a, let b): return "outside [\(Claim.format(a)), \(Claim.format(b))]"
      }
    }
  }

  /// A stable identifier (`outlier_gap`, `slope`, ...).
  public var id: String
  /// The statement being checked, in words.
  public var statement: String
  /// What the paper reports (a number with its setting, or "qualitative").
  public var paperValue: String
  /// The measured value (units in ``quantification``).
  public var measured: Double
  /// The acceptance threshold on ``measured``, fixed before the run.
  public var threshold: Threshold
  /// Where the threshold comes from (the paper, a theorem, or our reading of a qualitative
  /// statement).
  public var thresholdSource: String
  /// How the statement is turned into a number, and what the number is.
  public var quantification: String
  /// A condition that must also hold (e.g. "the unguarded run diverged"), with its outcome.
  public var precondition: (description: String, met: Bool)?

  /// Creates a claim.
  /// - Complexity: O(1).
  public init(
    id: String, statement: String, paperValue: String, measured: Double, threshold: Threshold,
    thresholdSource: String, quantification: String,
    precondition: (description: String, met: Bool)? = nil
  ) {
    self.id = id
    self.statement = statement
    self.paperValue = paperValue
    self.measured = measured
    self.threshold = threshold
    self.thresholdSource = thresholdSource
    self.quantification = quantification
    self.precondition = precondition
  }

  /// Whether the measured value passes the threshold (and the precondition, if any, was met).
  public var holds: Bool { threshold.accepts(measured) && (precondition?.met ?? true) }

  public static func == (a: Claim, b: Claim) -> Bool {
    a.id == b.id && a.statement == b.statement && a.paperValue == b.paperValue
      && a.measured.bitPattern == b.measured.bitPattern && a.threshold == b.threshold
      && a.thresholdSource == b.thresholdSource && a.quantification == b.quantification
      && a.precondition?.description == b.precondition?.description
      && a.precondition?.met == b.precondition?.met
  }

  /// A compact decimal rendering (4 significant digits).
  /// - Complexity: O(1).
  public static func format(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "NaN" : (x > 0 ? "∞" : "−∞") }
    if x == 0 { return "0" }
    let a = abs(x)
    if x == x.rounded() && a < 1e9 { return String(Int(x)) }
    if a >= 1e-3 && a < 1e4 { return String(format: "%.4g", x) }
    return String(format: "%.3e", x)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
