import Curvature
import CurvatureModels
import Foundation

/// How close the Gauss–Newton matrix's top eigenspace is to the Hessian's on the in-loop model.
///
///     swift run -c release Figures gaussnewton [--width 1024] [--steps 500] [--every 250]
///
/// Trains the MLP 64-W-W-10 (tanh) on the digits with plain SGD (η = 0.1, minibatch 64, the
/// seeds of `Figures inloop`) and, every `--every` steps, computes the top-10 eigenpairs of the
/// full-data Hessian and of the full-data Gauss–Newton matrix (Lanczos, tolerance 10⁻³): the
/// overlap ‖UᵀV‖²_F / k of the two eigenspaces and the relative gaps of the eigenvalues.
func gaussNewtonFigures(arguments: [String]) throws {
  var width = 1024
  var steps = 500
  var every = 250
  try forEachOption(arguments) { name, value in
    switch name {
    case "--width": width = Int(value) ?? width
    case "--steps": steps = Int(value) ?? steps
    case "--every": every = max(1, Int(value) ?? every)
    default: return false
    }
    return true
  }
  let data = try ClassificationData.digits()
  let model = try MLP(layerSizes: [64, width, width, 10], activation: .tanh, data: data)
  let n = model.sampleCount
  print("\n## Gauss–Newton against Hessian, MLP 64-\(width)-\(width)-10 tanh on digits")
  print("P = \(model.parameterCount), top-10 of the full-data matrices, Lanczos tolerance 10⁻³")
  print("\n| step | overlap | largest relative eigenvalue gap | λ₁ (H) | λ₁ (G) |")
  print("|---:|---:|---:|---:|---:|")
  var w = model.initialParameters(seed: 1)
  var rng = SeededGenerator(seed: 4)
  var sgd = SGD(learningRate: 0.1)
  let solver = Lanczos(configuration: LanczosConfiguration(tolerance: 1e-3, maxProducts: 400))
  for step in 0...steps {
    if step % every == 0 {
      let h = try solver.eigenpairs(
        of: ObjectiveHessian(objective: model, at: w, samples: .all(n)), count: 10)
      let g = try solver.eigenpairs(
        of: ObjectiveGaussNewton(objective: model, at: w, samples: .all(n)), count: 10)
      let overlap = try SubspaceMetrics.overlap(h.vectors, g.vectors)
      let gap = zip(h.eigenvalues, g.eigenvalues).map { abs($0 - $1) / abs($0) }.max() ?? 0
      print(
        "| \(step) | \(fmt(overlap, 4)) | \(fmt(gap, 4)) | \(fmt(h.eigenvalues[0], 3)) | "
          + "\(fmt(g.eigenvalues[0], 3)) |")
    }
    if step == steps { break }
    let batch = SampleSet.indices((0..<64).map { _ in rng.nextInt(below: n) })
    let (_, gradient) = try model.lossAndGradient(at: w, samples: batch)
    try sgd.step(parameters: &w, gradient: gradient)
  }
}
