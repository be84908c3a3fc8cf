import Foundation

/// A learning-rate schedule: a multiplier of the base (peak) learning rate as a function of the
/// step index t = 0, 1, 2, …. Schedules compose: a warm-up hands over to any other schedule.
///
/// ```swift
/// let schedule = LearningRateSchedule.linearWarmup(steps: 100, then: .cosine(steps: 900))
/// ```
public indirect enum LearningRateSchedule: Sendable, Hashable, Codable {
  /// Multiplier 1 at every step.
  case constant
  /// Multiplier (t + 1)/`steps` for t < `steps`, then `then` evaluated at t − `steps`.
  case linearWarmup(steps: Int, then: LearningRateSchedule = .constant)
  /// Cosine decay from 1 to `finalFraction` over `steps` steps, then `finalFraction`:
  /// f + (1 − f)·½(1 + cos(π t / steps)).
  case cosine(steps: Int, finalFraction: Float = 0)
  /// Step decay: `factor`^⌊t / `every`⌋.
  case step(every: Int, factor: Float)

  /// The multiplier at step `t` (0-based).
  /// - Complexity: O(1) (O(t / every) for ``step(every:factor:)``).
  public func multiplier(at t: Int) -> Float {
    switch self {
    case .constant:
      return 1
    case .linearWarmup(let steps, let then):
      if t < steps { return Float(Double(t + 1) / Double(steps)) }
      return then.multiplier(at: t - steps)
    case .cosine(let steps, let f):
      if t >= steps { return f }
      let c = 0.5 * (1 + cos(Double.pi * Double(t) / Double(steps)))
      return Float(Double(f) + (1 - Double(f)) * c)
    case .step(let every, let factor):
      var m: Float = 1
      for _ in 0..<(t / every) { m *= factor }
      return m
    }
  }

  /// Checks the settings.
  /// - Throws: `CurvatureError.outOfRange` for a non-positive length or a factor outside its
  ///   range (cosine `finalFraction` in [0, 1], step `factor` in (0, 1]).
  /// - Complexity: O(depth).
  public func validate() throws(CurvatureError) {
    switch self {
    case .constant: return
    case .linearWarmup(let steps, let then):
      if steps < 1 {
        throw .outOfRange(name: "warmup steps", value: Double(steps), range: "[1, ∞)")
      }
      try then.validate()
    case .cosine(let steps, let f):
      if steps < 1 {
        throw .outOfRange(name: "cosine steps", value: Double(steps), range: "[1, ∞)")
      }
      if !(f >= 0 && f <= 1) {
        throw .outOfRange(name: "finalFraction", value: Double(f), range: "[0, 1]")
      }
    case .step(let every, let factor):
      if every < 1 {
        throw .outOfRange(name: "step every", value: Double(every), range: "[1, ∞)")
      }
      if !(factor > 0 && factor <= 1) {
        throw .outOfRange(name: "step factor", value: Double(factor), range: "(0, 1]")
      }
    }
  }

  /// This schedule with its leading warm-up lengthened by `steps`, or `nil` if it does not
  /// start with a warm-up.
  /// - Complexity: O(1).
  public func extendingWarmup(by steps: Int) -> LearningRateSchedule? {
    if case .linearWarmup(let w, let then) = self {
      return .linearWarmup(steps: w + steps, then: then)
    }
    return nil
  }
}

/// Applies a ``LearningRateSchedule`` to any optimizer: before step t the base optimizer's
/// learning rate is set to η_peak · multiplier(t).
public struct ScheduledOptimizer<Base: Optimizer>: Optimizer {
  /// The wrapped optimizer.
  public var base: Base
  /// The schedule.
  public var schedule: LearningRateSchedule
  /// The peak learning rate η (the base optimizer's rate when wrapped).
  public var learningRate: Float
  /// Steps taken (the schedule's t).
  public private(set) var stepCount = 0

  /// Wraps `base`; its current learning rate becomes the peak rate.
  /// - Complexity: O(1).
  public init(base: Base, schedule: LearningRateSchedule) {
    self.base = base
    self.schedule = schedule
    self.learningRate = base.learningRate
  }

  public var effectiveLearningRate: Float { learningRate * schedule.multiplier(at: stepCount) }
  /// The base optimizer's rule.
  public var stabilityRule: StabilityRule { base.stabilityRule }

  public func validate(parameterCount: Int) throws(CurvatureError) {
    try Validate.learningRate(learningRate)
    try schedule.validate()
    let eta = effectiveLearningRate
    if !(eta > 0) || !eta.isFinite {
      throw .outOfRange(name: "scheduled learning rate", value: Double(eta), range: "(0, ∞)")
    }
    var probe = base
    probe.learningRate = eta
    try probe.validate(parameterCount: parameterCount)
  }

  /// - Complexity: that of the base step.
  public mutating func step(parameters: inout [Float], gradient: [Float]) throws {
    try validate(parameterCount: parameters.count)
    let saved = base.learningRate
    base.learningRate = effectiveLearningRate
    do {
      try base.step(parameters: &parameters, gradient: gradient)
    } catch {
      base.learningRate = saved
      throw error
    }
    stepCount += 1
  }

  public mutating func computeUpdate(
    gradient: UnsafeBufferPointer<Float>, parameters: UnsafeBufferPointer<Float>,
    into update: UnsafeMutableBufferPointer<Float>
  ) {
    base.learningRate = effectiveLearningRate
    base.computeUpdate(gradient: gradient, parameters: parameters, into: update)
    stepCount += 1
  }

  public mutating func extendWarmup(by steps: Int) -> Bool {
    if steps > 0, let s = schedule.extendingWarmup(by: steps) {
      schedule = s
      return true
    }
    return base.extendWarmup(by: steps)
  }

  public mutating func updateProjection(_ body: (inout SubspaceProjection) throws -> Void)
    rethrows -> Bool
  {
    try base.updateProjection(body)
  }

  public func snapshot() -> OptimizerState {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let encoded = (try? encoder.encode(schedule)).map { String(decoding: $0, as: UTF8.self) }
    return OptimizerState(
      kind: "Scheduled",
      scalars: ["learningRate": Double(learningRate), "stepCount": Double(stepCount)],
      strings: ["schedule": encoded ?? ""]
    ).merging(base.snapshot(), prefix: "base.")
  }

  public mutating func restore(_ state: OptimizerState) throws {
    try state.expect(kind: "Scheduled")
    guard
      let s = try? JSONDecoder().decode(
        LearningRateSchedule.self, from: Data(try state.string("schedule").utf8))
    else {
      throw CurvatureError.invalidArgument(name: "state", reason: "unreadable schedule")
    }
    try s.validate()
    var copy = self
    try copy.base.restore(try state.child(prefix: "base."))
    copy.schedule = s
    copy.learningRate = try state.float("learningRate")
    copy.stepCount = try state.integer("stepCount")
    self = copy
  }
}
