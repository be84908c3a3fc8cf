/// Which stabilisation signal to compute, and how.
///
/// Every method measures, for a sample count k, how much the loss surface moves when the
/// (k+1)-th sample (in a seeded order) joins the first k: the increment
/// L_{k+1}(w) − L_k(w) = (ℓ_{k+1}(w) − L_k(w)) / (k + 1).
public enum StabilizationMethod: String, Sendable, Codable, CaseIterable {
  /// Δ₁(k+1) = |L_{k+1}(w*) − L_k(w*)|: the increment at w* only (loss units, not squared).
  case pointwise = "delta1"
  /// Full-space Δ₂: Monte Carlo mean of the squared increment over w ~ N(w*, σ² I_P).
  case fullSpace = "full"
  /// Curvature-aligned Δ₂^(D) by direct Monte Carlo over w = w* + U_D z, z ~ N(0, σ² I_D).
  case direct = "direct"
  /// Curvature-aligned Δ₂^(D) by Monte Carlo over the quadratic model a + cᵀz + ½zᵀBz.
  case quadratic = "quadratic"
  /// Curvature-aligned Δ₂^(D) by the Gaussian-moment closed form of the quadratic model.
  case gaussianMoment = "gm"

  /// Whether the method needs the top-D eigenvectors of H^(k).
  /// - Complexity: O(1).
  public var usesSubspace: Bool {
    switch self {
    case .pointwise, .fullSpace: return false
    case .direct, .quadratic, .gaussianMoment: return true
    }
  }

  /// Whether the method draws Monte Carlo probes (and so has a within-order standard error).
  /// - Complexity: O(1).
  public var isMonteCarlo: Bool {
    switch self {
    case .fullSpace, .direct, .quadratic: return true
    case .pointwise, .gaussianMoment: return false
    }
  }
}
