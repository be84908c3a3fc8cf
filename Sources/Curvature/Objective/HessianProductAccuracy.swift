/// How accurate an objective's Hessian-vector products are, so that eigensolvers ask only for
/// what the products can deliver.
///
/// With ``exact`` products (automatic differentiation, closed forms) a Lanczos residual can be
/// driven to any tolerance. With ``finiteDifference(relativeError:)`` products each H v carries
/// an error of about `relativeError · ‖H‖ ‖v‖`, so a Ritz pair (θ, u) cannot certify a relative
/// residual ‖H u − θ u‖/|θ| much below `relativeError · λ₁/|θ|`: asking for less makes the
/// solver run to its product cap. ``DominantSubspaceTracker`` reads
/// ``DifferentiableObjective/hessianProductAccuracy`` and raises its tolerance and lowers its
/// product cap accordingly (see ``solverSettings(requested:eigenvalues:k:)``).
public enum HessianProductAccuracy: Sendable, Hashable {
  /// Products exact up to floating-point rounding.
  case exact
  /// Products from differences of gradients, with ‖H̃v − Hv‖ ≲ `relativeError` · ‖H‖ ‖v‖.
  case finiteDifference(relativeError: Double)

  /// The error of ``ClosureObjective``'s central differences of a `Float` gradient (step
  /// ε = 10⁻³·max(1, ‖w‖)/‖v‖): about 10⁻³ relative to ‖H‖, measured on small networks.
  public static let centralDifferenceDefault = HessianProductAccuracy.finiteDifference(
    relativeError: 1e-3)

  /// Whether the products are exact.
  public var isExact: Bool { self == .exact }

  /// The relative error of a product (0 for ``exact``).
  public var relativeError: Double {
    if case .finiteDifference(let e) = self { return e }
    return 0
  }

  /// Validates the declaration.
  /// - Throws: `CurvatureError.outOfRange` for a relative error outside (0, 1) or non-finite.
  public func validate() throws(CurvatureError) {
    if case .finiteDifference(let e) = self, !(e > 0 && e < 1) {
      throw .outOfRange(name: "hessianProductAccuracy.relativeError", value: e, range: "(0, 1)")
    }
  }

  /// The largest number of products a refresh of `k` pairs may spend on inexact products: the
  /// Krylov space stops gaining accuracy once it resolves the spectrum to the noise level, so
  /// more products only chase noise. 40 k + 100 covers a cold Lanczos start on every model in
  /// the test suite several times over.
  /// - Complexity: O(1).
  public static func finiteDifferenceProductCap(k: Int) -> Int { 40 * k + 100 }

  /// The solver tolerance and product cap that suit these products.
  ///
  /// For ``exact`` products the request is returned unchanged. For finite differences with
  /// error δ the tolerance becomes max(requested, 4 δ λ₁/|λ_k|) — four times the noise floor of
  /// the smallest wanted pair, taken from `eigenvalues` (the previous refresh; 4 δ without
  /// them) — capped at 0.5, and the product cap becomes
  /// min(requested cap, ``finiteDifferenceProductCap(k:)``).
  /// - Complexity: O(k).
  public func solverSettings(
    requested: LanczosConfiguration, eigenvalues: [Double], k: Int
  ) -> LanczosConfiguration {
    guard case .finiteDifference(let delta) = self else { return requested }
    var spread = 1.0
    if let top = eigenvalues.first, let last = eigenvalues.prefix(k).last, top.isFinite,
      last.isFinite, last != 0
    {
      spread = max(1, abs(top) / abs(last))
    }
    var out = requested
    out.tolerance = min(0.5, max(requested.tolerance, 4 * delta * min(spread, 1e3)))
    out.maxProducts = max(k, min(requested.maxProducts, Self.finiteDifferenceProductCap(k: k)))
    return out
  }
}
