/// The optimizer-specific edge-of-stability threshold on the sharpness λ₁.
///
/// On a quadratic, gradient descent with step η is stable only if λ₁ < 2/η; heavy-ball momentum
/// β raises this to (2 + 2β)/η; for Adam the relevant sharpness is λ₁ of the preconditioned
/// Hessian P^{-1/2} H P^{-1/2}, P = diag(√v̂ + ε), against (2 + 2β₁)/(η(1 − β₁)).
/// The stability ratio is r = λ₁ / threshold (r > 1: beyond the edge).
public enum StabilityRule: Sendable, Hashable {
  /// Plain (stochastic) gradient descent: threshold 2/η.
  case gradientDescent
  /// Heavy-ball momentum v ← βv + g, w ← w − ηv: threshold (2 + 2β)/η.
  case heavyBall(momentum: Double)
  /// Adam with first-moment decay β₁, measured on the preconditioned Hessian:
  /// threshold (2 + 2β₁)/(η(1 − β₁)) (38/η at β₁ = 0.9).
  case adam(beta1: Double)

  /// The dimensionless constant C with threshold = C/η: 2, 2 + 2β, (2 + 2β₁)/(1 − β₁).
  /// - Complexity: O(1).
  public var constant: Double {
    switch self {
    case .gradientDescent: return 2
    case .heavyBall(let b): return 2 + 2 * b
    case .adam(let b): return (2 + 2 * b) / (1 - b)
    }
  }

  /// Whether the sharpness must be measured on the Adam-preconditioned Hessian.
  /// - Complexity: O(1).
  public var isPreconditioned: Bool {
    if case .adam = self { return true }
    return false
  }

  /// The sharpness threshold C/η (1/parameter² units, like λ₁).
  /// - Complexity: O(1).
  public func threshold(learningRate eta: Double) -> Double { constant / eta }

  /// The stability ratio r = λ₁ / threshold = η λ₁ / C.
  /// - Complexity: O(1).
  public func ratio(sharpness: Double, learningRate eta: Double) -> Double {
    sharpness * eta / constant
  }

  /// The guarded learning rate c · C/λ₁ (= c·η/r): the step at which λ₁ sits at c times the
  /// threshold.
  /// - Complexity: O(1).
  public func guardedLearningRate(sharpness: Double, safetyFactor c: Double) -> Double {
    c * constant / sharpness
  }

  /// Checks β in [0, 1).
  /// - Throws: `CurvatureError.outOfRange` naming the momentum parameter.
  /// - Complexity: O(1).
  public func validate() throws(CurvatureError) {
    switch self {
    case .gradientDescent: return
    case .heavyBall(let b):
      if !(b >= 0 && b < 1) { throw .outOfRange(name: "momentum", value: b, range: "[0, 1)") }
    case .adam(let b):
      if !(b >= 0 && b < 1) { throw .outOfRange(name: "beta1", value: b, range: "[0, 1)") }
    }
  }
}
