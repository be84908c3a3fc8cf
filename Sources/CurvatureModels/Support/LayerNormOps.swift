/// Row-wise layer normalisation y = γ ⊙ (x − μ)/√(σ² + ε) + β and its forward-over-reverse
/// derivatives (ε = 1e-5, as PyTorch's `nn.LayerNorm`).
enum LayerNormOps {
  static let epsilon = 1e-5

  /// n = (x − μ)·rstd, rstd = 1/√(var + ε), y = γ n + β.
  static func forward(
    _ x: UnsafePointer<Float>, rows: Int, width d: Int, gamma: UnsafePointer<Float>,
    beta: UnsafePointer<Float>, n: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
    y: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows {
      let xr = x + r * d
      var s = 0.0
      for i in 0..<d { s += Double(xr[i]) }
      let mu = s / Double(d)
      var v = 0.0
      for i in 0..<d {
        let t = Double(xr[i]) - mu
        v += t * t
      }
      let rs = 1 / (v / Double(d) + epsilon).squareRoot()
      rstd[r] = Float(rs)
      let nr = n + r * d
      let yr = y + r * d
      for i in 0..<d {
        let t = Float((Double(xr[i]) - mu) * rs)
        nr[i] = t
        yr[i] = gamma[i] * t + beta[i]
      }
    }
  }

  /// Tangent: ṅ = rstd(ẋ − mean ẋ − n mean(n ẋ)), ṙstd = −rstd² mean(n ẋ),
  /// ẏ = γ ṅ + γ̇ n + β̇.
  static func tangent(
    _ xt: UnsafePointer<Float>, rows: Int, width d: Int, n: UnsafePointer<Float>,
    rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>, gammaT: UnsafePointer<Float>,
    betaT: UnsafePointer<Float>, nt: UnsafeMutablePointer<Float>,
    rstdT: UnsafeMutablePointer<Float>, yt: UnsafeMutablePointer<Float>
  ) {
    let inv = 1 / Float(d)
    for r in 0..<rows {
      let xr = xt + r * d
      let nr = n + r * d
      var m: Float = 0
      var mn: Float = 0
      for i in 0..<d {
        m += xr[i]
        mn += nr[i] * xr[i]
      }
      m *= inv
      mn *= inv
      let rs = rstd[r]
      rstdT[r] = -rs * rs * mn
      let ntr = nt + r * d
      let ytr = yt + r * d
      for i in 0..<d {
        let t = rs * (xr[i] - m - nr[i] * mn)
        ntr[i] = t
        ytr[i] = gamma[i] * t + gammaT[i] * nr[i] + betaT[i]
      }
    }
  }

  /// Backward: dx += rstd(n̄ − mean n̄ − n mean(n̄ n)) with n̄ = γ ȳ; dγ += Σ ȳ n, dβ += Σ ȳ.
  static func backward(
    _ dy: UnsafePointer<Float>, rows: Int, width d: Int, n: UnsafePointer<Float>,
    rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
    dGamma: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?
  ) {
    let inv = 1 / Float(d)
    for r in 0..<rows {
      let yr = dy + r * d
      let nr = n + r * d
      var m1: Float = 0
      var m2: Float = 0
      for i in 0..<d {
        let nb = gamma[i] * yr[i]
        m1 += nb
        m2 += nb * nr[i]
      }
      m1 *= inv
      m2 *= inv
      let rs = rstd[r]
      let xr = dx + r * d
      for i in 0..<d { xr[i] += rs * (gamma[i] * yr[i] - m1 - nr[i] * m2) }
      if let dGamma, let dBeta {
        for i in 0..<d {
          dGamma[i] += yr[i] * nr[i]
          dBeta[i] += yr[i]
        }
      }
    }
  }

  /// Tangent of the backward pass (adds into `dxT`, `dGammaT`, `dBetaT`). With `functional`
  /// false only the linear part (the backward pass applied to ȳ') is kept, as the
  /// Gauss–Newton product needs.
  static func tangentBackward(
    dy: UnsafePointer<Float>, dyT: UnsafePointer<Float>, rows: Int, width d: Int,
    n: UnsafePointer<Float>, rstd: UnsafePointer<Float>, nt: UnsafePointer<Float>,
    rstdT: UnsafePointer<Float>, gamma: UnsafePointer<Float>, gammaT: UnsafePointer<Float>,
    functional: Bool, dxT: UnsafeMutablePointer<Float>, dGammaT: UnsafeMutablePointer<Float>,
    dBetaT: UnsafeMutablePointer<Float>
  ) {
    let inv = 1 / Float(d)
    for r in 0..<rows {
      let y = dy + r * d
      let yt = dyT + r * d
      let nr = n + r * d
      let ntr = nt + r * d
      var a1: Float = 0  // mean n̄'
      var a2: Float = 0  // mean n̄' n
      var m1: Float = 0  // mean n̄
      var m2: Float = 0  // mean n̄ n
      var m3: Float = 0  // mean n̄ ṅ
      for i in 0..<d {
        let nbT = gamma[i] * yt[i] + (functional ? gammaT[i] * y[i] : 0)
        a1 += nbT
        a2 += nbT * nr[i]
        if functional {
          let nb = gamma[i] * y[i]
          m1 += nb
          m2 += nb * nr[i]
          m3 += nb * ntr[i]
        }
      }
      a1 *= inv
      a2 *= inv
      m1 *= inv
      m2 *= inv
      m3 *= inv
      let rs = rstd[r]
      let rst = rstdT[r]
      let xr = dxT + r * d
      if functional {
        for i in 0..<d {
          let nbT = gamma[i] * yt[i] + gammaT[i] * y[i]
          let nb = gamma[i] * y[i]
          xr[i] +=
            rs * (nbT - a1 - nr[i] * a2) + rst * (nb - m1 - nr[i] * m2)
            - rs * (ntr[i] * m2 + nr[i] * m3)
          dGammaT[i] += yt[i] * nr[i] + y[i] * ntr[i]
          dBetaT[i] += yt[i]
        }
      } else {
        for i in 0..<d {
          xr[i] += rs * (gamma[i] * yt[i] - a1 - nr[i] * a2)
          dGammaT[i] += yt[i] * nr[i]
          dBetaT[i] += yt[i]
        }
      }
    }
  }
}
