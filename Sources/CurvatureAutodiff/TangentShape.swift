import Curvature
import _Differentiation

/// The scalar leaves (`Float`, `[Float]`, `[Float].DifferentiableView`) of a parameter value or
/// a tangent vector, found by reflection and named by their field path: how a tangent's sizes
/// are checked against the parameters' before it is added to them (the standard library stops
/// the program on a size mismatch).
struct TangentShape {
  /// Leaf path → scalar count.
  let counts: [String: Int]
  /// The sum of the counts.
  let total: Int

  /// The leaves of `value`. - Complexity: O(number of fields).
  init(of value: Any) {
    var leaves: [String: Int] = [:]
    Self.collect(value, path: "", into: &leaves)
    counts = leaves
    total = leaves.values.reduce(0, +)
  }

  private static func collect(_ value: Any, path: String, into leaves: inout [String: Int]) {
    switch value {
    case let a as [Float]: leaves[path] = a.count
    case let a as [Float].DifferentiableView: leaves[path] = a.base.count
    case is Float: leaves[path] = 1
    default:
      let mirror = Mirror(reflecting: value)
      guard mirror.displayStyle == .struct || mirror.displayStyle == .class else { return }
      for (i, child) in mirror.children.enumerated() {
        let name = child.label ?? "\(i)"
        collect(child.value, path: path.isEmpty ? name : path + "." + name, into: &leaves)
      }
    }
  }

  /// Throws unless every leaf of `tangent` has the size of the same leaf here or is empty
  /// (zero). When the tangent's field names differ from the parameters' (a hand-written
  /// tangent type), its total size must be 0 or P.
  /// - Throws: `CurvatureError.dimensionMismatch` named `name` (and the field).
  func check(_ tangent: TangentShape, name: String, parameterCount: Int) throws(CurvatureError) {
    var matched = true
    for (path, count) in tangent.counts where count != 0 {
      guard let expected = counts[path] else {
        matched = false
        continue
      }
      if count != expected {
        throw .dimensionMismatch(
          name: path.isEmpty ? name : "\(name), field \(path)", expected: expected,
          actual: count)
      }
    }
    if !matched && tangent.total != 0 && tangent.total != parameterCount {
      throw .dimensionMismatch(name: name, expected: parameterCount, actual: tangent.total)
    }
  }
}
