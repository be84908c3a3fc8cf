import Curvature
import Foundation

/// The demo's Hessian spectral density: stochastic Lanczos quadrature (SLQ) smoothed by a
/// Gaussian, built on the public pieces (operator products and the tridiagonal eigensolver).
///
/// For each normalised Rademacher probe q, `steps` Lanczos steps (full reorthogonalisation,
/// twice) give a tridiagonal T; its eigenvalues θᵢ and squared first eigenvector components τᵢ
/// are a Gauss quadrature rule for qᵀ f(H) q. Averaged over probes, Σ τᵢ g_σ(t − θᵢ) estimates
/// (1/P) Σⱼ g_σ(t − λⱼ), a density that integrates to 1.
struct DemoSpectralDensity {
  /// Grid points t (equally spaced) and the density φ(t).
  var grid: [Double]
  var density: [Double]
  /// Quadrature nodes θ and weights τ/probes (the weights sum to 1).
  var nodes: [Double]
  var weights: [Double]
  /// The Gaussian width σ.
  var width: Double
  /// Operator products spent.
  var productCount: Int

  /// Estimates the density of `op`.
  /// - Complexity: probes · steps products and O(P · steps²) vector work per probe.
  init(
    of op: some HessianOperator, steps: Int, probes: Int, gridPoints: Int = 300, seed: UInt64
  ) throws {
    let p = op.dimension
    precondition(steps >= 1 && steps <= p && probes >= 1 && gridPoints >= 2)
    var generator = SeededGenerator(seed: seed)
    var nodes: [Double] = []
    var weights: [Double] = []
    var products = 0
    for _ in 0..<probes {
      var q = generator.rademacherVector(count: p)
      Kernels.scale(Float(1 / Double(p).squareRoot()), &q)
      var basis: [[Float]] = [q]
      var alphas: [Double] = []
      var betas: [Double] = []
      var w = [Float](repeating: 0, count: p)
      for j in 0..<steps {
        try basis[j].withUnsafeBufferPointer { v in
          try w.withUnsafeMutableBufferPointer { out in try op.apply(v, into: out) }
        }
        products += 1
        let alpha = Kernels.dot(basis[j], w)
        alphas.append(alpha)
        // Full reorthogonalisation against every previous vector, twice (CGS2).
        for _ in 0..<2 {
          for v in basis {
            let c = Kernels.dot(v, w)
            Kernels.axpy(Float(-c), v, &w)
          }
        }
        let beta = Kernels.norm(w)
        if j == steps - 1 || beta <= 1e-8 * max(1, abs(alpha)) { break }
        betas.append(beta)
        Kernels.scale(Float(1 / beta), &w)
        basis.append(w)
        w = [Float](repeating: 0, count: p)
      }
      let t = try SymmetricTridiagonalEigensolver.decompose(diagonal: alphas, offDiagonal: betas)
      for i in 0..<t.order {
        let first = t.vectors[i * t.order]
        nodes.append(t.values[i])
        weights.append(first * first / Double(probes))
      }
    }
    let low = nodes.min() ?? 0
    let high = nodes.max() ?? 1
    let width = max(high - low, 1e-12) / 100
    let start = low - 5 * width
    let stop = high + 5 * width
    let h = (stop - start) / Double(gridPoints - 1)
    grid = (0..<gridPoints).map { start + Double($0) * h }
    let norm = 1 / (width * (2 * Double.pi).squareRoot())
    density = grid.map { x in
      var s = 0.0
      for (theta, tau) in zip(nodes, weights) {
        let u = (x - theta) / width
        s += tau * exp(-0.5 * u * u)
      }
      return s * norm
    }
    self.nodes = nodes
    self.weights = weights
    self.width = width
    self.productCount = products
  }

  /// ∫φ over the grid by the trapezoid rule (≈ 1 when the grid covers the nodes).
  var integral: Double {
    guard grid.count > 1 else { return 0 }
    let h = grid[1] - grid[0]
    return h * (density.reduce(0, +) - 0.5 * (density.first! + density.last!))
  }
}
