import Curvature
import CurvatureModels
import Foundation

/// Block Lanczos against single-vector Lanczos at P ≈ 1.1M: the top 10 eigenpairs of the
/// minibatch Hessian of the MLP 64-W-W-10 (tanh) on digits at its initial parameters, tolerance
/// 10⁻³, at most 400 products, for each block size; products, restarts, seconds, and the overlap
/// of each block result with Lanczos's.
///
///     swift run -c release Figures blocklanczos [--width 1024] [--blocks 2,4,10]
func blockLanczosFigures(arguments: [String]) throws {
  var width = 1024
  var blocks = [2, 4, 10]
  try forEachOption(arguments) { name, value in
    switch name {
    case "--width": width = Int(value) ?? width
    case "--blocks": blocks = value.split(separator: ",").compactMap { Int($0) }
    default: return false
    }
    return true
  }
  let data = try ClassificationData.digits()
  let model = try MLP(layerSizes: [64, width, width, 10], activation: .tanh, data: data)
  let w0 = model.initialParameters(seed: 1)
  var rng = SeededGenerator(seed: 4)
  let batch = SampleSet.indices((0..<64).map { _ in rng.nextInt(below: model.sampleCount) })
  let op = try ObjectiveHessian(objective: model, at: w0, samples: batch)
  let configuration = LanczosConfiguration(tolerance: 1e-3, maxProducts: 400)
  print("\n## Block Lanczos at P = \(model.parameterCount), k = 10, minibatch 64")
  print("load average at start: \(loadAverage())")
  print("\n| solver | products | restarts | converged | seconds | overlap with Lanczos |")
  print("|---|---:|---:|---:|---:|---:|")
  let t0 = ContinuousClock.now
  let reference = try Lanczos(configuration: configuration).eigenpairs(of: op, count: 10)
  let lanczosSeconds = seconds(ContinuousClock.now - t0)
  print(
    "| Lanczos | \(reference.productCount) | \(reference.iterations) | "
      + "\(reference.converged.filter { $0 }.count) | \(fmt(lanczosSeconds, 2)) | 1 |")
  for b in blocks {
    let t1 = ContinuousClock.now
    let r = try BlockLanczos(configuration: configuration, blockSize: b).eigenpairs(
      of: op, count: 10)
    let s = seconds(ContinuousClock.now - t1)
    let overlap = try SubspaceMetrics.overlap(reference.vectors, r.vectors)
    print(
      "| block \(b) | \(r.productCount) | \(r.iterations) | \(r.converged.filter { $0 }.count) | "
        + "\(fmt(s, 2)) | \(fmt(overlap, 6)) |")
  }
  print("load average at end: \(loadAverage())")
}
