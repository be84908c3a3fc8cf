import Curvature
import _Differentiation

/// A value that moves to and from the flat `[Float]` vector the optimizers and the tracker
/// work on: a model's parameters, or their tangent vector (gradient).
///
/// **Layout.** ``flatten(into:)`` writes the value's scalars in a fixed order and
/// ``rebuild(from:)`` reads them back in the same order, keeping the value's shapes (array
/// lengths): a rebuilt value has the layout of the value it was rebuilt from. For a struct
/// conforming through ``ParameterFields`` the order is that of its ``ParameterFields/parameterFields``,
/// each field in its own layout (row-major for matrices stored as arrays).
///
/// Ready conformances: `[Float]` and its tangent `[Float].DifferentiableView` (elements in
/// order), `Float` (one scalar), and any struct that lists its fields (``ParameterFields``).
public protocol ParameterLayout {
  /// The number of scalars ``flatten(into:)`` writes. - Complexity: O(number of components).
  var scalarCount: Int { get }

  /// Writes the ``scalarCount`` scalars in layout order. `buffer.count` is ``scalarCount``.
  /// - Complexity: O(scalarCount).
  func flatten(into buffer: UnsafeMutableBufferPointer<Float>)

  /// Overwrites the scalars in layout order from `buffer`, keeping the shapes. `buffer.count`
  /// is ``scalarCount``.
  /// - Complexity: O(scalarCount); no allocation when the storage is uniquely referenced.
  mutating func rebuild(from buffer: UnsafeBufferPointer<Float>)
}

extension ParameterLayout {
  /// The scalars in layout order. - Complexity: O(scalarCount).
  public var flattened: [Float] {
    let n = scalarCount
    return [Float](unsafeUninitializedCapacity: n) { buffer, count in
      flatten(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<n]))
      count = n
    }
  }

  /// A copy of this value with the scalars of `flat` (layout order), shapes unchanged.
  /// - Throws: `CurvatureError.dimensionMismatch` if `flat` does not have ``scalarCount``
  ///   elements (`parameters`) or if the rebuilt value's ``scalarCount`` differs from it
  ///   (`rebuilt parameters`: a `rebuild(from:)` that changed a shape).
  /// - Complexity: O(scalarCount).
  public func rebuilt(from flat: [Float]) throws(CurvatureError) -> Self {
    let n = scalarCount
    try Self.check("parameters", flat.count, n)
    var copy = self
    flat.withUnsafeBufferPointer { copy.rebuild(from: $0) }
    try Self.check("rebuilt parameters", copy.scalarCount, n)
    return copy
  }

  static func check(_ name: String, _ actual: Int, _ expected: Int) throws(CurvatureError) {
    if actual != expected {
      throw .dimensionMismatch(name: name, expected: expected, actual: actual)
    }
  }
}

extension Array: ParameterLayout where Element == Float {
  public var scalarCount: Int { count }

  public func flatten(into buffer: UnsafeMutableBufferPointer<Float>) {
    precondition(buffer.count == count, "flatten: wrong buffer size")
    withUnsafeBufferPointer { source in
      for i in 0..<source.count { buffer[i] = source[i] }
    }
  }

  public mutating func rebuild(from buffer: UnsafeBufferPointer<Float>) {
    precondition(buffer.count == count, "rebuild: wrong buffer size")
    withUnsafeMutableBufferPointer { target in
      for i in 0..<target.count { target[i] = buffer[i] }
    }
  }
}

extension Array.DifferentiableView: ParameterLayout where Element == Float {
  public var scalarCount: Int { base.count }
  public func flatten(into buffer: UnsafeMutableBufferPointer<Float>) { base.flatten(into: buffer) }
  public mutating func rebuild(from buffer: UnsafeBufferPointer<Float>) {
    base.rebuild(from: buffer)
  }
}

extension Float: ParameterLayout {
  public var scalarCount: Int { 1 }
  public func flatten(into buffer: UnsafeMutableBufferPointer<Float>) { buffer[0] = self }
  public mutating func rebuild(from buffer: UnsafeBufferPointer<Float>) { self = buffer[0] }
}

/// One field of a ``ParameterFields`` struct: a writable key path to a value that has a
/// ``ParameterLayout`` (`[Float]`, `[Float].DifferentiableView`, `Float`, or a nested struct).
public struct ParameterField<Root> {
  let count: (Root) -> Int
  let flatten: (Root, UnsafeMutableBufferPointer<Float>) -> Void
  let rebuild: (inout Root, UnsafeBufferPointer<Float>) -> Void

  /// The field at `keyPath`. - Complexity: O(1).
  public init<Value: ParameterLayout>(_ keyPath: WritableKeyPath<Root, Value>) {
    count = { $0[keyPath: keyPath].scalarCount }
    flatten = { $0[keyPath: keyPath].flatten(into: $1) }
    rebuild = { $0[keyPath: keyPath].rebuild(from: $1) }
  }
}

/// A struct whose parameters are the concatenation of some of its fields: conforming takes
/// one line listing them (the synthesized tangent vector needs nothing):
///
/// ```swift
/// struct Net: Differentiable, ParameterFields {
///   var weight: [Float]
///   var bias: [Float]
///   @noDerivative var inputs: Int
///   static var parameterFields: [ParameterField<Net>] { [.init(\.weight), .init(\.bias)] }
/// }
/// ```
///
/// List every differentiable field exactly once; `@noDerivative` fields stay out.
public protocol ParameterFields: ParameterLayout {
  /// The fields in layout order.
  static var parameterFields: [ParameterField<Self>] { get }
}

extension ParameterFields {
  public var scalarCount: Int { Self.parameterFields.reduce(0) { $0 + $1.count(self) } }

  public func flatten(into buffer: UnsafeMutableBufferPointer<Float>) {
    var offset = 0
    for field in Self.parameterFields {
      let n = field.count(self)
      field.flatten(self, UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + n)]))
      offset += n
    }
  }

  public mutating func rebuild(from buffer: UnsafeBufferPointer<Float>) {
    var offset = 0
    for field in Self.parameterFields {
      let n = field.count(self)
      field.rebuild(&self, UnsafeBufferPointer(rebasing: buffer[offset..<(offset + n)]))
      offset += n
    }
  }
}
