import Foundation

@testable import Curvature

/// ℓᵢ(w) = ½ wᵀAw + (γ/4) Σ_j w_j⁴ − bᵢᵀw: H(w) = A + 3γ diag(w²) moves with w, so a basis
/// computed from the wrong parameters is caught bit for bit.
struct QuarticProblem: Sendable {
  let p = 30
  let n = 12
  let a: [Double]
  let b: [[Float]]
  let gamma: Double

  init(seed: UInt64 = 11, gamma: Double = 0.5) {
    self.gamma = gamma
    var rng = SeededGenerator(seed: seed)
    let p = 30
    var m = [Double](repeating: 0, count: p * p)
    // A = Σ λ_k q_k q_kᵀ with outliers 40, 30, 20, 10 and a small bulk.
    let q = (0..<p).map { _ in rng.gaussianVector(count: p) }
    for k in 0..<p {
      let lambda = k < 4 ? Double(40 - 10 * k) : 0.5 / Double(k)
      let norm2 = q[k].reduce(0.0) { $0 + Double($1) * Double($1) }
      for i in 0..<p {
        for j in 0..<p { m[i * p + j] += lambda * Double(q[k][i]) * Double(q[k][j]) / norm2 }
      }
    }
    a = m
    b = (0..<12).map { _ in rng.gaussianVector(count: p) }
  }

  /// A fresh objective; `delay` seconds are slept in every HVP, `failing` makes HVPs throw.
  func make(delay: Double = 0, failing: Bool = false) -> ClosureObjective {
    let (p, a, b, gamma) = (self.p, self.a, self.b, self.gamma)
    func mul(_ v: [Float]) -> [Double] {
      (0..<p).map { i in
        var s = 0.0
        for j in 0..<p { s += a[i * p + j] * Double(v[j]) }
        return s
      }
    }
    return ClosureObjective(
      parameterCount: p, sampleCount: 12,
      perSampleLosses: { w, idx in
        let aw = mul(w)
        var quad = 0.0
        for i in 0..<p { quad += 0.5 * Double(w[i]) * aw[i] + gamma / 4 * pow(Double(w[i]), 4) }
        return idx.map { quad - Kernels.dot(b[$0], w) }
      },
      gradient: { w, idx in
        let aw = mul(w)
        return (0..<p).map { i in
          var g = aw[i] + gamma * pow(Double(w[i]), 3)
          for s in idx { g -= Double(b[s][i]) / Double(idx.count) }
          return Float(g)
        }
      },
      hessianVectorProduct: { w, _, v in
        if failing { throw CurvatureError.diverged(reason: "test failure") }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        let av = mul(v)
        return (0..<p).map { Float(av[$0] + 3 * gamma * Double(w[$0] * w[$0]) * Double(v[$0])) }
      })
  }
}
