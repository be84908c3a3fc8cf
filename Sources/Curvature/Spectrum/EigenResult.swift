/// Which end of the spectrum an eigensolver targets.
public enum EigenTarget: String, Sendable, Codable, CaseIterable {
  /// The largest algebraic eigenvalues (λ₁ ≥ λ₂ ≥ …), reported descending.
  case largest
  /// The smallest algebraic eigenvalues, reported ascending.
  case smallest
}

/// Eigenpairs with the evidence for them: residuals, convergence flags and cost.
///
/// A pair is `converged` only when its true residual ‖H u − θ u‖ ≤ tolerance · |θ| was measured
/// with an explicit product; unconverged pairs are returned but flagged.
public struct EigenResult: Sendable {
  /// Ritz values: descending for ``EigenTarget/largest``, ascending for ``EigenTarget/smallest``.
  public var eigenvalues: [Double]
  /// The Ritz vectors, column i belonging to `eigenvalues[i]`.
  public var vectors: Basis
  /// True residual norms ‖H uᵢ − θᵢ uᵢ‖ (uᵢ has unit norm).
  public var residuals: [Double]
  /// Whether each pair met the tolerance.
  public var converged: [Bool]
  /// Operator products (HVPs) spent, including residual checks.
  public var productCount: Int
  /// Outer iterations (restarts) performed.
  public var iterations: Int
  /// The tolerance the pairs were checked against.
  public var tolerance: Double

  /// Whether every requested pair converged.
  public var allConverged: Bool { converged.allSatisfy { $0 } }

  /// Creates a result (solvers build these; public for users' own solvers).
  public init(
    eigenvalues: [Double], vectors: Basis, residuals: [Double], converged: [Bool],
    productCount: Int, iterations: Int, tolerance: Double
  ) {
    self.eigenvalues = eigenvalues
    self.vectors = vectors
    self.residuals = residuals
    self.converged = converged
    self.productCount = productCount
    self.iterations = iterations
    self.tolerance = tolerance
  }
}
