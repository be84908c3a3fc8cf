/// The precision in which a ``Basis`` is read by its projections (Uᵀx, U c and the projected
/// steps of ``SubspaceProjection``).
///
/// A basis always keeps its `Float` columns (``Basis/storage``): eigensolvers, warm starts,
/// metrics and checkpoints use them. ``half`` and ``int8`` add a reduced copy that the
/// projections read instead. At P ≈ 1.1M and k = 10 the `Float` basis (45 MB) is read from
/// memory twice per step; the binary16 copy (22.5 MB) nearly fills a 32 MiB last-level cache
/// together with the parameters and the gradient; the int8 copy (11.3 MB with its scales) fits
/// beside them.
///
/// **Error.** ``Basis/precisionError`` is the exact ε = ‖Ũ − U‖_F of a basis. The projections
/// differ from those of U by ‖(ŨŨᵀ − UUᵀ)x‖ ≤ (2ε + ε²)‖x‖ (times |α − β| for the interpolated
/// weights), plus `Float` rounding.
/// - ``half``: rounding to binary16 changes each entry by at most 2⁻¹¹ of its magnitude (2⁻²⁵
///   absolutely below 2⁻¹⁴), so ε ≤ 2⁻¹¹√k + 2⁻²⁵√(Pk), about 1.6·10⁻³ at P = 1.1M, k = 10.
/// - ``int8``: each block of 64 rows of a column keeps one `Float` scale s = max|u_i| / 127 and
///   the integers nearest to u_i / s, so each entry moves by at most s/2. As s ≤ 127⁻¹ of the
///   block's norm, a unit column moves by at most √(64/4)/127 = 4/127 and ε ≤ 4√k/127 (0.1 at
///   k = 10). That bound needs a block whose mass sits in one entry with 63 small ones; the
///   dense eigenvectors of a network's curvature land near 1/190 per column (ε = 0.017 at
///   k = 10 for the tracked bases of the MLP in `Figures inloop`; ``Basis/precisionError`` of
///   a tracker's ``DominantSubspaceTracker/basis`` shows the value).
public enum BasisPrecision: String, Sendable, Hashable, Codable, CaseIterable {
  /// The `Float` columns (the default).
  case single
  /// A binary16 copy of the columns (IEEE half precision, rounded to nearest).
  case half
  /// A block-scaled int8 copy of the columns (64 rows per `Float` scale, rounded to nearest).
  case int8

  /// The bound on ε = ‖Ũ − U‖_F for a P × k orthonormal basis read in this precision: 0 for
  /// ``single``, 2⁻¹¹√k + 2⁻²⁵√(P k) for ``half``, (4/127)(1 + 2⁻¹⁵)√k for ``int8`` (the last
  /// factor covers the rounding of the scales and quotients). - Complexity: O(1).
  public func representationErrorBound(dimension: Int, count: Int) -> Double {
    let k = Double(Swift.max(0, count))
    switch self {
    case .single: return 0
    case .half:
      return 0x1p-11 * k.squareRoot() + 0x1p-25
        * (Double(Swift.max(0, dimension)) * k)
        .squareRoot()
    case .int8: return 4.0 / 127 * (1 + 0x1p-15) * k.squareRoot()
    }
  }
}
