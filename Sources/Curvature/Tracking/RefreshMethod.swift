/// How a ``DominantSubspaceTracker`` recomputes its basis.
public enum RefreshMethod: Sendable, Hashable {
  /// Thick-restart ``Lanczos`` warm-started from the previous basis (single-vector HVPs, run
  /// to the configured tolerance).
  case lanczos
  /// Block Rayleigh–Ritz from the previous basis U: up to `iterations` steps (stopping early
  /// once every pair meets the tolerance), each forming
  /// Q = [U, orth(HU − U UᵀHU)] and keeping the top-k Ritz pairs of QᵀHQ. Each step costs 2k
  /// HVPs in two batched block products (which models such as `MLP` compute far faster than
  /// 2k single products) and yields exact residuals without extra products. The first refresh,
  /// with no previous basis, uses Lanczos.
  case blockRitz(iterations: Int)
  /// One step of subspace iteration from the previous basis U, the cheapest refresh: k HVPs
  /// in one batched block product Y = HU. The Ritz pairs of span(U) at the current parameters
  /// (T = UᵀY = SΘSᵀ, X = US) give the reported eigenvalues Θ and their exact residuals
  /// ‖YS − XΘ‖; the new basis is orth(YS), one power step closer to the dominant subspace
  /// (its error angle shrinks by about |λ_{k+1}/λ_k| per refresh while the Hessian changes
  /// slowly). It follows the k eigenvalues of largest magnitude: prefer ``lanczos`` or
  /// ``blockRitz(iterations:)`` when negative curvature of comparable size matters. The first
  /// refresh, with no previous basis, uses Lanczos.
  case subspaceIteration
}
