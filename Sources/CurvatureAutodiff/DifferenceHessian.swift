/// How ``AutodiffObjective`` forms Hessian-vector products from its reverse-mode gradients.
///
/// Swift's differentiable programming does not differentiate a gradient again (neither
/// `gradient(at:of:)` nor a pullback is itself differentiable, and forward mode is still
/// experimental), so an exact forward-over-reverse product is not available. H v is formed
/// from gradients at w ± h v instead, with the step h = `step` · max(1, ‖w‖) / ‖v‖:
///
/// - ``centralDifference(step:)``: D(h) = (∇L(w + hv) − ∇L(w − hv)) / 2h, two gradients,
///   error O(h²) plus rounding of order ε‖∇L‖/h (ε the `Float` unit round-off).
/// - ``richardson(step:)``: the Richardson pair D(h), D(2h) combined as (4 D(h) − D(2h)) / 3,
///   four gradients, error O(h⁴) plus rounding; the default.
///
/// Both report an error estimate with every product (see ``HessianErrorEstimate``).
public enum DifferenceHessian: Sendable, Hashable {
  /// Central differences of the gradient (2 gradient evaluations per product).
  case centralDifference(step: Double = 1e-3)
  /// A Richardson-extrapolated pair of central differences (4 gradient evaluations per
  /// product).
  case richardson(step: Double = 1e-2)

  /// The relative step. - Complexity: O(1).
  public var step: Double {
    switch self {
    case .centralDifference(let s), .richardson(let s): return s
    }
  }

  /// Gradient evaluations per Hessian-vector product. - Complexity: O(1).
  public var gradientsPerProduct: Int {
    switch self {
    case .centralDifference: return 2
    case .richardson: return 4
    }
  }
}

/// The error estimate of the last Hessian-vector product of an ``AutodiffObjective``.
///
/// `relative` is ‖D(h) − D(2h)‖ / (3 ‖H v‖): the size of the O(h²) term of the central
/// difference at step h, measured from the pair, including the rounding noise of both. For
/// ``DifferenceHessian/richardson(step:)`` it bounds the extrapolated product's error from
/// above (that error is O(h⁴)); for ``DifferenceHessian/centralDifference(step:)`` the pair
/// costs two extra gradients and is only formed on request (``AutodiffObjective/estimatesError``).
public struct HessianErrorEstimate: Sendable, Hashable {
  /// The estimated relative error ‖error‖ / ‖H v‖ of the product.
  public var relative: Double
  /// The step h actually used (in the units of the parameters, along the unit direction ×
  /// ‖v‖).
  public var step: Double
}
