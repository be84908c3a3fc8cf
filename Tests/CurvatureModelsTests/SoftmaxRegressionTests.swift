import Curvature
import Testing

@testable import CurvatureModels

@Suite struct SoftmaxRegressionTests {
  @Test func hessianEqualsGaussNewtonAndMatchesReference() throws {
    let d = Reference.data(samples: 8, features: 3, classes: 4, seed: 3)
    let m = try SoftmaxRegression(data: d)
    #expect(m.parameterCount == 16)
    let w = m.initialParameters(seed: 2).map { $0 * 3 }
    let s = SampleSet.all(8)
    let h = try Reference.dense(16) { try m.hessianVectorProduct(at: w, samples: s, direction: $0) }
    let g = try Reference.dense(16) { v in
      var out = [Float](repeating: 0, count: 16)
      try w.withUnsafeBufferPointer { wp in
        try v.withUnsafeBufferPointer { vp in
          try out.withUnsafeMutableBufferPointer {
            try m.gaussNewtonVectorProduct(at: wp, samples: s, direction: vp, into: $0)
          }
        }
      }
      return out
    }
    #expect(Reference.relativeError(h, g) < 1e-6)
    let f = { (x: [Double]) in
      Reference.meanLoss(
        sizes: [3, 4], activation: .tanh, loss: .crossEntropy, w: x, data: d, samples: Array(0..<8))
    }
    #expect(Reference.relativeError(h, Reference.hessian(f, at: w.map(Double.init))) < 5e-6)
    let eig = try SymmetricEigensolver.decompose(h, order: 16)
    #expect(eig.values.min()! > -1e-6)  // convex
  }
}
