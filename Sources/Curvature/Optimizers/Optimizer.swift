/// An optimizer that a custom training loop calls once per step with flat parameters and
/// gradient, keeping its own state (velocity, moments, step count).
public protocol Optimizer {
  /// The base learning rate η (callbacks may change it between steps).
  var learningRate: Float { get set }
  /// Applies one update to `parameters` from `gradient`.
  /// - Throws: `CurvatureError` for a wrong length or non-finite gradient; on throw, the
  ///   parameters and the optimizer state are unchanged.
  mutating func step(parameters: inout [Float], gradient: [Float]) throws
}
