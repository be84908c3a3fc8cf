import Curvature
import Foundation

/// A minimal reader and writer for NumPy `.npy` files (version 1–3, little-endian numeric data).
///
/// Used for datasets and parameter vectors. Values are returned as `Double` (exact for every
/// supported dtype up to 2^53) with the array's shape in C order.
enum NpyCodec {
  /// A decoded array: shape (C order) and values.
  struct Array {
    var shape: [Int]
    var values: [Double]
    var isInteger: Bool
  }

  /// Reads and decodes `path`.
  /// - Throws: `CurvatureError.fileSystem` or `.malformedFile`.
  /// - Complexity: O(file size).
  static func read(_ path: String) throws(CurvatureError) -> Array {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw .fileSystem(path: path, reason: "cannot read: \(error.localizedDescription)")
    }
    return try decode(data, path: path)
  }

  /// Decodes an in-memory `.npy` image. - Complexity: O(size).
  static func decode(_ data: Data, path: String) throws(CurvatureError) -> Array {
    let bytes = [UInt8](data)
    func bad(_ reason: String) -> CurvatureError { .malformedFile(path: path, reason: reason) }
    guard bytes.count >= 10, bytes[0] == 0x93,
      Swift.Array(bytes[1..<6]) == Swift.Array("NUMPY".utf8)
    else { throw bad("not an .npy file (bad magic)") }
    let major = bytes[6]
    var headerLength: Int
    var headerStart: Int
    switch major {
    case 1:
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw bad("truncated header") }
      headerLength =
        Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      headerStart = 12
    default: throw bad("unsupported .npy version \(major)")
    }
    guard headerStart + headerLength <= bytes.count,
      let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8)
    else { throw bad("truncated or non-text header") }
    guard let descr = field(header, "descr"), let shapeText = field(header, "shape") else {
      throw bad("header lacks 'descr' or 'shape'")
    }
    let fortran = (field(header, "fortran_order") ?? "False").hasPrefix("True")
    let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
    let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
    var shape: [Int] = []
    for part in inner.split(separator: ",") {
      let t = part.trimmingCharacters(in: .whitespaces)
      if t.isEmpty { continue }
      guard let d = Int(t), d >= 0 else { throw bad("bad shape \(shapeText)") }
      shape.append(d)
    }
    var count = 1
    for d in shape {
      let (m, o) = count.multipliedReportingOverflow(by: d)
      if o { throw bad("shape too large") }
      count = m
    }
    guard dtype.count >= 3 else { throw bad("bad dtype \(dtype)") }
    let order = dtype.first!
    if order == ">" { throw bad("big-endian dtype \(dtype) is not supported") }
    let kind = dtype.dropFirst().first!
    guard let size = Int(dtype.dropFirst(2)), [1, 2, 4, 8].contains(size) else {
      throw bad("unsupported dtype \(dtype)")
    }
    let body = headerStart + headerLength
    guard bytes.count - body >= count * size else {
      throw bad("data holds \(bytes.count - body) bytes, shape needs \(count * size)")
    }
    var values = [Double](repeating: 0, count: count)
    let isInteger: Bool
    let supported: Set<String> = ["f4", "f8", "i1", "i2", "i4", "i8", "u1", "b1", "u2", "u4", "u8"]
    guard supported.contains("\(kind)\(size)") else { throw bad("unsupported dtype \(dtype)") }
    bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      let base = raw.baseAddress! + body
      switch (kind, size) {
      case ("f", 4):
        for i in 0..<count {
          values[i] = Double(
            Float(
              bitPattern: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian))
        }
      case ("f", 8):
        for i in 0..<count {
          values[i] = Double(
            bitPattern: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)
        }
      case ("i", 1):
        for i in 0..<count {
          values[i] = Double(base.loadUnaligned(fromByteOffset: i, as: Int8.self))
        }
      case ("i", 2):
        for i in 0..<count {
          values[i] = Double(
            Int16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
        }
      case ("i", 4):
        for i in 0..<count {
          values[i] = Double(
            Int32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        }
      case ("i", 8):
        for i in 0..<count {
          values[i] = Double(
            Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
        }
      case ("u", 1), ("b", 1):
        for i in 0..<count {
          values[i] = Double(base.loadUnaligned(fromByteOffset: i, as: UInt8.self))
        }
      case ("u", 2):
        for i in 0..<count {
          values[i] = Double(
            UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
      case ("u", 4):
        for i in 0..<count {
          values[i] = Double(
            UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
      case ("u", 8):
        for i in 0..<count {
          values[i] = Double(
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
        }
      default: break
      }
    }
    isInteger = kind != "f"
    if fortran && shape.count > 1 {
      // Column-major on disk: reorder into C order.
      var c = [Double](repeating: 0, count: count)
      var strides = [Int](repeating: 1, count: shape.count)
      for d in 1..<shape.count { strides[d] = strides[d - 1] * shape[d - 1] }
      var index = [Int](repeating: 0, count: shape.count)
      for i in 0..<count {
        var f = 0
        for d in 0..<shape.count { f += index[d] * strides[d] }
        c[i] = values[f]
        var d = shape.count - 1
        while d >= 0 {
          index[d] += 1
          if index[d] < shape[d] { break }
          index[d] = 0
          d -= 1
        }
      }
      values = c
    }
    return Array(shape: shape, values: values, isInteger: isInteger)
  }

  /// The text of a header dictionary entry (up to the next top-level comma or brace).
  private static func field(_ header: String, _ key: String) -> String? {
    guard let r = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
    var rest = header[r.upperBound...].drop(while: { $0 == " " || $0 == ":" })
    var out = ""
    var depth = 0
    while let ch = rest.first {
      if ch == "(" { depth += 1 }
      if ch == ")" { depth -= 1 }
      if depth == 0 && (ch == "," || ch == "}") { break }
      out.append(ch)
      rest = rest.dropFirst()
      if depth == 0 && ch == ")" { break }
    }
    return out
  }

  /// Encodes `values` (shape in C order) as a version-1 `.npy` file of `<f4` or `<i8`.
  /// - Complexity: O(count).
  static func encode(float values: [Float], shape: [Int]) -> Data {
    var d = header(descr: "<f4", shape: shape)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
    return d
  }

  /// Encodes integers as `<i8`. - Complexity: O(count).
  static func encode(int values: [Int], shape: [Int]) -> Data {
    var d = header(descr: "<i8", shape: shape)
    for v in values { withUnsafeBytes(of: Int64(v).littleEndian) { d.append(contentsOf: $0) } }
    return d
  }

  private static func header(descr: String, shape: [Int]) -> Data {
    let shapeText =
      shape.count == 1
      ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var h = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    let total = 10 + h.utf8.count + 1
    h += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
    var d = Data([0x93] + Swift.Array("NUMPY".utf8) + [1, 0])
    let n = h.utf8.count
    d.append(contentsOf: [UInt8(n & 0xff), UInt8(n >> 8)])
    d.append(contentsOf: Swift.Array(h.utf8))
    return d
  }

  /// Writes `data` to `path`. - Throws: `CurvatureError.fileSystem`.
  static func write(_ data: Data, to path: String) throws(CurvatureError) {
    do { try data.write(to: URL(fileURLWithPath: path)) } catch {
      throw .fileSystem(path: path, reason: "cannot write: \(error.localizedDescription)")
    }
  }
}
