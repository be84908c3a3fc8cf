import Foundation

/// A training checkpoint: parameters, optimizer state, tracker state and the training loop's
/// own random stream, written atomically to one file and restored bit-exactly.
///
/// File format (little-endian): the 8-byte magic `CURVCKPT`, a `UInt32` version (1), a
/// `UInt64` header length, a UTF-8 JSON header (step, metadata, scalars and strings, and an
/// `[offset, count]` reference for every `Float` array), the arrays as raw `Float32` values,
/// and a final `UInt64` FNV-1a checksum of everything before it. Writing goes through
/// ``AtomicFile`` (temporary file, `fsync`, rename, `fsync` of the folder), so a crash never
/// leaves a half-written checkpoint under the real name.
public struct Checkpoint: Sendable, Equatable {
  /// The training step the checkpoint was taken after.
  public var step: Int
  /// The model parameters.
  public var parameters: [Float]
  /// The optimizer's state (``Optimizer/snapshot()``).
  public var optimizer: OptimizerState
  /// The tracker's state (``DominantSubspaceTracker/snapshot()``), if any.
  public var tracker: OptimizerState?
  /// The training loop's random stream (e.g. minibatch order), if any.
  public var generator: SeededGenerator?
  /// Free-form text (model description, command line, …).
  public var metadata: [String: String]

  /// Creates a checkpoint. A negative `step` is refused when the checkpoint is encoded or
  /// written (`CurvatureError.outOfRange`), before anything reaches a file. - Complexity: O(1).
  public init(
    step: Int, parameters: [Float], optimizer: OptimizerState, tracker: OptimizerState? = nil,
    generator: SeededGenerator? = nil, metadata: [String: String] = [:]
  ) {
    self.step = step
    self.parameters = parameters
    self.optimizer = optimizer
    self.tracker = tracker
    self.generator = generator
    self.metadata = metadata
  }

  static let magic: [UInt8] = Array("CURVCKPT".utf8)
  static let version: UInt32 = 1

  private struct StateHeader: Codable {
    var kind: String
    var scalars: [String: Double]
    var strings: [String: String]
    var arrays: [String: [Int]]
  }

  private struct Header: Codable {
    var step: Int
    var parameters: [Int]
    var optimizer: StateHeader
    var tracker: StateHeader?
    var generator: String?
    var metadata: [String: String]
  }

  /// The encoded file contents.
  /// - Throws: `CurvatureError.invalidArgument` if the header cannot be encoded.
  /// - Complexity: O(total array size).
  public func encoded() throws(CurvatureError) -> [UInt8] {
    if step < 0 { throw .outOfRange(name: "step", value: Double(step), range: "[0, ∞)") }
    var payload: [Float] = []
    func add(_ a: [Float]) -> [Int] {
      let ref = [payload.count, a.count]
      payload.append(contentsOf: a)
      return ref
    }
    func state(_ s: OptimizerState) -> StateHeader {
      var refs: [String: [Int]] = [:]
      for key in s.arrays.keys.sorted() { refs[key] = add(s.arrays[key]!) }
      return StateHeader(kind: s.kind, scalars: s.scalars, strings: s.strings, arrays: refs)
    }
    let header = Header(
      step: step, parameters: add(parameters), optimizer: state(optimizer),
      tracker: tracker.map(state), generator: generator.map(DominantSubspaceTracker.encode),
      metadata: metadata)
    let json: Data
    do { json = try Self.encoder().encode(header) } catch {
      throw .invalidArgument(name: "checkpoint", reason: "cannot encode header: \(error)")
    }
    var bytes = Self.magic
    bytes.reserveCapacity(28 + json.count + 4 * payload.count)
    withUnsafeBytes(of: Self.version.littleEndian) { bytes.append(contentsOf: $0) }
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: json)
    for x in payload {
      withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
    let sum = Self.checksum(bytes[...])
    withUnsafeBytes(of: sum.littleEndian) { bytes.append(contentsOf: $0) }
    return bytes
  }

  /// Decodes file contents; `path` only names the file in errors.
  /// - Throws: `CurvatureError.malformedFile` for a wrong magic, version, length, checksum,
  ///   header or array reference.
  /// - Complexity: O(file size).
  public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws(CurvatureError)
    -> Checkpoint
  {
    func bad(_ reason: String) -> CurvatureError { .malformedFile(path: path, reason: reason) }
    guard bytes.count >= 28, Array(bytes[0..<8]) == magic else {
      throw bad("not a Curvature checkpoint (bad magic)")
    }
    func u64(_ at: Int) -> UInt64 {
      var v: UInt64 = 0
      for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
      return v
    }
    let version =
      UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16
      | UInt32(bytes[11]) << 24
    guard version == Self.version else { throw bad("unsupported version \(version)") }
    let stored = u64(bytes.count - 8)
    guard checksum(bytes[0..<(bytes.count - 8)]) == stored else { throw bad("checksum mismatch") }
    let headerLength = u64(12)
    guard headerLength <= UInt64(bytes.count - 28) else { throw bad("header length out of range") }
    let headerEnd = 20 + Int(headerLength)
    let payloadBytes = bytes.count - 8 - headerEnd
    guard payloadBytes % 4 == 0 else { throw bad("payload is not a whole number of Float32") }
    let header: Header
    do { header = try decoder().decode(Header.self, from: Data(bytes[20..<headerEnd])) } catch {
      throw bad("unreadable header")
    }
    let floatCount = payloadBytes / 4
    func array(_ ref: [Int]) throws(CurvatureError) -> [Float] {
      guard ref.count == 2, ref[0] >= 0, ref[1] >= 0, ref[0] <= floatCount,
        ref[1] <= floatCount - ref[0]
      else { throw bad("array reference out of range") }
      var out = [Float](repeating: 0, count: ref[1])
      for i in 0..<ref[1] {
        let at = headerEnd + 4 * (ref[0] + i)
        let bits =
          UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
          | UInt32(bytes[at + 3]) << 24
        out[i] = Float(bitPattern: bits)
      }
      return out
    }
    func state(_ h: StateHeader) throws(CurvatureError) -> OptimizerState {
      var arrays: [String: [Float]] = [:]
      for (k, ref) in h.arrays { arrays[k] = try array(ref) }
      return OptimizerState(kind: h.kind, scalars: h.scalars, strings: h.strings, arrays: arrays)
    }
    guard header.step >= 0 else { throw bad("negative step") }
    var generator: SeededGenerator? = nil
    if let g = header.generator {
      do { generator = try DominantSubspaceTracker.decode(g) } catch {
        throw bad("malformed generator state")
      }
    }
    return Checkpoint(
      step: header.step, parameters: try array(header.parameters),
      optimizer: try state(header.optimizer), tracker: try header.tracker.map(state),
      generator: generator, metadata: header.metadata)
  }

  /// Writes the checkpoint to `path` atomically and durably (``AtomicFile``: temporary file in
  /// the same folder, flushed, renamed over `path`, folder flushed), so a process killed at any
  /// moment leaves the previous checkpoint or this one, never a torn file.
  /// - Throws: `CurvatureError.fileSystem` if the file cannot be written (`path` is untouched).
  /// - Complexity: O(file size).
  public func write(to path: String) throws(CurvatureError) {
    try AtomicFile.write(try encoded(), to: path)
  }

  /// Reads a checkpoint written by ``write(to:)``.
  /// - Throws: `CurvatureError.fileSystem` if the file cannot be read, `.malformedFile` if it
  ///   is not a valid checkpoint.
  /// - Complexity: O(file size).
  public static func read(from path: String) throws(CurvatureError) -> Checkpoint {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw .fileSystem(path: path, reason: "cannot read: \(error.localizedDescription)")
    }
    return try decode([UInt8](data), path: path)
  }

  /// 64-bit FNV-1a.
  static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
      h ^= UInt64(b)
      h = h &* 0x0000_0100_0000_01b3
    }
    return h
  }

  private static func encoder() -> JSONEncoder {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    e.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return e
  }

  private static func decoder() -> JSONDecoder {
    let d = JSONDecoder()
    d.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return d
  }
}
