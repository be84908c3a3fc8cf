/// A 1-D to 4-D numeric array as stored in a NumPy `.npy` file.
///
/// Elements are held in C (row-major) order whatever the order of the file they came from:
/// element (i, j) of an m×n array is at index `i*n + j`. Supported element types are the
/// little-endian `<f4`, `<f8`, `<i4` and `<i8` (`Float`, `Double`, `Int32`, `Int64`).
public struct NpyArray: Sendable, Equatable {
  /// The element type, named by its NumPy descriptor.
  public enum DataType: String, Sendable, CaseIterable {
    /// `<f4`, 32-bit IEEE float.
    case float32 = "<f4"
    /// `<f8`, 64-bit IEEE float.
    case float64 = "<f8"
    /// `<i4`, 32-bit signed integer.
    case int32 = "<i4"
    /// `<i8`, 64-bit signed integer.
    case int64 = "<i8"

    /// Bytes per element.
    public var size: Int {
      switch self {
      case .float32, .int32: return 4
      case .float64, .int64: return 8
      }
    }
  }

  /// The elements, in C order, typed.
  public enum Elements: Sendable, Equatable {
    /// `<f4` data.
    case float32([Float])
    /// `<f8` data.
    case float64([Double])
    /// `<i4` data.
    case int32([Int32])
    /// `<i8` data.
    case int64([Int64])

    /// The number of elements.
    public var count: Int {
      switch self {
      case .float32(let x): return x.count
      case .float64(let x): return x.count
      case .int32(let x): return x.count
      case .int64(let x): return x.count
      }
    }
  }

  /// The largest rank read and written (N × C × H × W images).
  public static let maximumRank = 4

  /// The shape: one to four non-negative extents (C order: the last varies fastest).
  public let shape: [Int]
  /// The elements in C order.
  public let elements: Elements

  /// The element type.
  public var dataType: DataType {
    switch elements {
    case .float32: return .float32
    case .float64: return .float64
    case .int32: return .int32
    case .int64: return .int64
    }
  }

  /// The number of elements (the product of the shape).
  public var count: Int { elements.count }

  /// Creates an array from C-order elements and a shape.
  /// - Throws: `CurvatureError.invalidArgument` unless the shape has one to four non-negative
  ///   extents; `.dimensionMismatch` if their product differs from the element count.
  /// - Complexity: O(1) (the elements are not copied).
  public init(shape: [Int], elements: Elements) throws(CurvatureError) {
    if shape.count < 1 || shape.count > NpyArray.maximumRank {
      throw .invalidArgument(
        name: "shape", reason: "has \(shape.count) dimensions; only 1-D to 4-D are supported")
    }
    var product = 1
    for (i, s) in shape.enumerated() {
      if s < 0 { throw .invalidArgument(name: "shape[\(i)]", reason: "is negative (\(s))") }
      let (p, overflow) = product.multipliedReportingOverflow(by: s)
      if overflow { throw .invalidArgument(name: "shape", reason: "element count overflows") }
      product = p
    }
    try Validate.count("elements", elements.count, product)
    self.shape = shape
    self.elements = elements
  }

  /// A 1-D `<f4` array (a vector). - Complexity: O(1).
  public init(vector: [Float]) {
    self.shape = [vector.count]
    self.elements = .float32(vector)
  }

  /// A P×k `<f4` array holding the basis' columns (U itself). - Complexity: O(P k).
  public init(basis: Basis) {
    let p = basis.dimension
    let k = basis.count
    var c = [Float](repeating: 0, count: p * k)
    basis.storage.withUnsafeBufferPointer { src in
      c.withUnsafeMutableBufferPointer { dst in
        for j in 0..<k {
          for i in 0..<p { dst[i * k + j] = src[j * p + i] }
        }
      }
    }
    self.shape = [p, k]
    self.elements = .float32(c)
  }

  /// The elements as `Float` in C order.
  ///
  /// `<f4` is returned as is; `<f8` is rounded to nearest (NaN and ±Inf are kept), but a finite
  /// value beyond `Float`'s range throws; integers must be exactly representable (|x| ≤ 2²⁴ or
  /// otherwise exact).
  /// - Throws: `CurvatureError.invalidArgument` naming the first element that does not convert.
  /// - Complexity: O(count).
  public func floats() throws(CurvatureError) -> [Float] {
    switch elements {
    case .float32(let x): return x
    case .float64(let x):
      var out = [Float](repeating: 0, count: x.count)
      for (i, v) in x.enumerated() {
        let f = Float(v)
        if v.isFinite && !f.isFinite { throw conversion(i, "\(v)", "is outside Float's range") }
        out[i] = f
      }
      return out
    case .int32(let x): return try Self.exactly(x, "Float") { Float(exactly: $0) }
    case .int64(let x): return try Self.exactly(x, "Float") { Float(exactly: $0) }
    }
  }

  /// The elements as `Double` in C order (floats widen exactly; integers must be exactly
  /// representable, |x| ≤ 2⁵³ or otherwise exact).
  /// - Throws: `CurvatureError.invalidArgument` naming the first element that does not convert.
  /// - Complexity: O(count).
  public func doubles() throws(CurvatureError) -> [Double] {
    switch elements {
    case .float32(let x): return x.map { Double($0) }
    case .float64(let x): return x
    case .int32(let x): return x.map { Double($0) }
    case .int64(let x): return try Self.exactly(x, "Double") { Double(exactly: $0) }
    }
  }

  /// The elements as `Int` in C order (floating-point elements must be integral and in range).
  /// - Throws: `CurvatureError.invalidArgument` naming the first element that does not convert.
  /// - Complexity: O(count).
  public func ints() throws(CurvatureError) -> [Int] {
    switch elements {
    case .float32(let x): return try Self.exactly(x, "Int") { Int(exactly: $0) }
    case .float64(let x): return try Self.exactly(x, "Int") { Int(exactly: $0) }
    case .int32(let x): return x.map { Int($0) }
    case .int64(let x): return try Self.exactly(x, "Int") { Int(exactly: $0) }
    }
  }

  /// The columns of a 2-D array as `Float` vectors (e.g. to build a ``Basis`` from a P×k file).
  /// - Throws: `CurvatureError.invalidArgument` if the array is not 2-D, or as ``floats()``.
  /// - Complexity: O(count).
  public func floatColumns() throws(CurvatureError) -> [[Float]] {
    guard shape.count == 2 else {
      throw .invalidArgument(name: "array", reason: "is \(shape.count)-D; columns need 2-D")
    }
    let (m, n) = (shape[0], shape[1])
    let x = try floats()
    var columns = [[Float]](repeating: [], count: n)
    for j in 0..<n {
      var c = [Float](repeating: 0, count: m)
      for i in 0..<m { c[i] = x[i * n + j] }
      columns[j] = c
    }
    return columns
  }

  private func conversion(_ index: Int, _ value: String, _ problem: String) -> CurvatureError {
    .invalidArgument(name: "array[\(index)]", reason: "value \(value) \(problem)")
  }

  private static func exactly<S, T>(
    _ source: [S], _ target: String, _ convert: (S) -> T?
  ) throws(CurvatureError) -> [T] {
    var out: [T] = []
    out.reserveCapacity(source.count)
    for (i, v) in source.enumerated() {
      guard let t = convert(v) else {
        throw .invalidArgument(
          name: "array[\(i)]", reason: "value \(v) is not exactly representable as \(target)")
      }
      out.append(t)
    }
    return out
  }
}
