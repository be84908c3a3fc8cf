/// An optimizer that a custom training loop calls once per step with flat parameters and
/// gradient, keeping its own state (velocity, moments, step count).
///
/// Optimizers compose like optax transformations: wrappers such as ``ProjectedOptimizer``
/// (Dom-SGD / Bulk-SGD / interpolated), ``ClippedOptimizer`` (global-norm clipping) and
/// ``ScheduledOptimizer`` (learning-rate schedules) each wrap any base optimizer:
///
/// ```swift
/// var optimizer = SGD(learningRate: 0.1, momentum: 0.9)
///   .projected(.bulk)                       // Bulk-SGD
///   .clipped(maxNorm: 5)                    // clip the raw gradient first
///   .scheduled(.linearWarmup(steps: 100))   // η ramps up over 100 steps
/// try optimizer.step(parameters: &w, gradient: g)
/// ```
///
/// The control hooks (``effectiveLearningRate``, ``scaleLearningRate(by:)``,
/// ``extendWarmup(by:)``, ``updateProjection(_:)``) reach through every wrapper, so a monitor
/// holding `any Optimizer` can adjust training between steps. ``snapshot()`` and
/// ``restore(_:)`` capture the complete state for checkpoints.
public protocol Optimizer {
  /// The base learning rate η (the peak rate under a schedule). Callbacks may change it
  /// between steps.
  var learningRate: Float { get set }

  /// The learning rate the next step will use (η times any schedule multiplier).
  var effectiveLearningRate: Float { get }

  /// The number of steps taken so far.
  var stepCount: Int { get }

  /// The linear-stability rule of this update (MATH.md: λ₁ against 2/η, (2 + 2β)/η with heavy
  /// ball, (2 + 2β₁)/((1 − β₁)η) for Adam's preconditioned Hessian), which
  /// ``TrainingMonitor`` compares the sharpness with. Default: plain gradient descent.
  var stabilityRule: StabilityRule { get }

  /// Applies one update to `parameters` from `gradient`.
  /// - Throws: `CurvatureError` for a wrong length or non-finite gradient or parameters, or an
  ///   invalid learning rate; on throw, the parameters and the optimizer state are unchanged.
  /// - Complexity: O(P) per step (plus O(P k) for a projection onto a k-dimensional basis).
  mutating func step(parameters: inout [Float], gradient: [Float]) throws

  /// Writes the update Δw (so that `parameters + Δw` is the new iterate) into `update` and
  /// advances the state, without touching the parameters.
  ///
  /// This is the building block of wrappers that act on the update (e.g. a projection of
  /// Δw in Song et al.'s convention). Inputs are not validated: callers must pass buffers of
  /// length P with finite values and call ``validate(parameterCount:)`` first.
  /// - Complexity: O(P).
  mutating func computeUpdate(
    gradient: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
    into update: UnsafeMutableBufferPointer<Float>)

  /// Checks the hyper-parameters and the state's sizes against `parameterCount` without
  /// changing anything.
  /// - Throws: `CurvatureError` naming the invalid setting.
  /// - Complexity: O(1) (wrappers add their own checks, e.g. the basis dimension).
  func validate(parameterCount: Int) throws(CurvatureError)

  /// Lengthens a learning-rate warm-up by `steps` steps, if a schedule with a warm-up is part
  /// of this optimizer. Returns whether anything changed.
  /// - Complexity: O(1).
  mutating func extendWarmup(by steps: Int) -> Bool

  /// Calls `body` with the subspace projection of this optimizer (if one of its wrappers is a
  /// ``ProjectedOptimizer``) so it can be switched or given a new basis between steps.
  /// Returns `false` (without calling `body`) when there is no projection.
  /// - Complexity: O(1) plus the cost of `body`.
  mutating func updateProjection(_ body: (inout SubspaceProjection) throws -> Void) rethrows
    -> Bool

  /// The complete state (hyper-parameters, counters and buffers) as a checkpointable value.
  /// - Complexity: O(P) (copies the buffers).
  func snapshot() -> OptimizerState

  /// A step that reuses `coefficients` = Uᵀg, computed by a ``DominantSubspaceTracker`` with
  /// `basis`, when this optimizer projects the gradient onto that same basis; returns `false`
  /// (and does nothing) otherwise. Lets the tracker's generic `step` take the faster path of a
  /// ``ProjectedOptimizer`` (same bits). The default returns `false`; implement it only in
  /// optimizers that project.
  /// - Complexity: that of ``step(parameters:gradient:)`` minus one pass over U.
  mutating func stepReusingCoefficients(
    parameters: inout [Float], gradient: [Float], coefficients: UnsafeBufferPointer<Double>,
    basis: Basis
  ) throws -> Bool

  /// Restores a state produced by ``snapshot()`` of an optimizer of the same kind.
  /// - Throws: `CurvatureError.invalidArgument` if the state is of another kind or its buffers
  ///   have inconsistent sizes; on throw the optimizer is unchanged.
  /// - Complexity: O(P).
  mutating func restore(_ state: OptimizerState) throws
}

extension Optimizer {
  public var effectiveLearningRate: Float { learningRate }

  public mutating func stepReusingCoefficients(
    parameters: inout [Float], gradient: [Float], coefficients: UnsafeBufferPointer<Double>,
    basis: Basis
  ) throws -> Bool { false }

  public var stabilityRule: StabilityRule { .gradientDescent }

  public func validate(parameterCount: Int) throws(CurvatureError) {
    try Validate.learningRate(learningRate)
  }

  public mutating func extendWarmup(by steps: Int) -> Bool { false }

  public mutating func updateProjection(_ body: (inout SubspaceProjection) throws -> Void)
    rethrows -> Bool
  { false }

  /// Multiplies the base learning rate by `factor` (e.g. 0.5 halves every future step).
  /// - Throws: `CurvatureError.outOfRange` unless `factor` is finite and positive; the
  ///   optimizer is then unchanged.
  /// - Complexity: O(1).
  public mutating func scaleLearningRate(by factor: Float) throws(CurvatureError) {
    try Validate.positive("factor", Double(factor))
    let scaled = learningRate * factor
    try Validate.learningRate(scaled)
    learningRate = scaled
  }

  /// Sets the base learning rate so that the next step uses `rate` (accounts for a schedule's
  /// current multiplier).
  /// - Throws: `CurvatureError.outOfRange` unless `rate` is finite and positive.
  /// - Complexity: O(1).
  public mutating func setEffectiveLearningRate(_ rate: Float) throws(CurvatureError) {
    try Validate.learningRate(rate)
    let current = effectiveLearningRate
    if current > 0 && current.isFinite {
      try scaleLearningRate(by: rate / current)
    } else {
      learningRate = rate
    }
  }

  /// Wraps this optimizer in a subspace projection (Dom-SGD, Bulk-SGD, interpolated).
  /// The basis is set later, usually by a ``DominantSubspaceTracker``; until then the
  /// projection is the identity.
  /// - Complexity: O(1).
  public func projected(
    _ mode: SubspaceProjection.Mode, placement: SubspaceProjection.Placement = .gradient,
    basis: Basis? = nil
  ) -> ProjectedOptimizer<Self> {
    ProjectedOptimizer(
      base: self, projection: SubspaceProjection(mode: mode, placement: placement, basis: basis))
  }

  /// Wraps this optimizer so that gradients are clipped to a global ℓ₂ norm of `maxNorm` first.
  /// - Complexity: O(1).
  public func clipped(maxNorm: Float) -> ClippedOptimizer<Self> {
    ClippedOptimizer(base: self, maxNorm: maxNorm)
  }

  /// Wraps this optimizer in a learning-rate schedule (the base rate becomes the peak rate).
  /// - Complexity: O(1).
  public func scheduled(_ schedule: LearningRateSchedule) -> ScheduledOptimizer<Self> {
    ScheduledOptimizer(base: self, schedule: schedule)
  }
}

extension Validate {
  /// Throws `.outOfRange(name: "learningRate")` unless `rate` is finite and positive.
  @usableFromInline
  static func learningRate(_ rate: Float) throws(CurvatureError) {
    if !(rate > 0) || !rate.isFinite {
      throw .outOfRange(name: "learningRate", value: Double(rate), range: "(0, ∞)")
    }
  }

  /// Validates a (parameters, gradient) pair for an optimizer step.
  @usableFromInline
  static func step(parameters: [Float], gradient: [Float]) throws(CurvatureError) {
    try count("gradient", gradient.count, parameters.count)
    try finiteVector("gradient", gradient)
    try finiteVector("parameters", parameters)
  }

  /// ``step(parameters:gradient:)`` that also returns the largest magnitudes max|w_i| and
  /// max|g_i| (one pass over each vector, the same errors in the same order).
  @usableFromInline
  static func stepMagnitudes(parameters: [Float], gradient: [Float]) throws(CurvatureError)
    -> (parameters: Float, gradient: Float)
  {
    try stepScan(parameters: parameters, gradient: gradient).largest
  }

  /// ``stepMagnitudes(parameters:gradient:)`` that also returns ‖g‖² from the same pass over
  /// the gradient (``Kernels/magnitudes(_:count:)``).
  @usableFromInline
  static func stepScan(parameters: [Float], gradient: [Float]) throws(CurvatureError)
    -> (largest: (parameters: Float, gradient: Float), gradientSquaredNorm: Double)
  {
    try count("gradient", gradient.count, parameters.count)
    let scan = gradient.withUnsafeBufferPointer { g in
      g.baseAddress.map { Kernels.magnitudes($0, count: g.count) }
        ?? (largestBits: 0, sumOfSquares: 0)
    }
    guard scan.largestBits < 0x7F80_0000 else {
      try finite("gradient", gradient)
      return ((0, .infinity), .infinity)  // unreachable: `finite` throws for a non-finite element
    }
    let g = Float(bitPattern: scan.largestBits)
    guard let w = parameters.withUnsafeBufferPointer({ largestMagnitude($0) }) else {
      try finite("parameters", parameters)
      return ((.infinity, g), scan.sumOfSquares)
    }
    return ((w, g), scan.sumOfSquares)
  }

  /// ``finite(_:_:)`` for a `Float` vector: one branch-free SIMD pass (x·0 is NaN exactly for
  /// NaN and ±∞), and the element-wise search for the first offending index only on failure.
  /// - Complexity: O(n).
  @usableFromInline
  static func finiteVector(_ name: String, _ values: [Float]) throws(CurvatureError) {
    let ok = values.withUnsafeBufferPointer { allFinite($0) }
    if !ok { try finite(name, values) }
  }

  /// Whether every element is finite. - Complexity: O(n), one SIMD pass.
  @usableFromInline
  static func allFinite(_ x: UnsafeBufferPointer<Float>) -> Bool {
    guard let base = x.baseAddress else { return true }
    let raw = UnsafeRawPointer(base)
    let n = x.count
    var a0 = SIMD16<Float>()
    var a1 = SIMD16<Float>()
    var i = 0
    while i + 32 <= n {
      a0 += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * 0
      a1 += raw.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self) * 0
      i += 32
    }
    var tail: Float = 0
    while i < n {
      tail += base[i] * 0
      i += 1
    }
    return ((a0 + a1).sum() + tail) == 0
  }
}

extension Validate {
  /// The largest |x_i|, or `nil` if an element is NaN or ±∞. - Complexity: O(n), one pass.
  ///
  /// Works on the bit patterns (``Kernels/largestMagnitudeBits(_:count:)``): with the sign bit
  /// cleared, the order of finite Floats is the order of their bits as unsigned integers, and
  /// NaN and ±∞ are exactly the patterns ≥ 0x7F80_0000.
  @usableFromInline
  static func largestMagnitude(_ x: UnsafeBufferPointer<Float>) -> Float? {
    guard let base = x.baseAddress, x.count > 0 else { return 0 }
    let largest = Kernels.largestMagnitudeBits(base, count: x.count)
    return largest >= 0x7F80_0000 ? nil : Float(bitPattern: largest)
  }
}

/// Shared implementation of `step` for optimizers that only define ``Optimizer/computeUpdate``.
extension Optimizer {
  /// Validates, computes Δw and adds it to `parameters`.
  @usableFromInline
  mutating func stepViaUpdate(parameters: inout [Float], gradient: [Float]) throws {
    try Validate.step(parameters: parameters, gradient: gradient)
    try validate(parameterCount: parameters.count)
    var update = [Float](repeating: 0, count: parameters.count)
    parameters.withUnsafeBufferPointer { wp in
      gradient.withUnsafeBufferPointer { gp in
        update.withUnsafeMutableBufferPointer {
          computeUpdate(gradient: gp, parameters: wp, into: $0)
        }
      }
    }
    update.withUnsafeBufferPointer { up in
      parameters.withUnsafeMutableBufferPointer { wp in
        for i in 0..<wp.count { wp[i] += up[i] }
      }
    }
  }
}
