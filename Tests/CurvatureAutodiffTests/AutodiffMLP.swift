import Curvature
import CurvatureAutodiff
import CurvatureModels
import _Differentiation

/// A one-hidden-layer tanh network written with differentiable programming, in the bundled
/// `MLP`'s parameter layout (W₁, b₁, W₂, b₂; weights row-major outputs × inputs), so the same
/// flat vector means the same network in both.
struct AutodiffMLP: Differentiable, ParameterFields {
  var w1: [Float]
  var b1: [Float]
  var w2: [Float]
  var b2: [Float]
  @noDerivative var sizes: [Int]

  static var parameterFields: [ParameterField<Self>] {
    [.init(\.w1), .init(\.b1), .init(\.w2), .init(\.b2)]
  }

  init(sizes: [Int]) {
    self.sizes = sizes
    w1 = [Float](repeating: 0, count: sizes[1] * sizes[0])
    b1 = [Float](repeating: 0, count: sizes[1])
    w2 = [Float](repeating: 0, count: sizes[2] * sizes[1])
    b2 = [Float](repeating: 0, count: sizes[2])
  }

  /// The logits of a batch of inputs (batch × n₀, row-major).
  @differentiable(reverse)
  func logits(_ x: [Float]) -> [Float] {
    let h = tanhElementwise(linear(x, weight: w1, bias: b1, inputs: sizes[0], outputs: sizes[1]))
    return linear(h, weight: w2, bias: b2, inputs: sizes[1], outputs: sizes[2])
  }
}

/// A bundled MLP and the same network as autodiff objectives (batched and per-sample).
struct AutodiffFixture {
  let data: ClassificationData
  let reference: MLP
  let weights: [Float]
  let sizes = [6, 8, 3]

  init(seed: UInt64 = 3) throws {
    data = try ClassificationData.gaussianMixture(
      classes: 3, dimension: 6, samplesPerClass: 20, separation: 2, seed: seed)
    reference = try MLP(layerSizes: sizes, activation: .tanh, data: data)
    weights = reference.initialParameters(seed: seed).map { $0 * 3 }
  }

  /// The batched objective: one reverse pass per part of a sample set.
  func batched(hessian: DifferenceHessian = .richardson()) throws -> AutodiffObjective<
    AutodiffMLP
  > {
    let inputs = data.inputs
    let labels = data.labels
    let n0 = sizes[0]
    let classes = sizes[2]
    return try AutodiffObjective(
      parameters: AutodiffMLP(sizes: sizes), sampleCount: data.count, hessian: hessian,
      batchLosses: { net, indices in
        var x = [Float]()
        x.reserveCapacity(indices.count * n0)
        for i in indices { x += inputs[(i * n0)..<((i + 1) * n0)] }
        return softmaxCrossEntropy(
          logits: net.logits(x), labels: indices.map { labels[$0] }, classes: classes)
      })
  }

  /// The per-sample objective: one reverse pass per sample.
  func perSample() throws -> AutodiffObjective<AutodiffMLP> {
    let inputs = data.inputs
    let labels = data.labels
    let n0 = sizes[0]
    let classes = sizes[2]
    return try AutodiffObjective(
      parameters: AutodiffMLP(sizes: sizes), sampleCount: data.count,
      loss: { net, i in
        let x = Array(inputs[(i * n0)..<((i + 1) * n0)])
        return softmaxCrossEntropy(logits: net.logits(x), labels: [labels[i]], classes: classes)[
          0]
      })
  }
}

/// ‖a − b‖ / ‖b‖ in Double.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
  var d = 0.0
  var r = 0.0
  for i in 0..<b.count {
    d += (Double(a[i]) - Double(b[i])) * (Double(a[i]) - Double(b[i]))
    r += Double(b[i]) * Double(b[i])
  }
  return (d / r).squareRoot()
}
