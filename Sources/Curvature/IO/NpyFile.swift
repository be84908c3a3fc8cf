import Foundation

/// Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
///
/// Supported: little-endian `<f4`, `<f8`, `<i4`, `<i8`; C and Fortran order; 1-D to 4-D
/// shapes (for example N × C × H × W images). Everything else — bad magic, unknown versions,
/// truncated headers or data, big-endian or other dtypes, 0-D or higher-rank shapes, shapes that disagree with the data size, sizes
/// that overflow, malformed header dictionaries — throws `CurvatureError.malformedFile` naming
/// the problem. The reader never allocates more than the input holds. Writes are atomic and
/// durable (``AtomicFile``): a temporary file in the same directory, flushed, renamed over the
/// target, and the directory flushed.
public enum NpyFile {
  /// Reads the `.npy` file at `path`.
  /// - Throws: `CurvatureError.fileSystem` if the file cannot be read, `.malformedFile` if it
  ///   is not a supported `.npy` file.
  /// - Complexity: O(file size) time and memory.
  public static func read(path: String) throws(CurvatureError) -> NpyArray {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw .fileSystem(path: path, reason: "cannot read: \(error.localizedDescription)")
    }
    return try read(data: data, name: path)
  }

  /// Decodes an in-memory `.npy` image (`Data`, `[UInt8]`, …); `name` labels errors.
  /// - Throws: `CurvatureError.malformedFile` if it is not a supported `.npy` image.
  /// - Complexity: O(size).
  public static func read(data: some ContiguousBytes, name: String = "<memory>")
    throws(CurvatureError) -> NpyArray
  {
    let result: Result<NpyArray, NpyProblem> = data.withUnsafeBytes { raw in
      do throws(NpyProblem) { return .success(try decode(raw)) } catch { return .failure(error) }
    }
    switch result {
    case .success(let array): return array
    case .failure(let problem): throw .malformedFile(path: name, reason: problem.reason)
    }
  }

  /// The `.npy` image of `array`.
  /// - Parameters:
  ///   - array: the data and its shape.
  ///   - fortranOrder: store 2-D data column-major (NumPy reads it back identically).
  ///   - formatVersion: 1, 2 or 3; `nil` picks 1 unless the header needs more than 65,535
  ///     bytes (then 2).
  /// - Throws: `CurvatureError.outOfRange` for an unknown version.
  /// - Complexity: O(count).
  public static func encode(
    _ array: NpyArray, fortranOrder: Bool = false, formatVersion: Int? = nil
  )
    throws(CurvatureError) -> [UInt8]
  {
    var out = try preamble(
      NpyHeader(
        descriptor: array.dataType.rawValue, fortranOrder: fortranOrder && array.shape.count == 2,
        shape: array.shape), version: formatVersion)
    let transpose = fortranOrder && array.shape.count == 2
    appendElements(array, transposed: transpose, to: &out)
    return out
  }

  /// Writes `array` to `path` atomically (temporary file in the same directory, then rename).
  /// - Throws: `CurvatureError.fileSystem` on I/O failure (the target is left untouched),
  ///   `.outOfRange` for an unknown version.
  /// - Complexity: O(count).
  public static func write(
    _ array: NpyArray, to path: String, fortranOrder: Bool = false, formatVersion: Int? = nil
  ) throws(CurvatureError) {
    let bytes = try encode(array, fortranOrder: fortranOrder, formatVersion: formatVersion)
    try writeAtomically(path: path) { emit in
      bytes.withUnsafeBytes { emit($0) }
    }
  }

  /// Writes a `Float` vector as a 1-D `<f4` file, atomically.
  /// - Throws: `CurvatureError.fileSystem` on I/O failure.
  /// - Complexity: O(count).
  public static func write(vector: [Float], to path: String) throws(CurvatureError) {
    try write(NpyArray(vector: vector), to: path)
  }

  /// Writes a basis as a P×k `<f4` file (Fortran order, straight from the column storage, so no
  /// second copy of U is made), atomically. NumPy reads it as the P×k matrix U.
  /// - Throws: `CurvatureError.fileSystem` on I/O failure.
  /// - Complexity: O(P k).
  public static func write(basis: Basis, to path: String) throws(CurvatureError) {
    let header = try preamble(
      NpyHeader(descriptor: "<f4", fortranOrder: true, shape: [basis.dimension, basis.count]),
      version: nil)
    try writeAtomically(path: path) { emit in
      header.withUnsafeBytes { emit($0) }
      basis.storage.withUnsafeBufferPointer { storage in
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var i = 0
        while i < storage.count {
          let n = Swift.min(storage.count - i, chunk.count / 4)
          chunk.withUnsafeMutableBytes { raw in
            for t in 0..<n {
              raw.storeBytes(
                of: storage[i + t].bitPattern.littleEndian, toByteOffset: 4 * t, as: UInt32.self)
            }
            emit(UnsafeRawBufferPointer(rebasing: raw[0..<(4 * n)]))
          }
          i += n
        }
      }
    }
  }

  // MARK: - Decoding

  static func decode(_ b: UnsafeRawBufferPointer) throws(NpyProblem) -> NpyArray {
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    for (i, m) in magic.enumerated() {
      if i >= b.count { throw NpyProblem("truncated preamble (\(b.count) bytes)") }
      if b[i] != m { throw NpyProblem("bad magic: not an .npy file") }
    }
    guard b.count >= 8 else { throw NpyProblem("truncated preamble (\(b.count) bytes)") }
    let (major, minor) = (b[6], b[7])
    guard (1...3).contains(major), minor == 0 else {
      throw NpyProblem("unsupported format version \(major).\(minor)")
    }
    let headerStart = major == 1 ? 10 : 12
    guard b.count >= headerStart else { throw NpyProblem("truncated preamble (\(b.count) bytes)") }
    var headerLength = 0
    for i in stride(from: headerStart - 1, through: 8, by: -1) {
      headerLength = headerLength << 8 | Int(b[i])
    }
    guard headerLength <= b.count - headerStart else {
      throw NpyProblem(
        "truncated header: declares \(headerLength) bytes, \(b.count - headerStart) present")
    }
    let dataStart = headerStart + headerLength
    let header = try NpyHeader.parse(UnsafeRawBufferPointer(rebasing: b[headerStart..<dataStart]))
    let type = try dataType(header.descriptor)
    switch header.shape.count {
    case 0: throw NpyProblem("0-D (scalar) arrays are not supported; expected 1-D to 4-D")
    case 1...NpyArray.maximumRank: break
    default:
      throw NpyProblem("\(header.shape.count)-D arrays are not supported; expected 1-D to 4-D")
    }
    var count = 1
    for s in header.shape {
      let (p, overflow) = count.multipliedReportingOverflow(by: s)
      if overflow { throw NpyProblem("absurd shape \(header.shape): element count overflows") }
      count = p
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: type.size)
    if overflow { throw NpyProblem("absurd shape \(header.shape): byte count overflows") }
    let present = b.count - dataStart
    if bytes > present {
      throw NpyProblem(
        "truncated data: shape \(header.shape) of \(type.rawValue) needs \(bytes) bytes, "
          + "\(present) present")
    }
    if bytes < present {
      throw NpyProblem(
        "data size mismatch: shape \(header.shape) of \(type.rawValue) needs \(bytes) bytes, "
          + "\(present) follow the header")
    }
    let data = UnsafeRawBufferPointer(rebasing: b[dataStart..<(dataStart + bytes)])
    let fortran = header.fortranOrder && header.shape.count >= 2
    let shape = header.shape
    let elements: NpyArray.Elements
    switch type {
    case .float32:
      elements = .float32(
        load(data, count, fortran, shape) { Float(bitPattern: UInt32(littleEndian: $0)) })
    case .float64:
      elements = .float64(
        load(data, count, fortran, shape) { Double(bitPattern: UInt64(littleEndian: $0)) })
    case .int32:
      elements = .int32(
        load(data, count, fortran, shape) { Int32(bitPattern: UInt32(littleEndian: $0)) })
    case .int64:
      elements = .int64(
        load(data, count, fortran, shape) { Int64(bitPattern: UInt64(littleEndian: $0)) })
    }
    do { return try NpyArray(shape: header.shape, elements: elements) } catch {
      throw NpyProblem("inconsistent array: \(error)")
    }
  }

  private static func dataType(_ descriptor: String) throws(NpyProblem) -> NpyArray.DataType {
    if let t = NpyArray.DataType(rawValue: descriptor) { return t }
    if descriptor.hasPrefix(">"),
      NpyArray.DataType(rawValue: "<" + descriptor.dropFirst()) != nil
    {
      throw NpyProblem("big-endian data ('\(descriptor)') is not supported; use '<' byte order")
    }
    throw NpyProblem("unsupported dtype '\(descriptor)'; expected <f4, <f8, <i4 or <i8")
  }

  /// Loads `count` little-endian elements of raw type `Raw`, converting each with `convert`, into
  /// C order (reordering Fortran-order data, whose first index varies fastest).
  private static func load<Raw: FixedWidthInteger, T>(
    _ data: UnsafeRawBufferPointer, _ count: Int, _ fortran: Bool, _ shape: [Int],
    _ convert: (Raw) -> T
  ) -> [T] {
    let size = MemoryLayout<Raw>.size
    return [T](unsafeUninitializedCapacity: count) { out, initialized in
      if fortran {
        // Walk the file in its order, keeping the multi-index and its C-order offset.
        let rank = shape.count
        var strides = [Int](repeating: 1, count: rank)
        for k in stride(from: rank - 2, through: 0, by: -1) {
          strides[k] = strides[k + 1] * shape[k + 1]
        }
        var index = [Int](repeating: 0, count: rank)
        var destination = 0
        for t in 0..<count {
          let raw = data.loadUnaligned(fromByteOffset: t * size, as: Raw.self)
          (out.baseAddress! + destination).initialize(to: convert(raw))
          for k in 0..<rank {
            index[k] += 1
            destination += strides[k]
            if index[k] < shape[k] { break }
            destination -= strides[k] * shape[k]
            index[k] = 0
          }
        }
      } else {
        for t in 0..<count {
          let raw = data.loadUnaligned(fromByteOffset: t * size, as: Raw.self)
          (out.baseAddress! + t).initialize(to: convert(raw))
        }
      }
      initialized = count
    }
  }

  // MARK: - Encoding

  /// Magic, version, header length and the padded header (total a multiple of 64 bytes).
  static func preamble(_ header: NpyHeader, version: Int?) throws(CurvatureError) -> [UInt8] {
    if let v = version, !(1...3).contains(v) {
      throw .outOfRange(name: "formatVersion", value: Double(v), range: "{1, 2, 3}")
    }
    let text = Array(header.literal.utf8)
    func padded(_ prefix: Int) -> [UInt8] {
      var h = text
      let total = prefix + h.count + 1
      h += [UInt8](repeating: 0x20, count: (64 - total % 64) % 64)
      h.append(0x0A)
      return h
    }
    var major = version ?? 1
    if major == 1 && padded(10).count > 0xFFFF {
      if version != nil {
        throw .outOfRange(
          name: "formatVersion", value: 1, range: "{2, 3} (the header exceeds 65,535 bytes)")
      }
      major = 2
    }
    let h = padded(major == 1 ? 10 : 12)
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, UInt8(major), 0]
    if major == 1 {
      out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8)]
    } else {
      out += (0..<4).map { UInt8((h.count >> (8 * $0)) & 0xFF) }
    }
    return out + h
  }

  private static func appendElements(_ array: NpyArray, transposed: Bool, to out: inout [UInt8]) {
    let (rows, columns) =
      array.shape.count == 2 ? (array.shape[0], array.shape[1]) : (array.count, 1)
    func append<Raw: FixedWidthInteger>(_ n: Int, _ raw: (Int) -> Raw) {
      let size = MemoryLayout<Raw>.size
      let start = out.count
      out += [UInt8](repeating: 0, count: n * size)
      out.withUnsafeMutableBytes { buffer in
        for t in 0..<n {
          // Element t of the file is (i, j) = (t % rows, t / rows) in Fortran order.
          let source = transposed ? (t % rows) * columns + t / rows : t
          buffer.storeBytes(
            of: raw(source).littleEndian, toByteOffset: start + t * size, as: Raw.self)
        }
      }
    }
    switch array.elements {
    case .float32(let x): x.withUnsafeBufferPointer { p in append(p.count) { p[$0].bitPattern } }
    case .float64(let x): x.withUnsafeBufferPointer { p in append(p.count) { p[$0].bitPattern } }
    case .int32(let x):
      x.withUnsafeBufferPointer { p in append(p.count) { UInt32(bitPattern: p[$0]) } }
    case .int64(let x):
      x.withUnsafeBufferPointer { p in append(p.count) { UInt64(bitPattern: p[$0]) } }
    }
  }

  /// Writes the bytes produced by `body` to `path` atomically and durably (``AtomicFile``).
  static func writeAtomically(
    path: String, _ body: ((UnsafeRawBufferPointer) -> Void) -> Void
  ) throws(CurvatureError) {
    try AtomicFile.write(to: path, body)
  }
}
