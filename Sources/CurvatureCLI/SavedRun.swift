import Curvature
import Foundation

/// The `.npy` files `train --save PREFIX` and `compare --save PREFIX` write: the final
/// parameters, and for tracked optimizers the tracker's basis and eigenvalues.
enum SavedRun {
  /// The suffixes of the files written for one run.
  static let suffixes = ["parameters", "basis", "eigenvalues"]

  /// The paths written for `prefix`.
  static func paths(prefix: String) -> [String] {
    suffixes.map { "\(prefix).\($0).npy" }
  }

  /// An optimizer name made safe for a file name (letters, digits, '.', '-', '_' kept).
  static func fileName(_ spec: String) -> String {
    String(
      spec.map { c in
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_") ? c : "_"
      })
  }

  /// Checks, before any training, that every file of `prefix` can be written: its directory
  /// exists and is writable, and no target is a directory or a read-only file.
  /// - Throws: `CurvatureError.fileSystem` naming the first path that cannot be written.
  static func checkWritable(prefix: String) throws {
    if prefix.isEmpty || prefix.hasSuffix("/") {
      throw UsageError("--save: expected a file prefix such as runs/bulk, got '\(prefix)'")
    }
    for path in paths(prefix: prefix) { try AtomicFile.checkWritable(path) }
  }

  /// The basis held in a tracker's state (`nil` before its first refresh).
  static func basis(_ state: OptimizerState) throws -> Basis? {
    guard let storage = state.arrays["basis"], let k = state.scalars["basis.count"].map(Int.init),
      k > 0, storage.count % k == 0
    else { return nil }
    let p = storage.count / k
    return try Basis(
      orthonormalizing: (0..<k).map { Array(storage[($0 * p)..<(($0 + 1) * p)]) }, dimension: p)
  }

  /// Writes the run's files (each atomically) and returns the paths written: the parameters
  /// always, the basis (P × k, one eigenvector per column, eigenvalues descending) and the
  /// eigenvalues only for a tracked run.
  static func write(_ run: TrainCommand.Run, prefix: String) throws -> [String] {
    let p = paths(prefix: prefix)
    try NpyFile.write(vector: run.parameters, to: p[0])
    guard let basis = run.basis else { return [p[0]] }
    try NpyFile.write(basis: basis, to: p[1])
    try NpyFile.write(
      NpyArray(shape: [run.eigenvalues.count], elements: .float64(run.eigenvalues)), to: p[2])
    return p
  }
}
