import Curvature
import Foundation

/// H = Q diag(λ) Qᵀ with Q = H₁H₂…H_r a product of Householder reflections: O(P r) products.
final class ReflectedDiagonal: HessianOperator {
  let dimension: Int
  private(set) var productCount = 0
  let lambda: [Float]
  let reflections: [[Float]]

  init(lambda: [Float], reflections: [[Float]]) {
    self.dimension = lambda.count
    self.lambda = lambda
    self.reflections = reflections
  }

  private func reflect(_ h: [Float], _ x: UnsafeMutableBufferPointer<Float>) {
    let d = h.withUnsafeBufferPointer { Kernels.dot($0, UnsafeBufferPointer(x)) }
    h.withUnsafeBufferPointer { Kernels.axpy(Float(-2 * d), $0, x) }
  }

  func apply(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    productCount += 1
    _ = out.initialize(from: v)
    for h in reflections { reflect(h, out) }  // Qᵀv = H_r…H₁v
    for i in 0..<dimension { out[i] *= lambda[i] }
    for h in reflections.reversed() { reflect(h, out) }  // Q x = H₁…H_r x
  }
}

/// Reads one case written by Benchmarks/Peers/arpack_spectrum.py.
private func loadCase(_ dir: String, _ name: String) throws -> ReflectedDiagonal {
  let lambda = try NpyFile.read(path: "\(dir)/\(name)_lambda.npy").doubles().map { Float($0) }
  let refl = try NpyFile.read(path: "\(dir)/\(name)_reflections.npy")
  let r = refl.shape[0]
  let p = refl.shape[1]
  let flat = try refl.doubles()
  let reflections = (0..<r).map { j in flat[(j * p)..<((j + 1) * p)].map { Float($0) } }
  return ReflectedDiagonal(lambda: lambda, reflections: reflections)
}

private func seconds(_ body: () throws -> Void) rethrows -> Double {
  let t0 = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

/// Prints the spectrum figures. With `--cases DIR --json FILE` (used by the peer script) it
/// solves every case in DIR and writes the counts; alone it runs a built-in warm/block table.
func spectrumFigures(arguments: [String]) throws {
  var dir: String? = nil
  var jsonPath: String? = nil
  var names: [String] = []
  var ks: [Int] = [1, 10, 50]
  var tol = 1e-4
  var i = 0
  while i < arguments.count {
    let a = arguments[i]
    let value = i + 1 < arguments.count ? arguments[i + 1] : ""
    switch a {
    case "--cases": dir = value
    case "--json": jsonPath = value
    case "--names": names = value.split(separator: ",").map(String.init)
    case "--k": ks = value.split(separator: ",").compactMap { Int($0) }
    case "--tolerance": tol = Double(value) ?? tol
    default: break
    }
    i += 2
  }
  guard let dir else {
    print(
      "spectrum: run `python3 Benchmarks/Peers/arpack_spectrum.py` (it calls this with --cases)")
    return
  }
  var rows: [[String: Any]] = []
  for name in names {
    for k in ks {
      let op = try loadCase(dir, name)
      let config = LanczosConfiguration(tolerance: tol, maxProducts: 20000)
      var cold: EigenResult? = nil
      let t = try seconds { cold = try Lanczos(configuration: config).eigenpairs(of: op, count: k) }
      guard let cold else { continue }
      var row: [String: Any] = [
        "case": name, "k": k, "kind": "lanczos", "matvecs": cold.productCount, "seconds": t,
        "eigenvalues": cold.eigenvalues, "converged": cold.converged.allSatisfy { $0 },
        "maxRelativeResidual": zip(cold.residuals, cold.eigenvalues).map { $0 / abs($1) }.max()
          ?? 0,
      ]
      rows.append(row)
      print("\(name) k=\(k): lanczos \(cold.productCount) products, \(String(format: "%.3f", t)) s")
      // Warm start after a 1% relative-Frobenius perturbation E = c·G diag(e) Gᵀ.
      let p = op.dimension
      var rng = SeededGenerator(seed: 99)
      let g = (0..<2).map { _ -> [Float] in
        let x = rng.gaussianVector(count: p)
        let n = Float(Kernels.norm(x))
        return x.map { $0 / n }
      }
      let e = rng.gaussianVector(count: p)
      let normH = Kernels.norm(op.lambda)
      let scale = Float(0.01 * normH / Kernels.norm(e))
      let pert = ReflectedDiagonal(lambda: e.map { $0 * scale }, reflections: g)
      var buffer = [Float](repeating: 0, count: p)
      let perturbed = ClosureOperator(dimension: p) { v, out in
        op.apply(v, into: out)
        buffer.withUnsafeMutableBufferPointer { pert.apply(v, into: $0) }
        for j in 0..<p { out[j] += buffer[j] }
      }
      var cold1: EigenResult? = nil
      var warm1: EigenResult? = nil
      let tc = try seconds {
        cold1 = try Lanczos(configuration: config).eigenpairs(of: perturbed, count: k)
      }
      let tw = try seconds {
        warm1 = try Lanczos(configuration: config).eigenpairs(
          of: perturbed, count: k, warmStart: cold.vectors)
      }
      row = [
        "case": name, "k": k, "kind": "warm", "cold": cold1!.productCount,
        "warm": warm1!.productCount,
        "coldSeconds": tc, "warmSeconds": tw,
        "converged": cold1!.allConverged && warm1!.allConverged,
      ]
      rows.append(row)
      print(
        "  warm after 1% perturbation: cold \(cold1!.productCount), warm \(warm1!.productCount)")
      // Block Lanczos (block of 4) against single-vector Lanczos.
      if k >= 4 {
        var block: EigenResult? = nil
        let tb = try seconds {
          block = try BlockLanczos(configuration: config, blockSize: 4).eigenpairs(of: op, count: k)
        }
        rows.append([
          "case": name, "k": k, "kind": "block4", "matvecs": block!.productCount, "seconds": tb,
          "converged": block!.allConverged,
        ])
        print("  block(4): \(block!.productCount) products, \(String(format: "%.3f", tb)) s")
      }
    }
  }
  if let jsonPath {
    let data = try JSONSerialization.data(
      withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: jsonPath))
  }
}
