import Curvature
import Foundation

/// A one-hidden-layer tanh network fitted to a seeded smooth target by mean squared error:
/// ŷ(x) = v·tanh(W x + b) + c, ℓᵢ = ½ (ŷ(xᵢ) − yᵢ)². Parameters are one flat vector
/// [W (hidden × inputs, row-major), b, v, c]. The gradient is written by hand; Hessian-vector
/// products are left to ``ClosureObjective``'s central differences.
public struct TanhRegression: Sendable {
  public let inputs: Int
  public let hidden: Int
  public let x: [[Float]]
  public let y: [Float]

  public var parameterCount: Int { hidden * inputs + 2 * hidden + 1 }
  public var sampleCount: Int { x.count }

  /// `samples` points in [−1, 1]^inputs with y = sin(2 x₀) + x₁ x₂ − 0.5 x₃², seeded.
  public init(inputs: Int = 4, hidden: Int = 24, samples: Int = 256, seed: UInt64 = 7) {
    var rng = SeededGenerator(seed: seed)
    self.inputs = inputs
    self.hidden = hidden
    x = (0..<samples).map { _ in (0..<inputs).map { _ in Float(2 * rng.nextUniform() - 1) } }
    y = x.map { p in
      Float(sin(2 * Double(p[0]))) + p[1] * p[2 % inputs] - 0.5 * p[3 % inputs] * p[3 % inputs]
    }
  }

  /// Small seeded initial parameters (Glorot-like scale).
  public func initialParameters(seed: UInt64 = 1) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    let s1 = Float(1 / Double(inputs).squareRoot())
    let s2 = Float(1 / Double(hidden).squareRoot())
    var w = [Float](repeating: 0, count: parameterCount)
    for i in 0..<(hidden * inputs) { w[i] = s1 * Float(rng.nextGaussian()) }
    for j in 0..<hidden { w[hidden * inputs + hidden + j] = s2 * Float(rng.nextGaussian()) }
    return w
  }

  /// The per-sample losses and the gradient of their mean over `indices`, in one pass.
  public func lossesAndGradient(_ w: [Float], _ indices: [Int]) -> (
    losses: [Double], gradient: [Float]
  ) {
    let (h, n) = (hidden, inputs)
    let bOff = h * n
    let vOff = bOff + h
    let cOff = vOff + h
    var g = [Float](repeating: 0, count: parameterCount)
    var losses: [Double] = []
    losses.reserveCapacity(indices.count)
    var a = [Float](repeating: 0, count: h)
    let scale = 1 / Float(indices.count)
    for i in indices {
      let xi = x[i]
      var out = w[cOff]
      for j in 0..<h {
        var z = w[bOff + j]
        for k in 0..<n { z += w[j * n + k] * xi[k] }
        a[j] = tanhf(z)
        out += w[vOff + j] * a[j]
      }
      let r = out - y[i]
      losses.append(0.5 * Double(r) * Double(r))
      let d = r * scale
      g[cOff] += d
      for j in 0..<h {
        g[vOff + j] += d * a[j]
        let dz = d * w[vOff + j] * (1 - a[j] * a[j])
        g[bOff + j] += dz
        for k in 0..<n { g[j * n + k] += dz * xi[k] }
      }
    }
    return (losses, g)
  }

  /// The model as a ``DifferentiableObjective``: one closure for the loss and the gradient.
  /// Its HVPs are central differences (declared as such, so trackers ask for what they give).
  /// - Parameter accuracy: the accuracy declared for the central differences (the library's
  ///   default unless given; `.exact` reproduces the cost trap of claiming more than they have).
  public func objective(
    accuracy: HessianProductAccuracy = .centralDifferenceDefault
  ) -> ClosureObjective {
    ClosureObjective(
      parameterCount: parameterCount, sampleCount: sampleCount, finiteDifferenceAccuracy: accuracy
    ) {
      w, indices, wantsPerSample in
      let (losses, g) = lossesAndGradient(w, indices)
      return .init(
        loss: losses.reduce(0, +) / Double(losses.count), gradient: g,
        perSampleLosses: wantsPerSample ? losses : nil)
    }
  }
}

private func tanhf(_ z: Float) -> Float {
  let e = Float(exp(Double(-2 * abs(z))))
  let t = (1 - e) / (1 + e)
  return z < 0 ? -t : t
}
