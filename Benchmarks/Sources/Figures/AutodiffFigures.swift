import Curvature
import CurvatureAutodiff
import CurvatureModels
import Foundation
import _Differentiation

/// A three-layer tanh network written with differentiable programming, in the bundled `MLP`'s
/// parameter layout, so both read the same flat weights.
struct AutodiffNet: Differentiable, ParameterFields {
  var w1: [Float]
  var b1: [Float]
  var w2: [Float]
  var b2: [Float]
  var w3: [Float]
  var b3: [Float]
  @noDerivative let sizes: [Int]

  static var parameterFields: [ParameterField<Self>] {
    [.init(\.w1), .init(\.b1), .init(\.w2), .init(\.b2), .init(\.w3), .init(\.b3)]
  }

  init(sizes: [Int]) {
    self.sizes = sizes
    func zeros(_ n: Int) -> [Float] { [Float](repeating: 0, count: n) }
    w1 = zeros(sizes[1] * sizes[0])
    b1 = zeros(sizes[1])
    w2 = zeros(sizes[2] * sizes[1])
    b2 = zeros(sizes[2])
    w3 = zeros(sizes[3] * sizes[2])
    b3 = zeros(sizes[3])
  }

  @differentiable(reverse)
  func losses(_ x: [Float], labels: [Int]) -> [Float] {
    let h1 = tanhElementwise(linear(x, weight: w1, bias: b1, inputs: sizes[0], outputs: sizes[1]))
    let h2 = tanhElementwise(linear(h1, weight: w2, bias: b2, inputs: sizes[1], outputs: sizes[2]))
    let z = linear(h2, weight: w3, bias: b3, inputs: sizes[2], outputs: sizes[3])
    return softmaxCrossEntropy(logits: z, labels: labels, classes: sizes[3])
  }
}

/// Autodiff gradient and HVP time ÷ the bundled MLP's on the same weights and samples,
/// measured side by side (the operations take turns in every round).
///
///   swift run -c release Figures autodiff [--quick]
func autodiffFigures(arguments: [String]) throws {
  let reps = arguments.contains("--quick") ? 3 : 7
  let data = try ClassificationData.digits()
  for sizes in [[64, 512, 512, 10], [64, 32, 32, 10]] {
    let mlp = try MLP(layerSizes: sizes, activation: .tanh, data: data)
    let inputs = data.inputs
    let labels = data.labels
    let n0 = sizes[0]
    func rows(_ batch: [Int]) -> [Float] { batch.flatMap { inputs[($0 * n0)..<(($0 + 1) * n0)] } }
    let batched = try AutodiffObjective(
      parameters: AutodiffNet(sizes: sizes), sampleCount: data.count,
      batchLosses: { net, batch in net.losses(rows(batch), labels: batch.map { labels[$0] }) })
    let perSample = try AutodiffObjective(
      parameters: AutodiffNet(sizes: sizes), sampleCount: data.count,
      loss: { net, i in net.losses(rows([i]), labels: [labels[i]])[0] })
    let w = mlp.initialParameters(seed: 0)
    let w2 = mlp.initialParameters(seed: 1)
    let all = SampleSet.all(data.count)
    let p = mlp.parameterCount
    var rng = SeededGenerator(seed: 99)
    let v = rng.gaussianVector(count: p)
    var g = [Float](repeating: 0, count: p)
    var out = [Float](repeating: 0, count: p)
    // Bundled HVPs alternate between w and w2 so that their forward-pass cache never hits.
    var flip = false
    func gradient(_ o: some DifferentiableObjective) throws {
      try w.withUnsafeBufferPointer { wp in
        try g.withUnsafeMutableBufferPointer { _ = try o.gradient(at: wp, samples: all, into: $0) }
      }
    }
    func hvp(_ o: some DifferentiableObjective, at x: [Float]) throws {
      try x.withUnsafeBufferPointer { wp in
        try v.withUnsafeBufferPointer { vp in
          try out.withUnsafeMutableBufferPointer {
            try o.hessianVectorProduct(at: wp, samples: all, direction: vp, into: $0)
          }
        }
      }
    }
    let operations: [(String, () throws -> Void)] = [
      ("bundled MLP gradient", { try gradient(mlp) }),
      ("autodiff gradient (batched loss)", { try gradient(batched) }),
      ("autodiff gradient (per-sample loss)", { try gradient(perSample) }),
      (
        "bundled MLP HVP (exact, fresh forward pass)",
        {
          flip.toggle()
          try hvp(mlp, at: flip ? w : w2)
        }
      ),
      ("autodiff HVP (Richardson, 4 gradients)", { try hvp(batched, at: w) }),
    ]
    var times = [[Double]](repeating: [], count: operations.count)
    for round in 0...reps {
      for (k, op) in operations.enumerated() {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try op.1()
        if round > 0 { times[k].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
      }
    }
    let medians = times.map { $0.sorted()[$0.count / 2] }
    let minima = times.map { $0.min()! }
    // Accuracy on the same weights: the Richardson product against the exact one.
    let exact = try mlp.hessianVectorProduct(at: w, samples: all, direction: v)
    let approx = try batched.hessianVectorProduct(at: w, samples: all, direction: v)
    var d = 0.0
    var r = 0.0
    for i in 0..<p {
      d += pow(Double(approx[i]) - Double(exact[i]), 2)
      r += pow(Double(exact[i]), 2)
    }
    let (_, gBundled) = try mlp.lossAndGradient(at: w, samples: all)
    let (_, gAutodiff) = try batched.lossAndGradient(at: w, samples: all)
    var gd = 0.0
    var gr = 0.0
    for i in 0..<p {
      gd += pow(Double(gAutodiff[i]) - Double(gBundled[i]), 2)
      gr += pow(Double(gBundled[i]), 2)
    }
    print(
      "\n## Autodiff MLP \(sizes.map(String.init).joined(separator: "-")) tanh against the bundled MLP, "
        + "all \(data.count) digits, P = \(p), \(reps) rounds")
    print("| operation | median ms | min ms | ÷ bundled (median) |")
    print("|---|---:|---:|---:|")
    for (k, op) in operations.enumerated() {
      let reference = k < 3 ? medians[0] : medians[3]
      print(
        "| \(op.0) | \(formatted(medians[k], 2)) | \(formatted(minima[k], 2)) | \(formatted(medians[k] / reference, 2)) |"
      )
    }
    print(
      "gradient relative difference \(String(format: "%.2e", (gd / gr).squareRoot())); "
        + "HVP relative error \(String(format: "%.2e", (d / r).squareRoot())), "
        + "estimated \(String(format: "%.2e", batched.lastErrorEstimate?.relative ?? .nan))")
  }
}
