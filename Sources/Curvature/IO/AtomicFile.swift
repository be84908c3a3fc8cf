import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Atomic, durable file replacement: what ``Checkpoint/write(to:)`` and ``NpyFile`` use.
///
/// The bytes go to a fresh temporary file in the destination's folder, which is flushed to
/// the storage device (`fsync`), renamed over the destination (atomic on POSIX file systems),
/// and then the folder itself is flushed so the rename survives a power loss. A process killed
/// at any moment therefore leaves either the previous file or the new one under the real name,
/// never a torn one; at worst a stray hidden `.NAME.*.tmp` file remains beside it.
public enum AtomicFile {
  /// Writes the bytes `body` produces (through the `emit` function it receives, any number of
  /// times) to `path`, atomically and durably.
  /// - Throws: `CurvatureError.fileSystem` naming `path` if the folder does not exist or is
  ///   not writable, or if a write, flush or rename fails; the destination is then untouched
  ///   and the temporary file removed.
  /// - Complexity: O(bytes written), plus two `fsync` calls.
  public static func write(
    to path: String, _ body: ((UnsafeRawBufferPointer) -> Void) -> Void
  ) throws(CurvatureError) {
    let target = URL(fileURLWithPath: path)
    let directory = target.deletingLastPathComponent().path
    let temporary =
      directory + "/.\(target.lastPathComponent).\(UInt64.random(in: 0...UInt64.max)).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw .fileSystem(
        path: path, reason: "cannot create a temporary file in \(directory): \(describe(errno))")
    }
    var failure: String?
    body { bytes in
      guard failure == nil, var base = bytes.baseAddress else { return }
      var remaining = bytes.count
      while remaining > 0 {
        let n = Foundation.write(fd, base, remaining)
        if n < 0 {
          if errno == EINTR { continue }
          failure = "write failed: \(describe(errno))"
          return
        }
        remaining -= n
        base += n
      }
    }
    if failure == nil && fsync(fd) != 0 { failure = "fsync failed: \(describe(errno))" }
    if close(fd) != 0 && failure == nil { failure = "close failed: \(describe(errno))" }
    if failure == nil && rename(temporary, path) != 0 {
      failure = "cannot rename the temporary file into place: \(describe(errno))"
    }
    if let failure {
      unlink(temporary)
      throw .fileSystem(path: path, reason: failure)
    }
    // Make the rename itself durable. Some file systems refuse fsync on a folder (EINVAL);
    // the file is in place either way, so only real I/O errors are reported.
    let dfd = open(directory, O_RDONLY | O_CLOEXEC)
    if dfd >= 0 {
      let status = fsync(dfd)
      let code = errno
      close(dfd)
      if status != 0 && code != EINVAL && code != EROFS {
        throw .fileSystem(path: path, reason: "fsync of \(directory) failed: \(describe(code))")
      }
    }
  }

  /// Writes `bytes` to `path` atomically and durably (see ``write(to:_:)``).
  /// - Throws: `CurvatureError.fileSystem` on failure (the destination is untouched).
  /// - Complexity: O(bytes.count).
  public static func write(_ bytes: [UInt8], to path: String) throws(CurvatureError) {
    try write(to: path) { emit in bytes.withUnsafeBytes { emit($0) } }
  }

  /// Checks, without writing anything, that `path` could be written: its folder exists and
  /// is writable, and `path` is not a folder nor an existing read-only file.
  /// - Throws: `CurvatureError.fileSystem` naming `path` and the problem.
  /// - Complexity: O(1) system calls.
  public static func checkWritable(_ path: String) throws(CurvatureError) {
    if path.isEmpty || path.hasSuffix("/") {
      throw .fileSystem(path: path, reason: "expected a file name")
    }
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { throw .fileSystem(path: path, reason: "directory \(directory) does not exist") }
    guard access(directory, W_OK | X_OK) == 0 else {
      throw .fileSystem(path: path, reason: "directory \(directory) is not writable")
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      if isDirectory.boolValue { throw .fileSystem(path: path, reason: "is a directory") }
      if access(path, W_OK) != 0 {
        throw .fileSystem(path: path, reason: "exists and is not writable")
      }
    }
  }

  private static func describe(_ code: Int32) -> String {
    String(cString: strerror(code)) + " (errno \(code))"
  }
}
