import Curvature
import Foundation

@testable import CurvatureModels

/// A straightforward scalar Double implementation of the ``CNN`` (documented layout, floor
/// pooling, first maximum on ties), written independently of the model's GEMM formulation.
struct CNNReference {
  let shape: ImageShape
  let channels: [Int]
  let classes: Int
  let activation: CNN.Activation

  func act(_ x: Double) -> Double { activation == .relu ? max(0, x) : Foundation.tanh(x) }

  /// The logits of one image (C·H·W values, channel-major) with parameters `w`.
  func logits(_ w: [Double], image: [Double]) -> [Double] {
    var x = image
    var (c, h, wd) = (shape.channels, shape.height, shape.width)
    var off = 0
    for cout in channels {
      // 3×3 'same' convolution + activation.
      var z = [Double](repeating: 0, count: cout * h * wd)
      let bias = off + cout * c * 9
      for o in 0..<cout {
        for y in 0..<h {
          for xx in 0..<wd {
            var s = w[bias + o]
            for i in 0..<c {
              for kh in 0..<3 {
                for kw in 0..<3 {
                  let yy = y + kh - 1
                  let xi = xx + kw - 1
                  if yy < 0 || yy >= h || xi < 0 || xi >= wd { continue }
                  s += w[off + ((o * c + i) * 3 + kh) * 3 + kw] * x[(i * h + yy) * wd + xi]
                }
              }
            }
            z[(o * h + y) * wd + xx] = act(s)
          }
        }
      }
      off = bias + cout
      // 2×2 max pooling, floor.
      let (ho, wo) = (h / 2, wd / 2)
      var p = [Double](repeating: 0, count: cout * ho * wo)
      for o in 0..<cout {
        for y in 0..<ho {
          for xx in 0..<wo {
            var m = -Double.infinity
            for dy in 0..<2 {
              for dx in 0..<2 { m = max(m, z[(o * h + 2 * y + dy) * wd + 2 * xx + dx]) }
            }
            p[(o * ho + y) * wo + xx] = m
          }
        }
      }
      (x, c, h, wd) = (p, cout, ho, wo)
    }
    let f = x.count
    return (0..<classes).map { k in
      var s = w[off + classes * f + k]
      for j in 0..<f { s += w[off + k * f + j] * x[j] }
      return s
    }
  }

  func image(_ data: ClassificationData, _ i: Int) -> [Double] {
    let d = data.featureCount
    return (0..<d).map { Double(data.inputs[i * d + $0]) }
  }

  func sampleLoss(_ w: [Double], _ data: ClassificationData, _ i: Int) -> Double {
    Reference.sampleLoss(
      logits(w, image: image(data, i)), label: data.labels[i], loss: .crossEntropy)
  }

  func meanLoss(_ w: [Double], _ data: ClassificationData, _ samples: [Int]) -> Double {
    samples.reduce(0.0) { $0 + sampleLoss(w, data, $1) } / Double(samples.count)
  }
}
