import Curvature
import Foundation

@testable import CurvatureModels

/// Independent Double-precision reference computations for the model tests.
enum Reference {
  /// A small random classification problem.
  static func data(samples: Int, features: Int, classes: Int, seed: UInt64) -> ClassificationData {
    var rng = SeededGenerator(seed: seed)
    let x = rng.gaussianVector(count: samples * features)
    let y = (0..<samples).map { _ in rng.nextInt(below: classes) }
    return try! ClassificationData(
      inputs: x, labels: y, featureCount: features, classCount: classes)
  }

  static func activation(_ a: MLP.Activation, _ x: Double) -> Double {
    switch a {
    case .tanh: return Foundation.tanh(x)
    case .relu: return max(0, x)
    case .gelu:
      return 0.5 * x * (1 + Foundation.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
    }
  }

  /// Logits of an MLP (documented layout) for sample `i`, in Double.
  static func logits(
    sizes: [Int], activation a: MLP.Activation, w: [Double], data: ClassificationData, sample i: Int
  ) -> [Double] {
    var x = (0..<sizes[0]).map { Double(data.inputs[i * sizes[0] + $0]) }
    var off = 0
    for l in 0..<(sizes.count - 1) {
      let nin = sizes[l]
      let nout = sizes[l + 1]
      var z = [Double](repeating: 0, count: nout)
      for o in 0..<nout {
        var s = w[off + nin * nout + o]
        for k in 0..<nin { s += w[off + o * nin + k] * x[k] }
        z[o] = l < sizes.count - 2 ? activation(a, s) : s
      }
      off += nin * nout + nout
      x = z
    }
    return x
  }

  static func sampleLoss(_ z: [Double], label y: Int, loss: MLP.Loss) -> Double {
    switch loss {
    case .crossEntropy:
      let m = z.max()!
      return m + Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - m) }) - z[y]
    case .meanSquaredError:
      var s = 0.0
      for (k, v) in z.enumerated() { s += (v - (k == y ? 1 : 0)) * (v - (k == y ? 1 : 0)) }
      return s / Double(z.count)
    }
  }

  static func meanLoss(
    sizes: [Int], activation a: MLP.Activation, loss: MLP.Loss, w: [Double],
    data: ClassificationData, samples: [Int]
  ) -> Double {
    var s = 0.0
    for i in samples {
      s += sampleLoss(
        logits(sizes: sizes, activation: a, w: w, data: data, sample: i), label: data.labels[i],
        loss: loss)
    }
    return s / Double(samples.count)
  }

  /// Central-difference gradient of `f` in Double.
  static func gradient(_ f: ([Double]) -> Double, at w: [Double], h: Double = 1e-6) -> [Double] {
    var g = [Double](repeating: 0, count: w.count)
    var x = w
    for i in 0..<w.count {
      x[i] = w[i] + h
      let fp = f(x)
      x[i] = w[i] - h
      let fm = f(x)
      x[i] = w[i]
      g[i] = (fp - fm) / (2 * h)
    }
    return g
  }

  /// Second-difference Hessian of `f` in Double (row-major P × P).
  static func hessian(_ f: ([Double]) -> Double, at w: [Double], h: Double = 1e-4) -> [Double] {
    let p = w.count
    var hess = [Double](repeating: 0, count: p * p)
    var x = w
    let f0 = f(w)
    for i in 0..<p {
      for j in i..<p {
        let v: Double
        if i == j {
          x[i] = w[i] + h
          let fp = f(x)
          x[i] = w[i] - h
          let fm = f(x)
          x[i] = w[i]
          v = (fp - 2 * f0 + fm) / (h * h)
        } else {
          func at(_ a: Double, _ b: Double) -> Double {
            x[i] = w[i] + a
            x[j] = w[j] + b
            let r = f(x)
            x[i] = w[i]
            x[j] = w[j]
            return r
          }
          v = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
        }
        hess[i * p + j] = v
        hess[j * p + i] = v
      }
    }
    return hess
  }

  static func matvec(_ a: [Double], _ v: [Double]) -> [Double] {
    let n = v.count
    return (0..<n).map { i in (0..<n).reduce(0.0) { $0 + a[i * n + $1] * v[$1] } }
  }

  /// Builds the dense matrix of `apply` (column by column with unit vectors), row-major.
  static func dense(_ p: Int, _ apply: ([Float]) throws -> [Float]) rethrows -> [Double] {
    var m = [Double](repeating: 0, count: p * p)
    for j in 0..<p {
      var e = [Float](repeating: 0, count: p)
      e[j] = 1
      let col = try apply(e)
      for i in 0..<p { m[i * p + j] = Double(col[i]) }
    }
    return m
  }

  /// max |a − b| / max(1, max |b|).
  static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    let scale = max(1e-30, b.map { abs($0) }.max() ?? 0)
    return zip(a, b).map { abs($0 - $1) }.max()! / scale
  }

  static func asymmetry(_ m: [Double], _ p: Int) -> Double {
    var worst = 0.0
    var scale = 0.0
    for i in 0..<p {
      for j in 0..<p {
        worst = max(worst, abs(m[i * p + j] - m[j * p + i]))
        scale = max(scale, abs(m[i * p + j]))
      }
    }
    return worst / max(scale, 1e-30)
  }
}
