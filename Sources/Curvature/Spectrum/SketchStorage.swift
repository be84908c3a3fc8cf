import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A zero-filled `Float` matrix for the sketched eigensolver: on the heap, or in a file in a
/// directory the caller chooses, memory-mapped so the operating system pages it in and out
/// (out-of-core storage for sketches larger than RAM).
///
/// The file is created with a unique name, removed from the directory at once (it lives only as
/// long as the mapping, so nothing is left behind, even after a crash) and its full size is
/// reserved on disk before use, so a full disk is a thrown error rather than a fault while the
/// sketch is written.
final class SketchStorage {
  /// The first element (64-byte aligned on the heap; page-aligned when mapped).
  let base: UnsafeMutablePointer<Float>
  /// Bytes mapped (0 for heap storage).
  private let mappedBytes: Int

  /// `count` zeros, on the heap when `directory` is nil, else in a mapped file there.
  /// - Throws: `CurvatureError.fileSystem` naming the directory if the file cannot be created,
  ///   sized (including a full disk) or mapped; `.outOfRange` for a negative count.
  /// - Complexity: O(count) to zero heap storage; mapped storage starts as zero pages.
  init(count: Int, directory: String?) throws(CurvatureError) {
    if count < 0 {
      throw .outOfRange(name: "sketch storage", value: Double(count), range: "[0, ∞)")
    }
    let bytes = Swift.max(1, count) * MemoryLayout<Float>.stride
    guard let directory else {
      let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
      raw.initializeMemory(as: Float.self, repeating: 0, count: Swift.max(1, count))
      base = raw.assumingMemoryBound(to: Float.self)
      mappedBytes = 0
      return
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { throw .fileSystem(path: directory, reason: "is not a directory") }
    var template = Array((directory + "/curvature-sketch-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    if fd < 0 {
      throw .fileSystem(path: directory, reason: "cannot create a file: \(Self.errnoText())")
    }
    defer { close(fd) }
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    let reserved = posix_fallocate(fd, 0, off_t(bytes))
    if reserved != 0 {
      throw .fileSystem(
        path: directory,
        reason:
          "cannot reserve \(bytes) bytes for the sketch: \(String(cString: strerror(reserved)))")
    }
    guard let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
      mapped != MAP_FAILED
    else {
      throw .fileSystem(path: directory, reason: "cannot map the sketch: \(Self.errnoText())")
    }
    base = mapped.assumingMemoryBound(to: Float.self)
    mappedBytes = bytes
  }

  deinit {
    if mappedBytes > 0 {
      munmap(UnsafeMutableRawPointer(base), mappedBytes)
    } else {
      UnsafeMutableRawPointer(base).deallocate()
    }
  }

  /// Column `j` of a column-major matrix with `rows` rows stored here.
  func column(_ j: Int, rows: Int) -> UnsafeMutablePointer<Float> { base + j * rows }

  private static func errnoText() -> String { String(cString: strerror(errno)) }
}
