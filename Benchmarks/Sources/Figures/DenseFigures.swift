import Curvature
import Foundation

/// Prints the dense eigensolver figures: wall-clock time of
/// `SymmetricEigensolver.decompose` on random symmetric matrices (with eigenvectors), its
/// accuracy, and NumPy's `eigh` (LAPACK) on the same sizes when `python3` with NumPy is present.
///   swift run -c release Figures dense [n ...]
func denseFigures(arguments: [String]) throws {
  let sizes =
    arguments.compactMap { Int($0) }.isEmpty ? [500, 1000, 2000] : arguments.compactMap { Int($0) }
  print("dense symmetric eigensolver (Householder + implicit QL, eigenvectors included)")
  print("    n   Curvature s   max residual/‖A‖_F   max |VᵀV−I|   NumPy eigh s   ratio")
  for n in sizes {
    var rng = SeededGenerator(seed: UInt64(n))
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0...i {
        let x = rng.nextGaussian()
        a[i * n + j] = x
        a[j * n + i] = x
      }
    }
    let start = DispatchTime.now().uptimeNanoseconds
    let e = try SymmetricEigensolver.decompose(a, order: n)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    // Accuracy on a sample of 8 eigenpairs (full checks are O(n³) each).
    var frob = 0.0
    for x in a { frob += x * x }
    frob = frob.squareRoot()
    var residual = 0.0
    var orthogonality = 0.0
    let probes = Swift.min(n, 8)
    for t in 0..<probes {
      let i = t * (n - 1) / Swift.max(probes - 1, 1)
      var r2 = 0.0
      for row in 0..<n {
        var s = 0.0
        for k in 0..<n { s += a[row * n + k] * e.vectors[i * n + k] }
        let r = s - e.values[i] * e.vectors[i * n + row]
        r2 += r * r
      }
      residual = Swift.max(residual, r2.squareRoot() / frob)
      for t2 in 0..<probes {
        let j = t2 * (n - 1) / Swift.max(probes - 1, 1)
        var d = 0.0
        for k in 0..<n { d += e.vectors[i * n + k] * e.vectors[j * n + k] }
        orthogonality = Swift.max(orthogonality, abs(d - (i == j ? 1 : 0)))
      }
    }
    let peer = numpyEighSeconds(n)
    let peerText =
      peer.map { String(format: "%12.3f   %5.2f", $0, seconds / $0) } ?? "         n/a     n/a"
    print(
      String(format: "%5d   %11.3f   %18.2e   %11.2e   ", n, seconds, residual, orthogonality)
        + peerText)
  }
}

/// Seconds NumPy's `eigh` takes on a random symmetric n×n matrix (best of 3), or nil.
private func numpyEighSeconds(_ n: Int) -> Double? {
  let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Peers/dense_eigh.py").standardized.path
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", script, String(n)]
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch { return nil }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else { return nil }
  return Double(
    String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}
