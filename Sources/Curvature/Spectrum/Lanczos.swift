/// Settings for ``Lanczos`` and ``BlockLanczos``.
public struct LanczosConfiguration: Sendable, Hashable {
  /// Relative residual tolerance: a pair converges when ‖H u − θ u‖ ≤ tolerance · |θ|.
  public var tolerance: Double = 1e-4
  /// The maximum number of operator products (HVPs) to spend.
  public var maxProducts: Int = 5000
  /// Which end of the spectrum to compute.
  public var target: EigenTarget = .largest
  /// Seed for the random start vector (and breakdown restarts).
  public var seed: UInt64 = 0
  /// The maximum basis size m = k + p before a thick restart; `nil` picks max(2k + 1, k + 20)
  /// (at most P). Memory is about 2m vectors of length P (the basis and its products).
  public var subspaceSize: Int? = nil

  /// Creates a configuration.
  public init(
    tolerance: Double = 1e-4, maxProducts: Int = 5000, target: EigenTarget = .largest,
    seed: UInt64 = 0, subspaceSize: Int? = nil
  ) {
    self.tolerance = tolerance
    self.maxProducts = maxProducts
    self.target = target
    self.seed = seed
    self.subspaceSize = subspaceSize
  }

  /// Validates the settings for `k` pairs of a P-dimensional operator and returns the basis size.
  func validatedSubspaceSize(k: Int, dimension p: Int, blockSize b: Int) throws(CurvatureError)
    -> Int
  {
    if k < 1 || k >= p {
      throw .outOfRange(name: "k", value: Double(k), range: "[1, \(p - 1)]")
    }
    if !(tolerance > 0) || !tolerance.isFinite || tolerance >= 1 {
      throw .outOfRange(name: "tolerance", value: tolerance, range: "(0, 1)")
    }
    if maxProducts < k {
      throw .outOfRange(name: "maxProducts", value: Double(maxProducts), range: "[k = \(k), ∞)")
    }
    let m = min(p, subspaceSize ?? max(2 * k + 1, k + 20, k + 2 * b))
    if m < min(p, k + b) {
      throw .outOfRange(
        name: "subspaceSize", value: Double(subspaceSize ?? 0),
        range: "[k + blockSize = \(k + b), ∞)")
    }
    return m
  }
}

/// Thick-restart Lanczos (Krylov–Schur) for extreme eigenpairs of a symmetric operator.
///
/// Each step multiplies one new basis vector (the previous residual direction) by H,
/// orthogonalises the product against the whole basis (the known Lanczos coefficients, then a
/// full classical Gram–Schmidt pass, and a third when that pass removes most of the vector:
/// full reorthogonalisation), and keeps both the basis V and the products H V, so Ritz
/// residuals are computed exactly without extra products. Convergence is tested from the Ritz
/// values and residual estimates of the projected matrix, on a schedule that skips steps while
/// the estimates are still far from the tolerance; the Ritz vectors are formed only to verify a
/// converged set or to restart. When the basis reaches m = k + p vectors it is compressed to its
/// best k + (m − k)/2 Ritz vectors (thick restart; Wu–Simon / Stewart's Krylov–Schur), so memory
/// stays at about 2m vectors. A pair is reported `converged` only when its explicitly computed
/// residual ‖H u − θ u‖ (from the stored products) is at most `tolerance · |θ|`.
///
/// A warm start first performs Rayleigh–Ritz on the previous basis (one block product) and then
/// expands along the residual directions of its Ritz pairs, so a small change of H costs few
/// products. An invariant subspace (breakdown) continues from a random vector orthogonal to the
/// basis. A single starting vector finds one copy of an eigenvalue per multiplicity only up to
/// rounding; use ``BlockLanczos`` with a block at least the multiplicity for exactly repeated
/// eigenvalues.
public struct Lanczos: Sendable {
  /// The settings.
  public var configuration: LanczosConfiguration

  /// Creates a solver.
  public init(configuration: LanczosConfiguration = LanczosConfiguration()) {
    self.configuration = configuration
  }

  /// The `k` extreme eigenpairs of `op`, optionally warm-started from a previous basis.
  /// - Throws: `CurvatureError` if `k` is not in 1..<P, the settings are invalid, the warm start
  ///   has the wrong dimension, or the operator returns NaN/Inf.
  /// - Complexity: O(n) products for n Lanczos steps, O(P m) vector work per step and
  ///   O(P m²) per restart, with m the basis size; O(m³) per convergence test (about 4m³/3
  ///   flops, plus 9m³ when the Ritz vectors are formed).
  public func eigenpairs(of op: some HessianOperator, count k: Int, warmStart: Basis? = nil)
    throws -> EigenResult
  {
    let p = op.dimension
    let m = try configuration.validatedSubspaceSize(k: k, dimension: p, blockSize: 1)
    if let w = warmStart, w.dimension != p {
      throw CurvatureError.dimensionMismatch(name: "warmStart", expected: p, actual: w.dimension)
    }
    let iteration = KrylovSchurIteration(
      k: k, target: configuration.target, tolerance: configuration.tolerance,
      maxProducts: configuration.maxProducts, capacity: m, blockSize: 1,
      keep: max(k, k + (m - k) / 2), seed: configuration.seed)
    return try iteration.run(on: op, warmStart: warmStart)
  }
}
