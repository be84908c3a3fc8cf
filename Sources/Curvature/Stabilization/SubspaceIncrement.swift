/// The curvature-aligned increment model at one sample count: the top-D eigenbasis U_D of H^(k)
/// at w* and the quadratic expansion of L_{k+1} − L_k in it.
public struct SubspaceIncrement: Sendable {
  /// The sample count k (the model describes adding sample k + 1).
  public var sampleCount: Int
  /// U_D: the top-D eigenvectors of the Hessian of L_k at w*.
  public var basis: Basis
  /// The Ritz values belonging to `basis` (descending).
  public var eigenvalues: [Double]
  /// Whether every Ritz pair met the Lanczos tolerance.
  public var converged: Bool
  /// a, c and B in the basis.
  public var expansion: IncrementExpansion
  /// Hessian-vector products spent (Lanczos plus the 2D products for B).
  public var productCount: Int
}
