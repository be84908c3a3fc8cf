/// The one error type thrown by Curvature's public API.
///
/// Every case names the offending argument (or file) and the problem, so a message such as
/// `gradient: expected 1,024 elements, got 1,000` can be shown to a user unchanged.
/// Throwing APIs leave their inputs and any state they own unchanged.
public enum CurvatureError: Error, Equatable, Sendable, CustomStringConvertible {
  /// An argument is invalid for a reason described in `reason`.
  case invalidArgument(name: String, reason: String)
  /// A buffer or matrix has the wrong size.
  case dimensionMismatch(name: String, expected: Int, actual: Int)
  /// A value that must be finite is NaN or infinite (`index` is the first offending element).
  case nonFinite(name: String, index: Int)
  /// A scalar lies outside its documented range.
  case outOfRange(name: String, value: Double, range: String)
  /// A file is not a well-formed file of the expected kind.
  case malformedFile(path: String, reason: String)
  /// A file could not be read or written.
  case fileSystem(path: String, reason: String)
  /// A feature is not supported by this object (e.g. a model without Gauss–Newton products).
  case unsupported(String)
  /// Training or an iterative method produced non-finite values or blew up.
  case diverged(reason: String)

  public var description: String {
    switch self {
    case .invalidArgument(let name, let reason): return "\(name): \(reason)"
    case .dimensionMismatch(let name, let expected, let actual):
      return "\(name): expected \(expected) elements, got \(actual)"
    case .nonFinite(let name, let index): return "\(name): non-finite value at index \(index)"
    case .outOfRange(let name, let value, let range): return "\(name): \(value) is outside \(range)"
    case .malformedFile(let path, let reason): return "\(path): malformed file: \(reason)"
    case .fileSystem(let path, let reason): return "\(path): \(reason)"
    case .unsupported(let what): return "unsupported: \(what)"
    case .diverged(let reason): return "diverged: \(reason)"
    }
  }
}

/// Argument checks shared by the public entry points.
@usableFromInline
enum Validate {
  /// Throws `.dimensionMismatch` unless `count == expected`.
  @inlinable
  static func count(_ name: String, _ count: Int, _ expected: Int) throws(CurvatureError) {
    if count != expected {
      throw .dimensionMismatch(name: name, expected: expected, actual: count)
    }
  }

  /// Throws `.nonFinite` naming the first NaN/Inf element.
  @inlinable
  static func finite<C: Collection>(_ name: String, _ values: C) throws(CurvatureError)
  where C.Element: BinaryFloatingPoint {
    var i = 0
    for v in values {
      if !v.isFinite { throw .nonFinite(name: name, index: i) }
      i += 1
    }
  }

  /// Throws `.outOfRange` unless `value` is finite and `value > 0`.
  @inlinable
  static func positive(_ name: String, _ value: Double) throws(CurvatureError) {
    if !(value > 0) || !value.isFinite {
      throw .outOfRange(name: name, value: value, range: "(0, ∞)")
    }
  }
}
