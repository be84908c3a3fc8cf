import Foundation

@testable import CurvatureModels

/// An independent, scalar, Double-precision forward pass of ``Transformer`` (documented
/// layout), for finite-difference references.
struct TransformerReference {
  let c: Transformer.Configuration
  let data: TokenSequences

  func gelu(_ x: Double) -> Double {
    0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
  }

  func layerNorm(_ x: [Double], _ w: [Double], _ g: Int, _ b: Int) -> [Double] {
    let d = x.count
    let mu = x.reduce(0, +) / Double(d)
    let v = x.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(d)
    let rs = 1 / (v + 1e-5).squareRoot()
    return (0..<d).map { w[g + $0] * (x[$0] - mu) * rs + w[b + $0] }
  }

  /// y = W x + b for W (out × in) at `wo`, bias at `bo` (or none).
  func linear(_ x: [Double], _ w: [Double], _ wo: Int, _ bo: Int?, out: Int) -> [Double] {
    let n = x.count
    return (0..<out).map { o in
      var s = bo.map { w[$0 + o] } ?? 0
      for i in 0..<n { s += w[wo + o * n + i] * x[i] }
      return s
    }
  }

  /// Per-position cross-entropies of sequence `i`.
  func positionLosses(_ w: [Double], sequence i: Int) -> [Double] {
    let t = c.contextLength
    return logits(w, sequence: i).enumerated().map { r, z in
      let m = z.max()!
      return m + log(z.reduce(0) { $0 + exp($1 - m) }) - z[data.tokens[i * (t + 1) + r + 1]]
    }
  }

  /// Logits (T × V) of sequence `i`.
  func logits(_ w: [Double], sequence i: Int) -> [[Double]] {
    let (v, t, d, h, f) = (c.vocabularySize, c.contextLength, c.modelWidth, c.headCount, c.mlpWidth)
    let dh = d / h
    let tok = Array(data.tokens[(i * (t + 1))..<((i + 1) * (t + 1))])
    var p = 0
    let tokE = p
    p += v * d
    let posE = p
    p += t * d
    var x = (0..<t).map { r in (0..<d).map { w[tokE + tok[r] * d + $0] + w[posE + r * d + $0] } }
    for _ in 0..<c.layerCount {
      let ln1g = p
      let ln1b = p + d
      p += 2 * d
      let wqkv = p
      p += 3 * d * d
      let bqkv = p
      p += 3 * d
      let wo = p
      p += d * d
      let bo = p
      p += d
      let ln2g = p
      let ln2b = p + d
      p += 2 * d
      let w1 = p
      p += f * d
      let b1 = p
      p += f
      let w2 = p
      p += d * f
      let b2 = p
      p += d
      let qkv = x.map { linear(layerNorm($0, w, ln1g, ln1b), w, wqkv, bqkv, out: 3 * d) }
      var o = [[Double]](repeating: [Double](repeating: 0, count: d), count: t)
      for hd in 0..<h {
        for r in 0..<t {
          var s = (0...r).map { j in
            (0..<dh).reduce(0.0) { $0 + qkv[r][hd * dh + $1] * qkv[j][d + hd * dh + $1] }
              / Double(dh).squareRoot()
          }
          let m = s.max()!
          s = s.map { exp($0 - m) }
          let z = s.reduce(0, +)
          for j in 0...r {
            for e in 0..<dh { o[r][hd * dh + e] += s[j] / z * qkv[j][2 * d + hd * dh + e] }
          }
        }
      }
      for r in 0..<t {
        let a = linear(o[r], w, wo, bo, out: d)
        for e in 0..<d { x[r][e] += a[e] }
        let u = linear(layerNorm(x[r], w, ln2g, ln2b), w, w1, b1, out: f).map(gelu)
        let m = linear(u, w, w2, b2, out: d)
        for e in 0..<d { x[r][e] += m[e] }
      }
    }
    let lnf = p
    p += 2 * d
    let un = p
    return (0..<t).map { r in linear(layerNorm(x[r], w, lnf, lnf + d), w, un, nil, out: v) }
  }

  func meanLoss(_ w: [Double], samples: [Int]) -> Double {
    let mask = data.lossMask
    let k = Double(mask.filter { $0 }.count)
    var s = 0.0
    for i in samples {
      let l = positionLosses(w, sequence: i)
      for (t, m) in mask.enumerated() where m { s += l[t] / k }
    }
    return s / Double(samples.count)
  }
}
