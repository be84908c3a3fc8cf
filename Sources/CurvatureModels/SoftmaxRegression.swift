import Curvature

/// Multinomial logistic regression: logits z = W x + b, mean softmax cross-entropy.
///
/// **Parameter layout**: W (C × d, row-major, as `nn.Linear.weight`) followed by b (C).
/// The loss is convex and its Hessian equals its Gauss–Newton matrix (the model is linear in
/// the parameters), which makes it a reference for curvature code. Gradients, exact HVPs and
/// Gauss–Newton products come from a one-layer ``MLP``.
public final class SoftmaxRegression: DifferentiableObjective {
  /// The underlying one-layer network.
  public let network: MLP
  /// The training data.
  public var data: ClassificationData { network.data }
  /// P = C (d + 1).
  public var parameterCount: Int { network.parameterCount }
  /// N.
  public var sampleCount: Int { network.sampleCount }

  /// Creates the model for `data` with `data.classCount` outputs.
  /// - Throws: `CurvatureError.invalidArgument` for empty data.
  /// - Complexity: O(1).
  public init(data: ClassificationData) throws(CurvatureError) {
    network = try MLP(
      layerSizes: [data.featureCount, data.classCount], activation: .tanh, loss: .crossEntropy,
      data: data)
  }

  /// Seeded fan-in initialisation (uniform ±1/√d). - Complexity: O(P).
  public func initialParameters(seed: UInt64) -> [Float] { network.initialParameters(seed: seed) }

  /// Fraction of `data` classified correctly at `w`.
  /// - Throws: `CurvatureError` for bad parameters or data of another shape.
  /// - Complexity: one forward pass.
  public func accuracy(at w: [Float], data: ClassificationData) throws -> Double {
    try network.accuracy(at: w, data: data)
  }

  /// - Complexity: O(N P).
  public func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    try network.loss(at: w, samples: samples)
  }

  /// - Complexity: O(N P).
  public func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    try network.gradient(at: w, samples: samples, into: gradient)
  }

  /// - Complexity: O(N P).
  public func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try network.hessianVectorProduct(at: w, samples: samples, direction: v, into: out)
  }

  /// - Complexity: O(N P count).
  public func hessianVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try network.hessianVectorProducts(
      at: w, samples: samples, directions: v, count: count, into: out)
  }

  /// `true`: this model computes exact Gauss–Newton products.
  public var providesGaussNewtonProducts: Bool { true }

  /// Equal to the HVP for this model. - Complexity: O(N P).
  public func gaussNewtonVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try network.gaussNewtonVectorProduct(at: w, samples: samples, direction: v, into: out)
  }

  /// - Complexity: O(N P).
  public func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    try network.perSampleLosses(at: w, samples: samples, into: losses)
  }
}
