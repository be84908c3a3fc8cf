/// The header dictionary of an `.npy` file: `{'descr': '<f4', 'fortran_order': False,
/// 'shape': (3, 4), }`, parsed from and written as the Python literal NumPy uses.
struct NpyHeader: Equatable {
  /// The descriptor string, e.g. `<f4`.
  var descriptor: String
  /// Whether the data is stored column-major.
  var fortranOrder: Bool
  /// The shape (any rank here; the reader restricts it).
  var shape: [Int]

  /// Parses the header text. Accepts the keys in any order, single or double quotes, optional
  /// trailing commas and whitespace; rejects unknown, missing or repeated keys.
  /// - Throws: a description of the problem (the caller wraps it in `.malformedFile`).
  static func parse(_ bytes: UnsafeRawBufferPointer) throws(NpyProblem) -> NpyHeader {
    var parser = Parser(bytes: bytes)
    return try parser.header()
  }

  /// The header text NumPy would write (without padding or newline).
  var literal: String {
    let dims = shape.map(String.init)
    let tuple = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
    return "{'descr': '\(descriptor)', 'fortran_order': \(fortranOrder ? "True" : "False"), "
      + "'shape': \(tuple), }"
  }

  private struct Parser {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }
    var current: UInt8? { atEnd ? nil : bytes[position] }

    mutating func skipSpace() {
      while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
    }

    mutating func expect(_ c: UInt8, _ what: String) throws(NpyProblem) {
      skipSpace()
      guard current == c else { throw NpyProblem("header: expected \(what) at offset \(position)") }
      position += 1
    }

    mutating func string() throws(NpyProblem) -> String {
      skipSpace()
      guard let q = current, q == 0x27 || q == 0x22 else {
        throw NpyProblem("header: expected a quoted string at offset \(position)")
      }
      position += 1
      let start = position
      while let c = current, c != q {
        if c == 0x5C { throw NpyProblem("header: escape sequences are not supported") }
        position += 1
      }
      guard !atEnd else { throw NpyProblem("header: unterminated string") }
      let text = String(
        decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
      position += 1
      return text
    }

    mutating func word() -> String {
      skipSpace()
      let start = position
      while let c = current, (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) { position += 1 }
      return String(
        decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    mutating func integer() throws(NpyProblem) -> Int {
      skipSpace()
      var value = 0
      var digits = 0
      while let c = current, c >= 0x30 && c <= 0x39 {
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(Int(c - 0x30))
        if o1 || o2 { throw NpyProblem("header: shape extent is too large") }
        value = a
        digits += 1
        position += 1
      }
      if digits == 0 {
        if current == 0x2D { throw NpyProblem("header: negative shape extent") }
        throw NpyProblem("header: expected a non-negative integer at offset \(position)")
      }
      // Python 2 long suffix, as written by very old NumPy.
      if current == 0x4C { position += 1 }
      return value
    }

    mutating func tuple() throws(NpyProblem) -> [Int] {
      try expect(0x28, "'(' starting the shape")
      var dims: [Int] = []
      while true {
        skipSpace()
        if current == 0x29 {
          position += 1
          // "(3)" is an int in Python, not a tuple: NumPy never writes it.
          return dims
        }
        if dims.count >= 32 { throw NpyProblem("header: shape has too many dimensions") }
        dims.append(try integer())
        skipSpace()
        if current == 0x2C {
          position += 1
        } else if current != 0x29 {
          throw NpyProblem("header: expected ',' or ')' in the shape at offset \(position)")
        } else if dims.count == 1 {
          throw NpyProblem("header: shape '(n)' is not a tuple (expected '(n,)')")
        }
      }
    }

    mutating func header() throws(NpyProblem) -> NpyHeader {
      try expect(0x7B, "'{'")
      var descriptor: String?
      var fortran: Bool?
      var shape: [Int]?
      while true {
        skipSpace()
        if current == 0x7D {
          position += 1
          break
        }
        let key = try string()
        try expect(0x3A, "':' after '\(key)'")
        switch key {
        case "descr":
          if descriptor != nil { throw NpyProblem("header: repeated key 'descr'") }
          skipSpace()
          if current == 0x5B || current == 0x28 {
            throw NpyProblem("unsupported dtype: structured arrays are not supported")
          }
          descriptor = try string()
        case "fortran_order":
          if fortran != nil { throw NpyProblem("header: repeated key 'fortran_order'") }
          switch word() {
          case "True": fortran = true
          case "False": fortran = false
          default: throw NpyProblem("header: fortran_order must be True or False")
          }
        case "shape":
          if shape != nil { throw NpyProblem("header: repeated key 'shape'") }
          shape = try tuple()
        default:
          throw NpyProblem("header: unexpected key '\(key)'")
        }
        skipSpace()
        if current == 0x2C {
          position += 1
        } else if current != 0x7D {
          throw NpyProblem("header: expected ',' or '}' at offset \(position)")
        }
      }
      skipSpace()
      // NumPy pads with spaces and ends with a newline; tolerate NUL padding from other writers.
      while let c = current, c == 0 { position += 1 }
      guard atEnd else { throw NpyProblem("header: unexpected text after '}'") }
      guard let descriptor else { throw NpyProblem("header: missing key 'descr'") }
      guard let fortran else { throw NpyProblem("header: missing key 'fortran_order'") }
      guard let shape else { throw NpyProblem("header: missing key 'shape'") }
      return NpyHeader(descriptor: descriptor, fortranOrder: fortran, shape: shape)
    }
  }
}

/// A reason an `.npy` image is malformed (wrapped into `CurvatureError.malformedFile`).
struct NpyProblem: Error {
  let reason: String
  init(_ reason: String) { self.reason = reason }
}
