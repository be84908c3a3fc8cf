/// The curvature matrix a ``DominantSubspaceTracker`` refreshes its basis from.
///
/// For a loss ℓ(z(w)) of a network's outputs z, the Hessian is H = G + Σ (∂ℓ/∂z)·∇²z: the
/// generalised Gauss–Newton matrix G = Jᵀ (∇²_z ℓ) J plus the part from the network's own
/// second derivatives. G is positive semidefinite, and for classification losses its top
/// eigenspace is, in practice, that of H: on the MLP 64-1024-1024-10 of the benchmarks the two
/// top-10 eigenspaces of the full-data matrices overlap by 0.915 at initialisation and by
/// 0.996 after 500 steps of SGD, where λ₁ differs by 0.3 % and every one of the ten eigenvalues
/// by at most 4.1 % (`swift run -c release Figures gaussnewton` in `Benchmarks/`). A product
/// G v skips the second-order terms of forward-over-reverse: a block of them takes about 0.7 of
/// the time of as many HVPs there (0.68–0.74 measured by `Figures inloop`).
public enum CurvatureMatrix: String, Sendable, Hashable, Codable, CaseIterable {
  /// The Hessian H of the loss (Hessian-vector products).
  case hessian
  /// The generalised Gauss–Newton matrix G = Jᵀ (∇²_z ℓ) J, for objectives that provide its
  /// products (``DifferentiableObjective/providesGaussNewtonProducts``); the Hessian for the
  /// others.
  case gaussNewton = "gauss-newton"

  /// The matrix actually used for `objective`: ``gaussNewton`` only when the objective
  /// provides its products. - Complexity: O(1).
  public func resolved(for objective: any DifferentiableObjective) -> CurvatureMatrix {
    self == .gaussNewton && objective.providesGaussNewtonProducts ? .gaussNewton : .hessian
  }
}
