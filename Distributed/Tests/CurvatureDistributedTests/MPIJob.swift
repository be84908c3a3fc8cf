import Foundation

/// Runs `curvature-mpi` under `mpirun` with a time limit, for the tests.
struct MPIJob {
  struct Output {
    var status: Int32
    var standardOutput: String
    var standardError: String
    var timedOut: Bool
  }

  /// The `curvature-mpi` built next to the test bundle (or `CURVATURE_MPI_BINARY`).
  static var binary: String {
    if let path = ProcessInfo.processInfo.environment["CURVATURE_MPI_BINARY"] { return path }
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return bundle.appendingPathComponent("curvature-mpi").path
  }

  /// `mpirun` on the PATH (or `MPIRUN`).
  static var mpirun: String {
    ProcessInfo.processInfo.environment["MPIRUN"] ?? "mpirun"
  }

  /// Runs `curvature-mpi arguments` on `ranks` processes and waits at most `timeout` seconds.
  static func run(ranks: Int, _ arguments: [String], timeout: Double = 240) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      [mpirun, "--oversubscribe", "--bind-to", "none", "-np", "\(ranks)", binary] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    environment["OMPI_MCA_mpi_yield_when_idle"] = "1"
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let outData = LockedData()
    let errData = LockedData()
    out.fileHandleForReading.readabilityHandler = { outData.append($0.availableData) }
    err.fileHandleForReading.readabilityHandler = { errData.append($0.availableData) }
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
      if Date() > deadline {
        timedOut = true
        process.terminate()
        kill(-process.processIdentifier, SIGKILL)
        break
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
    process.waitUntilExit()
    out.fileHandleForReading.readabilityHandler = nil
    err.fileHandleForReading.readabilityHandler = nil
    outData.append(out.fileHandleForReading.readDataToEndOfFile())
    errData.append(err.fileHandleForReading.readDataToEndOfFile())
    return Output(
      status: process.terminationStatus, standardOutput: outData.string,
      standardError: errData.string, timedOut: timedOut)
  }

  /// Whether `mpirun` can be started here.
  static var isAvailable: Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [mpirun, "--version"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do {
      try p.run()
      p.waitUntilExit()
      return p.terminationStatus == 0
    } catch {
      return false
    }
  }
}

/// Bytes appended from a pipe's handler thread.
final class LockedData: @unchecked Sendable {
  private var data = Data()
  private let lock = NSLock()
  func append(_ chunk: Data) {
    lock.lock()
    data.append(chunk)
    lock.unlock()
  }
  var string: String {
    lock.lock()
    defer { lock.unlock() }
    return String(decoding: data, as: UTF8.self)
  }
}

/// The one JSON object a command printed.
func jsonObject(_ text: String) throws -> [String: Any] {
  let data = Data(text.utf8)
  guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
    throw CocoaError(.coderReadCorrupt)
  }
  return object
}
