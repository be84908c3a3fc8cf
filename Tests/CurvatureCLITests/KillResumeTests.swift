import Curvature
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A `curvature train --checkpoint-every 1` process killed with SIGKILL at arbitrary moments
/// (often in the middle of writing a checkpoint) always leaves a readable checkpoint, and
/// resuming after every kill ends bit-identical to an uninterrupted run.
@Suite struct KillResumeTests {
  /// The `curvature` executable built next to the test bundle.
  static var executable: String? {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("curvature").path
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory),
        !isDirectory.boolValue, access(candidate, X_OK) == 0
      {
        return candidate
      }
      directory.deleteLastPathComponent()
    }
    return nil
  }

  /// The modification time of `path` (nil when it does not exist).
  static func modified(_ path: String) -> Date? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
  }

  static func launch(_ executable: String, _ arguments: [String]) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    return p
  }

  @Test func sigkilledWriterAlwaysLeavesAResumableCheckpoint() throws {
    let executable = try #require(
      Self.executable,
      "the curvature executable is built with the tests (swift build --build-tests)")
    let dir = NSTemporaryDirectory() + "curvature-kill-\(getpid())"
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let settings = [
      "--model", "mlp:64,16,10", "--optimizer", "bulk-adam", "--k", "3", "--refresh-every", "7",
      "--hessian-batch", "128", "--batch-size", "32", "--seed", "5", "--quiet",
    ]
    let steps = 300
    let reference = dir + "/reference"
    let straight = try Self.launch(
      executable, ["train"] + settings + ["--steps", "\(steps)", "--checkpoint", reference])
    straight.waitUntilExit()
    #expect(straight.terminationStatus == 0)

    let path = dir + "/ck"
    var rng = SeededGenerator(seed: 42)
    var kills = 0
    var lastStep = 0
    for _ in 0..<12 {
      let resume = FileManager.default.fileExists(atPath: path) ? ["--resume", path] : []
      let p = try Self.launch(
        executable,
        ["train"] + (resume.isEmpty ? settings : ["--quiet"]) + resume + [
          "--steps", "\(steps)", "--checkpoint", path, "--checkpoint-every", "1",
        ])
      // Wait until this process has written a checkpoint (it is then in its stream of per-step
      // writes, however slow start-up is on a loaded machine), then kill it 0 … 0.3 s later.
      let before = Self.modified(path)
      let deadline = Date().addingTimeInterval(120)
      while p.isRunning && Self.modified(path) == before && Date() < deadline { usleep(2_000) }
      usleep(UInt32(rng.nextInt(below: 300_000)))
      if p.isRunning {
        kill(p.processIdentifier, SIGKILL)
        kills += 1
      }
      p.waitUntilExit()
      if FileManager.default.fileExists(atPath: path) {
        // Never torn: the previous or the new checkpoint, intact (checksum verified).
        let c = try Checkpoint.read(from: path)
        #expect(c.step >= lastStep)
        lastStep = c.step
        if c.step == steps { break }
      }
    }
    #expect(kills >= 1)
    if lastStep < steps {
      let start =
        FileManager.default.fileExists(atPath: path) ? ["--quiet", "--resume", path] : settings
      let finish = try Self.launch(
        executable, ["train"] + start + ["--steps", "\(steps)", "--checkpoint", path])
      finish.waitUntilExit()
      #expect(finish.terminationStatus == 0)
    }
    let x = try Checkpoint.read(from: reference)
    let y = try Checkpoint.read(from: path)
    #expect(y.step == steps)
    #expect(x.parameters.map(\.bitPattern) == y.parameters.map(\.bitPattern))
    #expect(x.optimizer == y.optimizer)
    #expect(x.tracker == y.tracker)
    #expect(x.generator == y.generator)
  }
}
