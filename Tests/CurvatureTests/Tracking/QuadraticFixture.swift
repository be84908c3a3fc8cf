@testable import Curvature

/// ℓᵢ(w) = ½ wᵀ(G + F)w − bᵢᵀw with a known spectrum: G = Q diag(λ) Qᵀ is reported as the
/// Gauss–Newton part and F (small, symmetric) as the functional part, so H = G + F.
final class QuadraticFixture {
  let p: Int
  let n: Int
  let eigenvalues: [Double]
  let q: [[Double]]  // eigenvectors of G (rows = vectors)
  let g: [Double]  // G, row-major
  let f: [Double]  // F, row-major
  let b: [[Float]]
  let objective: ClosureObjective

  init(p: Int = 40, n: Int = 16, functional: Double = 0, seed: UInt64 = 5) throws {
    var rng = SeededGenerator(seed: seed)
    self.p = p
    self.n = n
    // Outliers 50, 40, …, 10 then a bulk decaying from 1.
    var lambdas: [Double] = []
    for i in 0..<p { lambdas.append(i < 5 ? Double(50 - 10 * i) : 1.0 / Double(i - 4)) }
    eigenvalues = lambdas
    let basis = try Basis(
      orthonormalizing: (0..<p).map { _ in rng.gaussianVector(count: p) }, dimension: p)
    q = (0..<p).map { basis.column($0).map(Double.init) }
    var gm = [Double](repeating: 0, count: p * p)
    for k in 0..<p {
      for i in 0..<p { for j in 0..<p { gm[i * p + j] += lambdas[k] * q[k][i] * q[k][j] } }
    }
    g = gm
    var fm = [Double](repeating: 0, count: p * p)
    for i in 0..<p {
      for j in 0...i {
        let x = functional * rng.nextGaussian() / Double(p).squareRoot()
        fm[i * p + j] = x
        fm[j * p + i] = x
      }
    }
    f = fm
    b = (0..<n).map { _ in rng.gaussianVector(count: p) }
    let (gCopy, fCopy, bCopy) = (gm, fm, b)
    func mul(_ m: [Double], _ v: [Float]) -> [Float] {
      (0..<p).map { i in
        var s = 0.0
        for j in 0..<p { s += m[i * p + j] * Double(v[j]) }
        return Float(s)
      }
    }
    let h = zip(gm, fm).map { $0 + $1 }
    objective = ClosureObjective(
      parameterCount: p, sampleCount: n,
      perSampleLosses: { w, idx in
        let hw = mul(h, w)
        let quad = 0.5 * Kernels.dot(w, hw)
        return idx.map { quad - Kernels.dot(bCopy[$0], w) }
      },
      gradient: { w, idx in
        var out = mul(h, w)
        for i in idx { for j in 0..<p { out[j] -= bCopy[i][j] / Float(idx.count) } }
        return out
      },
      hessianVectorProduct: { _, _, v in mul(h, v) },
      gaussNewtonVectorProduct: { _, _, v in mul(gCopy, v) })
    _ = fCopy
  }

  /// Dense H v in Double.
  func hessian(_ v: [Float]) -> [Double] {
    var out = [Double](repeating: 0, count: p)
    for i in 0..<p {
      for j in 0..<p { out[i] += (g[i * p + j] + f[i * p + j]) * Double(v[j]) }
    }
    return out
  }
}
