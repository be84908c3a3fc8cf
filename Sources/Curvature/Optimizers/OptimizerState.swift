/// A checkpointable snapshot of an optimizer's (or tracker's) complete state.
///
/// Flat and self-describing: `kind` names the type, `scalars` hold hyper-parameters and
/// counters (exact in `Double` for every `Float` and for integers below 2⁵³), `strings` hold
/// textual settings, and `arrays` hold the P-length buffers (velocity, moments, basis).
/// Wrappers store their base's state under a key prefix (`"base."`), see
/// ``merging(_:prefix:)`` and ``child(prefix:)``.
public struct OptimizerState: Sendable, Equatable, Codable {
  /// The type that produced the state, e.g. `"SGD"`.
  public var kind: String
  /// Scalar settings and counters.
  public var scalars: [String: Double]
  /// Textual settings (modes, encoded schedules, generator words).
  public var strings: [String: String]
  /// Float buffers (bit-exact).
  public var arrays: [String: [Float]]

  /// Creates a state. - Complexity: O(1).
  public init(
    kind: String, scalars: [String: Double] = [:], strings: [String: String] = [:],
    arrays: [String: [Float]] = [:]
  ) {
    self.kind = kind
    self.scalars = scalars
    self.strings = strings
    self.arrays = arrays
  }

  /// This state with `child`'s entries added under `prefix` (its kind becomes the string
  /// `prefix + "kind"`).
  /// - Complexity: O(entries) (buffers are shared, not copied).
  public func merging(_ child: OptimizerState, prefix: String) -> OptimizerState {
    var out = self
    out.strings[prefix + "kind"] = child.kind
    for (k, v) in child.scalars { out.scalars[prefix + k] = v }
    for (k, v) in child.strings { out.strings[prefix + k] = v }
    for (k, v) in child.arrays { out.arrays[prefix + k] = v }
    return out
  }

  /// The entries stored under `prefix`, as a state of their own.
  /// - Throws: `CurvatureError.invalidArgument` if no child was stored under `prefix`.
  /// - Complexity: O(entries).
  public func child(prefix: String) throws(CurvatureError) -> OptimizerState {
    guard let kind = strings[prefix + "kind"] else {
      throw .invalidArgument(name: "state", reason: "no nested state under '\(prefix)'")
    }
    var out = OptimizerState(kind: kind)
    for (k, v) in scalars where k.hasPrefix(prefix) {
      out.scalars[String(k.dropFirst(prefix.count))] = v
    }
    for (k, v) in strings where k.hasPrefix(prefix) && k != prefix + "kind" {
      out.strings[String(k.dropFirst(prefix.count))] = v
    }
    for (k, v) in arrays where k.hasPrefix(prefix) {
      out.arrays[String(k.dropFirst(prefix.count))] = v
    }
    return out
  }

  /// Throws unless `kind` matches.
  func expect(kind expected: String) throws(CurvatureError) {
    if kind != expected {
      throw .invalidArgument(name: "state", reason: "expected a \(expected) state, got \(kind)")
    }
  }

  /// A required scalar.
  func scalar(_ key: String) throws(CurvatureError) -> Double {
    guard let v = scalars[key] else {
      throw .invalidArgument(name: "state", reason: "missing scalar '\(key)' in \(kind) state")
    }
    return v
  }

  /// A required finite scalar as `Float`.
  func float(_ key: String) throws(CurvatureError) -> Float {
    let v = try scalar(key)
    guard v.isFinite else {
      throw .invalidArgument(name: "state", reason: "scalar '\(key)' is not finite")
    }
    return Float(v)
  }

  /// A required non-negative integer scalar.
  func integer(_ key: String) throws(CurvatureError) -> Int {
    let v = try scalar(key)
    guard v.isFinite, v >= 0, v == v.rounded(), v < 9.0e15 else {
      throw .invalidArgument(name: "state", reason: "scalar '\(key)' is not a count")
    }
    return Int(v)
  }

  /// A required string.
  func string(_ key: String) throws(CurvatureError) -> String {
    guard let v = strings[key] else {
      throw .invalidArgument(name: "state", reason: "missing string '\(key)' in \(kind) state")
    }
    return v
  }

  /// An optional array that, when present, must have `count` elements (or be empty when
  /// `allowEmpty`).
  func array(_ key: String, count: Int?, allowEmpty: Bool = true) throws(CurvatureError) -> [Float]
  {
    guard let a = arrays[key] else { return [] }
    if let c = count, a.count != c, !(allowEmpty && a.isEmpty) {
      throw .invalidArgument(
        name: "state", reason: "array '\(key)' has \(a.count) elements, expected \(c)")
    }
    return a
  }
}
