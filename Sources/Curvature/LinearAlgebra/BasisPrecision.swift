/// The precision in which a ``Basis`` is read by its projections (Uᵀx, U c and the projected
/// steps of ``SubspaceProjection``).
///
/// A basis always keeps its `Float` columns (``Basis/storage``): eigensolvers, warm starts,
/// metrics and checkpoints use them. ``half`` adds a binary16 copy that the projections read
/// instead: half the bytes, so at P ≈ 1.1M and k = 10 the copy (22.5 MB) can stay in a 32 MiB
/// last-level cache from one training step to the next, where the `Float` basis (45 MB) is
/// read from memory twice per step.
///
/// **Error.** Rounding to binary16 changes each entry by at most 2⁻¹¹ of its magnitude (2⁻²⁵
/// absolutely below 2⁻¹⁴), so ε = ‖Ũ − U‖_F ≤ 2⁻¹¹√k + 2⁻²⁵√(Pk) (about 1.6·10⁻³ at P = 1.1M,
/// k = 10); ``Basis/precisionError`` is the exact ε of a basis. The projections then differ
/// from those of U by ‖(ŨŨᵀ − UUᵀ)x‖ ≤ (2ε + ε²)‖x‖ (times |α − β| for the interpolated
/// weights), plus `Float` rounding: far below the error of a tracked eigenbasis itself.
public enum BasisPrecision: String, Sendable, Hashable, Codable, CaseIterable {
  /// The `Float` columns (the default).
  case single
  /// A binary16 copy of the columns (IEEE half precision, rounded to nearest).
  case half

  /// The bound 2⁻¹¹√k + 2⁻²⁵√(P k) on ε = ‖Ũ − U‖_F for a P × k orthonormal basis read in this
  /// precision (0 for ``single``). - Complexity: O(1).
  public func representationErrorBound(dimension: Int, count: Int) -> Double {
    guard self == .half else { return 0 }
    let k = Double(Swift.max(0, count))
    return 0x1p-11 * k.squareRoot() + 0x1p-25 * (Double(Swift.max(0, dimension)) * k).squareRoot()
  }
}
