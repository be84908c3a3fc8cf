import Curvature
import CurvatureModels
import Foundation

/// Song, Ahn & Yun's published behaviour on the CNN over short runs: final-loss ratios of
/// Bulk-SGD and Dom-SGD to SGD across learning rates, seeds, and an optional SGD phase before the
/// switch to the projected optimizer (the paper switches once the alignment has settled).
///
///     swift run -c release Figures song [--steps 300] [--switch 0,200] [--rates 0.1,0.05,0.02]
///       [--seeds 1,2,3]
///
/// Setting, as `CNNPublishedBehaviourTests`: `cnn:8,16,10` (ReLU) on the first 500 digits,
/// minibatch 32, k = 10, a seeded 256-sample Hessian batch, a refresh every 25 steps; for each
/// seed the three optimizers start from the same parameters (after the same SGD phase) and see
/// the same minibatches. Prints one row per (η, SGD phase) with the ratios of every seed.
func songSweepFigures(arguments: [String]) throws {
  var steps = 300
  var switches = [0, 200]
  var rates: [Float] = [0.1, 0.05, 0.02]
  var seeds: [UInt64] = [1, 2, 3]
  try forEachOption(arguments) { name, value in
    let list = value.split(separator: ",").map(String.init)
    switch name {
    case "--steps": steps = Int(value) ?? steps
    case "--switch": switches = list.compactMap { Int($0) }
    case "--rates": rates = list.compactMap { Float($0) }
    case "--seeds": seeds = list.compactMap { UInt64($0) }
    default: return false
    }
    return true
  }
  let n = 500
  let data = try ClassificationData.digits().subset(Array(0..<n))
  let model = try CNN(
    channels: [8, 16], classCount: 10, imageShape: .init(channels: 1, height: 8, width: 8),
    data: data)
  func finalLoss(
    _ mode: SubspaceProjection.Mode, eta: Float, phase: Int, seed: UInt64
  ) throws -> Double {
    var w = model.initialParameters(seed: seed)
    var rng = SeededGenerator(seed: 9 &+ seed)
    func batch() -> SampleSet { .indices((0..<32).map { _ in rng.nextInt(below: n) }) }
    var sgd = SGD(learningRate: eta)
    for _ in 0..<phase {
      let b = batch()
      try sgd.step(parameters: &w, gradient: model.lossAndGradient(at: w, samples: b).gradient)
    }
    var opt = SGD(learningRate: eta).projected(mode)
    let tracker = try DominantSubspaceTracker(
      objective: model,
      configuration: .init(k: 10, hessianBatch: .subset(count: 256, seed: 3), refresh: .every(25)))
    for _ in 0..<steps {
      let b = batch()
      let g = try model.lossAndGradient(at: w, samples: b).gradient
      try tracker.step(&opt, parameters: &w, gradient: g, minibatch: b)
    }
    return try model.loss(at: w, samples: .all(n))
  }
  print("\n## Song et al. on cnn:8,16,10, 500 digits, \(steps) projected steps")
  print("load average at start: \(loadAverage())")
  print("\n| η | SGD phase | SGD loss per seed | Bulk ÷ SGD per seed | Dom ÷ SGD per seed |")
  print("|---:|---:|---|---|---|")
  for eta in rates {
    for phase in switches {
      var sgdLosses: [String] = []
      var bulk: [String] = []
      var dom: [String] = []
      for seed in seeds {
        let s = try finalLoss(.full, eta: eta, phase: phase, seed: seed)
        sgdLosses.append(fmt(s, 4))
        bulk.append(fmt(try finalLoss(.bulk, eta: eta, phase: phase, seed: seed) / s, 2))
        dom.append(fmt(try finalLoss(.dominant, eta: eta, phase: phase, seed: seed) / s, 2))
      }
      print(
        "| \(eta) | \(phase) | \(sgdLosses.joined(separator: ", ")) | \(bulk.joined(separator: ", ")) | \(dom.joined(separator: ", ")) |"
      )
    }
  }
  print("load average at end: \(loadAverage())")
}
