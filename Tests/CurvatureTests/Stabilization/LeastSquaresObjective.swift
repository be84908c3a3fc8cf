@testable import Curvature

/// A small exactly quadratic test objective: ℓ_i(w) = ½ Σ_r (x_{ir}ᵀ w − y_{ir})², with
/// per-sample Hessians H_i = X_iᵀ X_i, so the quadratic increment model is exact.
final class LeastSquaresObjective: DifferentiableObjective {
  let parameterCount: Int
  let sampleCount: Int
  let outputs: Int
  /// x[i][r] is a length-P row.
  let x: [[[Double]]]
  let y: [[Double]]

  init(parameters p: Int, samples n: Int, outputs r: Int, seed: UInt64) {
    var g = SeededGenerator(seed: seed)
    parameterCount = p
    sampleCount = n
    outputs = r
    // Anisotropic features so the Hessian has a clear top eigenspace.
    x = (0..<n).map { _ in
      (0..<r).map { _ in (0..<p).map { j in g.nextGaussian() * (j < 3 ? 2.0 : 0.5) } }
    }
    y = (0..<n).map { _ in (0..<r).map { _ in g.nextGaussian() } }
  }

  func residual(_ w: UnsafeBufferPointer<Float>, _ i: Int, _ r: Int) -> Double {
    var s = -y[i][r]
    for j in 0..<parameterCount { s += x[i][r][j] * Double(w[j]) }
    return s
  }

  func sampleLoss(_ w: UnsafeBufferPointer<Float>, _ i: Int) -> Double {
    var l = 0.0
    for r in 0..<outputs {
      let e = residual(w, i, r)
      l += 0.5 * e * e
    }
    return l
  }

  func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    let idx = samples.indexArray
    return idx.reduce(0) { $0 + sampleLoss(w, $1) } / Double(idx.count)
  }

  func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    let idx = samples.indexArray
    var g = [Double](repeating: 0, count: parameterCount)
    var l = 0.0
    for i in idx {
      for r in 0..<outputs {
        let e = residual(w, i, r)
        l += 0.5 * e * e
        for j in 0..<parameterCount { g[j] += e * x[i][r][j] }
      }
    }
    let n = Double(idx.count)
    for j in 0..<parameterCount { gradient[j] = Float(g[j] / n) }
    return l / n
  }

  func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    let idx = samples.indexArray
    var h = [Double](repeating: 0, count: parameterCount)
    for i in idx {
      for r in 0..<outputs {
        var xv = 0.0
        for j in 0..<parameterCount { xv += x[i][r][j] * Double(v[j]) }
        for j in 0..<parameterCount { h[j] += xv * x[i][r][j] }
      }
    }
    for j in 0..<parameterCount { out[j] = Float(h[j] / Double(idx.count)) }
  }

  func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    for (t, i) in samples.indexArray.enumerated() { losses[t] = sampleLoss(w, i) }
  }

  /// Dense mean Hessian over `samples` (row-major, Double).
  func denseHessian(_ samples: [Int]) -> [Double] {
    let p = parameterCount
    var h = [Double](repeating: 0, count: p * p)
    for i in samples {
      for r in 0..<outputs {
        for a in 0..<p { for b in 0..<p { h[a * p + b] += x[i][r][a] * x[i][r][b] } }
      }
    }
    return h.map { $0 / Double(samples.count) }
  }

  /// Dense mean gradient over `samples` (Double).
  func denseGradient(_ w: [Float], _ samples: [Int]) -> [Double] {
    var g = [Double](repeating: 0, count: parameterCount)
    w.withUnsafeBufferPointer { wp in
      for i in samples {
        for r in 0..<outputs {
          let e = residual(wp, i, r)
          for j in 0..<parameterCount { g[j] += e * x[i][r][j] }
        }
      }
    }
    return g.map { $0 / Double(samples.count) }
  }

  func denseLoss(_ w: [Float], _ samples: [Int]) -> Double {
    w.withUnsafeBufferPointer { wp in samples.reduce(0) { $0 + sampleLoss(wp, $1) } }
      / Double(samples.count)
  }
}
