/// A number that cannot be written as JSON (NaN or ±∞), with the path to it.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Where the value sits, e.g. `runs[2].losses[17]`.
  public var path: String
  /// The offending value.
  public var value: Double
  public var description: String {
    "non-finite number \(value) at \(path.isEmpty ? "top level" : path)"
  }
}

/// A JSON value with ordered object keys; serialises compactly and refuses non-finite numbers.
///
/// Literals work: `let v: JSONValue = ["k": 10, "eigenvalues": .numbers([3.1, 2.0])]`.
public indirect enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int)
  case number(Double)
  case string(String)
  case array([JSONValue])
  /// Keys in insertion order (duplicates are the caller's responsibility).
  case object([(String, JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// An array of reals.
  public static func numbers<S: Sequence>(_ values: S) -> JSONValue
  where S.Element: BinaryFloatingPoint {
    .array(values.map { .number(Double($0)) })
  }
  /// An array of integers.
  public static func ints<S: Sequence>(_ values: S) -> JSONValue where S.Element == Int {
    .array(values.map { .int($0) })
  }
  /// An array of strings.
  public static func strings<S: Sequence>(_ values: S) -> JSONValue where S.Element == String {
    .array(values.map { .string($0) })
  }
  /// An array of booleans.
  public static func bools<S: Sequence>(_ values: S) -> JSONValue where S.Element == Bool {
    .array(values.map { .bool($0) })
  }

  /// Compact JSON text.
  /// - Throws: `JSONError` naming the first NaN or infinite number.
  /// - Complexity: O(size of the value).
  public func serialized() throws(JSONError) -> String {
    var out = ""
    try write(into: &out, path: "")
    return out
  }

  private func write(into out: inout String, path: String) throws(JSONError) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .number(let x):
      guard x.isFinite else { throw JSONError(path: path, value: x) }
      out += JSONValue.format(x)
    case .string(let s): JSONValue.quote(s, into: &out)
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        try item.write(into: &out, path: "\(path)[\(i)]")
      }
      out += "]"
    case .object(let pairs):
      out += "{"
      for (i, (key, value)) in pairs.enumerated() {
        if i > 0 { out += "," }
        JSONValue.quote(key, into: &out)
        out += ":"
        try value.write(into: &out, path: path.isEmpty ? key : "\(path).\(key)")
      }
      out += "}"
    }
  }

  /// Shortest round-tripping text for a finite double, always valid JSON.
  static func format(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"  // Swift's description: shortest round-trip, e.g. 0.1, 1e-05, 2.5e+20
  }

  static func quote(_ s: String, into out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
  }
}

extension JSONValue: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral,
  ExpressibleByStringLiteral,
  ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByNilLiteral
{
  public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .number(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(nilLiteral: ()) { self = .null }
}
