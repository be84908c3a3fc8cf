/// Block thick-restart Lanczos (block Krylov–Schur): expands the basis by `blockSize` vectors
/// per step and hands them to the operator as one block product, so models can turn b HVPs into
/// matrix–matrix work.
///
/// Each step appends the residual directions of the b worst unconverged wanted Ritz pairs (all
/// open residual directions when there are at most b), orthonormalised against the basis with
/// classical Gram–Schmidt applied twice; products are stored, so residuals are exact without
/// extra products, and restarts keep the best k + (m − k)/2 Ritz vectors. A block at least the
/// multiplicity of a repeated eigenvalue finds all its copies. A warm start uses the previous
/// basis as the first block (one block product and a Rayleigh–Ritz step).
public struct BlockLanczos: Sendable {
  /// The settings (tolerance, budget in products, target, seed, basis size).
  public var configuration: LanczosConfiguration
  /// Vectors per block product (b ≥ 1).
  public var blockSize: Int

  /// Creates a solver.
  public init(configuration: LanczosConfiguration = LanczosConfiguration(), blockSize: Int = 4) {
    self.configuration = configuration
    self.blockSize = blockSize
  }

  /// The `k` extreme eigenpairs of `op`.
  /// - Throws: `CurvatureError` if `k` is not in 1..<P, `blockSize` < 1, the settings are
  ///   invalid, the warm start has the wrong dimension, or the operator returns NaN/Inf.
  /// - Complexity: products in blocks of b, O(P m b) vector work per step and O(P m²) per
  ///   restart for a basis of m vectors.
  public func eigenpairs(of op: some HessianOperator, count k: Int, warmStart: Basis? = nil)
    throws -> EigenResult
  {
    let p = op.dimension
    if blockSize < 1 || blockSize >= p {
      throw CurvatureError.outOfRange(
        name: "blockSize", value: Double(blockSize), range: "[1, \(p - 1)]")
    }
    let m = try configuration.validatedSubspaceSize(k: k, dimension: p, blockSize: blockSize)
    if let w = warmStart, w.dimension != p {
      throw CurvatureError.dimensionMismatch(name: "warmStart", expected: p, actual: w.dimension)
    }
    let keep = min(m - blockSize, max(k, k + (m - k) / 2))
    let iteration = KrylovSchurIteration(
      k: k, target: configuration.target, tolerance: configuration.tolerance,
      maxProducts: configuration.maxProducts, capacity: m, blockSize: blockSize,
      keep: max(keep, 1), seed: configuration.seed)
    return try iteration.run(on: op, warmStart: warmStart)
  }
}
