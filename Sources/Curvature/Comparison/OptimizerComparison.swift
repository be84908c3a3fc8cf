import Foundation

/// Runs several optimizers on one ``DifferentiableObjective`` from the same initial parameters
/// and the same seeded minibatch order, and returns one ``ComparisonRun`` per optimizer: loss
/// curve, final loss, Hessian-vector products, refreshes and wall time, ready for `#expect`.
///
/// ```swift
/// let comparison = try OptimizerComparison(
///   objective: model, configuration: .init(steps: 200, batchSize: 32, seed: 1))
/// let runs = try comparison.run(
///   [.init("sgd", SGD(learningRate: 0.1)),
///    .init("bulk-sgd", SGD(learningRate: 0.1).projected(.bulk), tracking: .init(k: 5))],
///   from: w0)
/// #expect(runs[1].finalLoss < runs[0].finalLoss)
/// ```
///
/// Each contender may be tracked: a ``DominantSubspaceTracker`` with its configuration keeps
/// the top-k basis fresh and pushes it into the optimizer's projection (Dom-SGD, Bulk-SGD, …).
/// A run whose loss or gradient turns non-finite, or whose loss exceeds
/// ``Configuration/divergenceFactor`` times its first loss, stops there and is marked
/// ``ComparisonRun/Status/diverged(step:reason:)``; the other runs go on.
public struct OptimizerComparison {
  /// How minibatches are drawn (the same sequence for every run).
  public enum Sampling: Sendable, Hashable {
    /// `batchSize` indices drawn uniformly with replacement at every step.
    case withReplacement
    /// Epochs of a seeded shuffle, cut into consecutive batches of `batchSize` (the last batch of
    /// an epoch may be smaller).
    case shuffledEpochs
  }

  /// The settings shared by every run.
  public struct Configuration: Sendable {
    /// Training steps per run (≥ 1).
    public var steps: Int
    /// Samples per minibatch (≥ 1; capped at the sample count).
    public var batchSize: Int
    /// The seed of the minibatch order.
    public var seed: UInt64
    /// How minibatches are drawn.
    public var sampling: Sampling
    /// The samples of ``ComparisonRun/finalLoss`` (`nil`: every sample).
    public var evaluation: SampleSet?
    /// A run diverges when its minibatch loss exceeds this multiple of its first loss (`nil`:
    /// only non-finite losses or gradients count). Must be > 1.
    public var divergenceFactor: Double?

    /// Creates a configuration. - Complexity: O(1).
    public init(
      steps: Int, batchSize: Int, seed: UInt64 = 0, sampling: Sampling = .withReplacement,
      evaluation: SampleSet? = nil, divergenceFactor: Double? = nil
    ) {
      self.steps = steps
      self.batchSize = batchSize
      self.seed = seed
      self.sampling = sampling
      self.evaluation = evaluation
      self.divergenceFactor = divergenceFactor
    }
  }

  /// One optimizer to compare.
  public struct Contender {
    /// The name reported in ``ComparisonRun/name``.
    public var name: String
    /// The optimizer in its initial state.
    public var optimizer: any Optimizer
    /// A tracker configuration, or `nil` for an untracked run.
    public var tracking: DominantSubspaceTracker.Configuration?

    /// A contender. - Complexity: O(1).
    public init(
      _ name: String, _ optimizer: some Optimizer,
      tracking: DominantSubspaceTracker.Configuration? = nil
    ) {
      self.name = name
      self.optimizer = optimizer
      self.tracking = tracking
    }
  }

  /// What happens during ``run(_:from:onStep:)``, for progress displays.
  public enum Event {
    /// Run `run` took step `step` (0-based) with minibatch loss `loss`.
    case step(run: Int, step: Int, loss: Double)
    /// Run `run` finished (completed or diverged).
    case finished(run: Int, ComparisonRun)
  }

  /// The objective every run trains.
  public let objective: any DifferentiableObjective
  /// The shared settings.
  public let configuration: Configuration

  /// - Throws: `CurvatureError` for steps or batch size below 1, a divergence factor not above
  ///   1, or evaluation samples outside the objective's.
  /// - Complexity: O(1) (O(count) to check explicit evaluation indices).
  public init(objective: any DifferentiableObjective, configuration: Configuration)
    throws(CurvatureError)
  {
    let c = configuration
    if c.steps < 1 { throw .outOfRange(name: "steps", value: Double(c.steps), range: "[1, ∞)") }
    if c.batchSize < 1 {
      throw .outOfRange(name: "batchSize", value: Double(c.batchSize), range: "[1, ∞)")
    }
    if let f = c.divergenceFactor, !(f > 1) || f.isNaN {
      throw .outOfRange(name: "divergenceFactor", value: f, range: "(1, ∞]")
    }
    try c.evaluation?.validate(sampleCount: objective.sampleCount)
    self.objective = objective
    self.configuration = c
  }

  /// Trains every contender from `start`, in order, and returns their results in the same
  /// order. `onStep` sees every step and the end of every run.
  /// - Throws: `CurvatureError` for a wrong-length or non-finite `start`, an invalid optimizer
  ///   or tracker configuration, or an error of the objective other than a non-finite value
  ///   (which marks the run diverged instead).
  /// - Complexity: per run, `steps` gradients on minibatches plus the tracker's HVPs, and one
  ///   loss on the evaluation samples.
  public func run(
    _ contenders: [Contender], from start: [Float], onStep: ((Event) -> Void)? = nil
  ) throws -> [ComparisonRun] {
    try Validate.count("start", start.count, objective.parameterCount)
    try Validate.finite("start", start)
    for c in contenders {
      try c.optimizer.validate(parameterCount: objective.parameterCount)
      if let t = c.tracking, t.k >= objective.parameterCount {
        throw CurvatureError.outOfRange(
          name: "\(c.name): k", value: Double(t.k), range: "[1, \(objective.parameterCount))")
      }
    }
    var runs: [ComparisonRun] = []
    for (index, c) in contenders.enumerated() {
      let r = try train(c, index: index, optimizer: c.optimizer, start: start, onStep: onStep)
      onStep?(.finished(run: index, r))
      runs.append(r)
    }
    return runs
  }

  /// The minibatch sequence: the same for every run.
  struct Batches {
    var rng: SeededGenerator
    let n: Int
    let size: Int
    let sampling: Sampling
    var order: [Int] = []
    var position = 0

    init(_ c: Configuration, sampleCount: Int) {
      rng = SeededGenerator(seed: c.seed)
      n = sampleCount
      size = min(c.batchSize, sampleCount)
      sampling = c.sampling
    }

    mutating func next() -> SampleSet {
      switch sampling {
      case .withReplacement:
        return .indices((0..<size).map { _ in rng.nextInt(below: n) })
      case .shuffledEpochs:
        if position >= order.count {
          order = rng.permutation(count: n)
          position = 0
        }
        let end = min(position + size, order.count)
        defer { position = end }
        return .indices(Array(order[position..<end]))
      }
    }
  }

  private func train<O: Optimizer>(
    _ contender: Contender, index: Int, optimizer: O, start: [Float],
    onStep: ((Event) -> Void)?
  ) throws -> ComparisonRun {
    let c = configuration
    let tracker = try contender.tracking.map {
      try DominantSubspaceTracker(objective: objective, configuration: $0)
    }
    var opt = optimizer
    var w = start
    var batches = Batches(c, sampleCount: objective.sampleCount)
    var losses: [Double] = []
    losses.reserveCapacity(c.steps)
    var status = ComparisonRun.Status.completed
    let clock = ContinuousClock()
    let began = clock.now
    steps: for step in 0..<c.steps {
      let batch = batches.next()
      let loss: Double
      let gradient: [Float]
      do {
        (loss, gradient) = try objective.lossAndGradient(at: w, samples: batch)
      } catch let error as CurvatureError {
        guard case .nonFinite = error else { throw error }
        status = .diverged(step: step, reason: "\(error)")
        break steps
      }
      if !loss.isFinite {
        losses.append(loss)
        status = .diverged(step: step, reason: "the loss is \(loss)")
        break
      }
      if let f = c.divergenceFactor, let first = losses.first, loss > f * first {
        losses.append(loss)
        status = .diverged(
          step: step, reason: "the loss \(loss) exceeds \(f) × the first loss \(first)")
        break
      }
      if let bad = gradient.firstIndex(where: { !$0.isFinite }) {
        status = .diverged(step: step, reason: "gradient: non-finite value at index \(bad)")
        break
      }
      losses.append(loss)
      do {
        if let tracker {
          try tracker.step(&opt, parameters: &w, gradient: gradient, minibatch: batch)
        } else {
          try opt.step(parameters: &w, gradient: gradient)
        }
      } catch let error as CurvatureError {
        // A step that would leave finite parameters with non-finite ones is refused with the
        // state unchanged (SGD refuses it before writing: `.diverged`): the run stops there.
        switch error {
        case .nonFinite, .diverged: status = .diverged(step: step, reason: "\(error)")
        default: throw error
        }
        break
      }
      onStep?(.step(run: index, step: step, loss: loss))
    }
    let elapsed = clock.now - began
    let seconds =
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let evaluation = c.evaluation ?? .all(objective.sampleCount)
    let finalLoss: Double
    do {
      finalLoss = try objective.loss(at: w, samples: evaluation)
    } catch let error as CurvatureError {
      guard case .nonFinite = error, case .diverged = status else { throw error }
      finalLoss = .nan
    }
    return ComparisonRun(
      name: contender.name, status: status, losses: losses, finalLoss: finalLoss,
      hessianVectorProducts: tracker?.productCount ?? 0, refreshes: tracker?.refreshCount ?? 0,
      eigenvalues: tracker?.eigenvalues ?? [], seconds: seconds, parameters: w,
      optimizerState: opt.snapshot(), trackerState: tracker?.snapshot())
  }
}
