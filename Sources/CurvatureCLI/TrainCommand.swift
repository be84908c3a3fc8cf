import Curvature
import CurvatureModels
import Foundation

/// `curvature train`: trains a reference model with one optimizer.
enum TrainCommand {
  static let command = Command(
    name: "train",
    summary: "train a reference model with one optimizer",
    discussion: """
      Seeded minibatch training of a reference model on the data set less its held-out
      --test-fraction. Projected optimizers
      (dom-, bulk-, interpolated) keep the top-k Hessian eigenspace fresh with a warm-started
      refresh every --refresh-every steps, by default on the current minibatch's Hessian
      (--hessian-batch N: a fixed seeded batch of N samples). --refresh-method: one
      subspace-iteration step of k HVPs (the default, averaged over refreshes with weight
      --refresh-averaging), Lanczos, or one block Rayleigh–Ritz step of 2k HVPs; the first refresh
      is always Lanczos. With --refresh-overlap X the interval adapts instead, from every step
      while the basis turns (consecutive bases overlapping by less than X) up to --refresh-every.
      Optimizers: sgd, momentum (SGD with μ = 0.9), adam, adamw, each optionally prefixed by dom-
      or bulk- (e.g. bulk-sgd, dom-adam), and interpolated:α:β (SGD with weights α on the dominant
      and β on the bulk part).
      Models (--model): mlp:n0,n1,…,nL[:tanh|relu|gelu] (n0 inputs, nL classes),
      cnn:C1,…,Cm,K[:relu|tanh] (m blocks of 3×3 convolution + 2×2 max pooling with C1…Cm
      channels, then a dense layer to K classes), transformer:WIDTH,HEADS,LAYERS (a byte-level or
      modular-addition language model), softmax. Data (--dataset): digits (8×8 images), mixture,
      npy:X.npy,Y.npy (X: N×F, or N×C×H×W for a CNN), and for a transformer modadd:P,
      text:FILE[:T] (windows of T + 1 bytes, T = 32) or bierce[:T] (a bundled public-domain text).
      --test-fraction of the data is held out (the tail of a text).
      `losses` are the minibatch losses of every step; `final_loss` is the loss over the training
      part; `test_loss` and `test_accuracy` are over the held-out part; a text model also reports
      `unigram_entropy`, the text's byte entropy in nats (the loss of a context-free model).
      Cost of tracking, relative to the base optimizer: overhead ≈ (HVPs per refresh × Hessian
      batch × HVP÷gradient cost) ÷ (--refresh-every × --batch-size) + the projection's two
      passes over the P × k basis per step (one byte per entry with the default int8 copy). An
      HVP costs about 2.5 gradients of the same batch (about 1.8 with the forward pass cached,
      less per vector in a block), a Gauss–Newton product (the default --curvature) about 0.7
      of that, and a warm refresh costs about 2–3k products with Lanczos, 2k with
      block-ritz and k with subspace-iteration; the first refresh is a cold Lanczos run (about
      2k products at the minibatch Hessian's --refresh-tolerance of 0.1, about 5k at 0.001). So
      the defaults (minibatch Hessian, subspace-iteration, every 100 steps of 64) cost about
      10 × 64 × 1.3 ÷ 6,400 ≈ 0.13 extra gradients per step, while a 512-sample Hessian batch
      with Lanczos on HVPs costs about 20 × 512 × 2.5 ÷ 6,400 ≈ 4. With --save PREFIX the final
      parameters, basis and eigenvalues are written as .npy (checked before training).
      With --error-bars (or --confidence C) a tracked run reports, for every refresh, intervals
      at confidence C for the eigenvalues of the tracked matrix (--curvature) over the whole
      training part
      (`refresh_reports`, and `eigenvalue_intervals` and `sampling_std_error` for the last
      refresh); they cost 16·k HVP directions on sub-batches per refresh (the sample work of k
      HVPs over the Hessian batch), so they are off by default.
      """,
    flags: commonFlags + [
      Flag(
        "optimizer", .string, default: "sgd", placeholder: "NAME",
        help: "sgd, dom-sgd, bulk-sgd, interpolated:α:β, momentum, adam, adamw, bulk-adam, ..."),
      Flag(
        "checkpoint", .string, placeholder: "FILE",
        help: "write a checkpoint (parameters, optimizer, tracker, random streams, settings) at "
          + "the end, atomically; checked before training"),
      Flag(
        "checkpoint-every", .positiveInteger, placeholder: "N",
        help: "also write the --checkpoint every N steps (a killed run resumes from the last one)"),
      Flag(
        "resume", .string, placeholder: "FILE",
        help: "continue the run of a checkpoint bit-identically up to --steps in total; "
          + "settings not given are the checkpoint's, settings given must agree with it"),
      Flag(
        "save", .string, placeholder: "PREFIX",
        help: "write PREFIX.parameters.npy (P float32) and, for tracked optimizers, "
          + "PREFIX.basis.npy (P × k float32, one eigenvector per column, descending) and "
          + "PREFIX.eigenvalues.npy (k float64); checked before training"),
      Flag(
        "error-bars", .flag,
        help: "error bars on every refresh's eigenvalues (16·k extra HVP directions per refresh)"),
      Flag(
        "confidence", .double(0...1), default: "0.95", placeholder: "C",
        help: "confidence level of the eigenvalue intervals, in (0, 1)"),
    ],
    examples: [
      "curvature train --optimizer bulk-sgd --k 10 --steps 500 --json",
      "curvature train --model mlp:64,32,10:relu --optimizer interpolated:0.5:1 --steps 200",
      "curvature train --model transformer:64,4,2 --dataset bierce --optimizer bulk-adam --steps 300",
      "curvature train --steps 5000 --checkpoint run.ckpt --checkpoint-every 500",
      "curvature train --resume run.ckpt --steps 8000 --checkpoint run.ckpt",
    ],
    run: run)

  /// Flags shared with `compare`.
  static let commonFlags: [Flag] = [
    Flag(
      "model", .string, default: "mlp:64,32,10", placeholder: "SPEC", help: ModelSpec.grammar),
    Flag("dataset", .string, default: "digits", placeholder: "NAME", help: DatasetSpec.grammar),
    Flag(
      "test-fraction", .double(0...0.9), default: "0.2", placeholder: "F",
      help: "share of the data held out for test_loss and test_accuracy (0: none)"),
    Flag(
      "k", .positiveInteger, default: String(DominantSubspaceTracker.Configuration.Defaults.k),
      help: "dimension of the dominant subspace"),
    Flag(
      "refresh-every", .positiveInteger,
      default: String(DominantSubspaceTracker.Configuration.Defaults.refreshInterval),
      help: "steps between subspace refreshes"),
    Flag(
      "refresh-method", .choice(["lanczos", "block-ritz", "subspace-iteration"]),
      default: TrainCommand.methodName(
        DominantSubspaceTracker.Configuration.Defaults.refreshMethod),
      help: "how warm refreshes are computed"),
    Flag(
      "refresh-overlap", .double(Double.leastNonzeroMagnitude...1), placeholder: "X",
      help: "adapt the interval (1 to --refresh-every steps): double it while consecutive bases "
        + "overlap by ≥ X, halve it otherwise (best with --refresh-method subspace-iteration)"),
    Flag("steps", .positiveInteger, default: "1000", help: "training steps"),
    Flag(
      "learning-rate", .positiveNumber, default: "0.1", placeholder: "η",
      help: "learning rate (unless given: 3e-3 for Adam on a transformer)"),
    Flag("batch-size", .positiveInteger, default: "64", help: "minibatch size"),
    Flag(
      "hessian-batch", .string,
      default: TrainCommand.batchName(DominantSubspaceTracker.Configuration.Defaults.hessianBatch),
      placeholder: "N|minibatch",
      help: "size of the fixed seeded Hessian batch (capped at the data set size), or "
        + "'minibatch': each refresh uses the current minibatch"),
    Flag(
      "refresh-averaging", .double(0...0.99),
      default: String(DominantSubspaceTracker.Configuration.Defaults.refreshAveraging),
      placeholder: "β",
      help: "subspace-iteration refreshes average the Hessians over refreshes: "
        + "Y = (1 − β) H U + β U Λ (use with a small or minibatch Hessian batch)"),
    Flag(
      "refresh-tolerance", .double(1e-9...0.5), placeholder: "T",
      help: "relative residual at which a Lanczos refresh stops, ‖Hu − θu‖ ≤ T·|θ| (default: "
        + "\(DominantSubspaceTracker.Configuration.Defaults.refreshTolerance) with the minibatch "
        + "Hessian, whose sampling error is larger, and 0.001 with a fixed --hessian-batch)"),
    Flag(
      "basis-precision", .choice(BasisPrecision.allCases.map(\.rawValue)),
      default: DominantSubspaceTracker.Configuration.Defaults.projectionPrecision.rawValue,
      help: "how projected steps read the tracked basis: 'int8', a copy with one scale per 64 "
        + "rows (a quarter of the bytes per step; ε = ‖Ũ − U‖_F ≤ 4√k/127, about 0.017 at k = 10), "
        + "'half', a binary16 copy (half the bytes; ε ≤ 2⁻¹¹√k + 2⁻²⁵√(Pk)), or 'single'; each "
        + "projected gradient is within (2ε + ε²)‖g‖ of the exact one"),
    Flag(
      "curvature", .choice(CurvatureMatrix.allCases.map(\.rawValue)),
      default: DominantSubspaceTracker.Configuration.Defaults.curvature.rawValue,
      help: "the matrix whose top-k eigenspace refreshes follow: 'gauss-newton', G = Jᵀ∇²ℓJ "
        + "(products about 0.7 the cost of HVPs; for classification losses its top "
        + "eigenspace is the Hessian's), or 'hessian'; the eigenvalues reported are that "
        + "matrix's"),
    Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
  ]

  /// The `--refresh-method` spelling of `method`.
  static func methodName(_ method: RefreshMethod) -> String {
    switch method {
    case .lanczos: return "lanczos"
    case .blockRitz: return "block-ritz"
    case .subspaceIteration: return "subspace-iteration"
    }
  }

  /// The `--hessian-batch` spelling of `batch` (every sample: a count the data is capped to).
  static func batchName(_ batch: HessianBatch) -> String {
    switch batch {
    case .minibatch: return "minibatch"
    case .subset(let count, _): return String(count)
    case .full: return String(Int.max)
    }
  }

  /// The settings shared by `train` and `compare`.
  struct Settings {
    var k: Int
    var refreshEvery: Int
    var steps: Int
    var learningRate: Float
    var batchSize: Int
    /// The fixed Hessian batch size (`nil`: the minibatch).
    var hessianBatch: Int?
    /// The weight β of the previous estimate in subspace-iteration refreshes.
    var refreshAveraging: Double
    /// The tolerance of Lanczos refreshes (`--refresh-tolerance`, or its default for the
    /// Hessian batch).
    var refreshTolerance: Double
    /// The confidence level of the eigenvalue intervals.
    var confidence: Double
    /// Whether refreshes compute error bars (`--error-bars` or an explicit `--confidence`).
    var errorBars: Bool
    var seed: UInt64
    var refreshMethod: RefreshMethod
    /// The overlap target of an adaptive interval (`nil`: refresh every `refreshEvery` steps).
    var refreshOverlap: Double?
    /// Whether --learning-rate was given (otherwise Adam on a transformer uses 3e-3).
    var learningRateGiven: Bool
    /// The share of the data held out.
    var testFraction: Double
    /// The precision in which projections read the tracked basis.
    var basisPrecision: BasisPrecision
    /// The matrix the tracker follows.
    var curvature: CurvatureMatrix

    /// The tracker's refresh policy.
    var refreshPolicy: RefreshPolicy {
      refreshOverlap.map { .adaptive(maximum: refreshEvery, targetOverlap: $0) }
        ?? .every(refreshEvery)
    }

    /// The default `--refresh-tolerance` with a fixed `--hessian-batch`.
    static let fixedBatchTolerance = 1e-3

    /// The tracker's solver settings.
    var lanczos: LanczosConfiguration {
      LanczosConfiguration(tolerance: refreshTolerance, maxProducts: 2000)
    }

    init(_ a: ParsedArguments) throws {
      k = a.int("k")
      refreshEvery = a.int("refresh-every")
      switch a.string("refresh-method") {
      case "block-ritz": refreshMethod = .blockRitz(iterations: 1)
      case "subspace-iteration": refreshMethod = .subspaceIteration
      default: refreshMethod = .lanczos
      }
      refreshOverlap = a.optionalDouble("refresh-overlap")
      steps = a.int("steps")
      learningRate = Float(a.double("learning-rate"))
      learningRateGiven = a.isSet("learning-rate")
      testFraction = a.double("test-fraction")
      batchSize = a.int("batch-size")
      let batchText = a.string("hessian-batch")
      if batchText == "minibatch" {
        hessianBatch = nil
      } else if let n = Int(batchText), n >= 1 {
        hessianBatch = n
      } else {
        throw UsageError(
          "--hessian-batch: expected a positive integer or 'minibatch', got '\(batchText)'")
      }
      refreshAveraging = a.double("refresh-averaging")
      refreshTolerance =
        a.optionalDouble("refresh-tolerance")
        ?? (hessianBatch == nil
          ? DominantSubspaceTracker.Configuration.Defaults.refreshTolerance
          : Self.fixedBatchTolerance)
      basisPrecision =
        BasisPrecision(rawValue: a.string("basis-precision"))
        ?? DominantSubspaceTracker.Configuration.Defaults.projectionPrecision
      curvature =
        CurvatureMatrix(rawValue: a.string("curvature"))
        ?? DominantSubspaceTracker.Configuration.Defaults.curvature
      confidence = a.optionalDouble("confidence") ?? 0.95
      errorBars = a.flag("error-bars") || a.isSet("confidence")
      seed = UInt64(a.int("seed"))
    }
  }

  /// One finished run.
  struct Run {
    var optimizer: String
    var finalLoss: Double
    var accuracy: Double?
    var test: (loss: Double, accuracy: Double?)?
    var unigramEntropy: Double?
    var losses: [Double]
    var productCount: Int
    var refreshCount: Int
    var eigenvalues: [Double]
    /// Every refresh: its step and eigenvalues with their intervals.
    var refreshes: [RefreshReport] = []
    var seconds: Double
    var parameters: [Float]
    var optimizerState: OptimizerState
    var trackerState: OptimizerState?
    /// The tracker's final basis (`nil` for an untracked optimizer).
    var basis: Basis? = nil
    /// The step the run started from (> 0 when resumed); `losses` start there.
    var firstStep = 0
    /// Where and why the run diverged (`nil`: it completed).
    var divergence: (step: Int, loss: Double, reason: String)? = nil
    /// The matrix whose eigenvalues these are (`nil` for an untracked optimizer).
    var curvature: CurvatureMatrix? = nil

    var json: JSONValue {
      var fields: [(String, JSONValue)] = [
        ("optimizer", .string(optimizer)),
        ("final_loss", finalLoss.isFinite ? .number(finalLoss) : .null),
        ("losses", .array(losses.map { $0.isFinite ? .number($0) : .null })),
        ("hvps", .int(productCount)),
        ("seconds", .number(seconds)),
        ("accuracy", accuracy.flatMap { $0.isFinite ? .number($0) : nil } ?? .null),
        ("refreshes", .int(refreshCount)), ("eigenvalues", .array(eigenvalues.map { .number($0) })),
      ]
      if let last = refreshes.last?.eigenvalueUncertainty {
        fields.append(("eigenvalue_intervals", TrainCommand.intervals(last)))
        fields.append(("sampling_std_error", TrainCommand.standardErrors(last)))
        fields.append(("refresh_reports", .array(refreshes.map(TrainCommand.refreshJSON))))
      }
      if let test {
        fields.append(("test_loss", test.loss.isFinite ? .number(test.loss) : .null))
        fields.append(
          ("test_accuracy", test.accuracy.flatMap { $0.isFinite ? .number($0) : nil } ?? .null))
      }
      if let curvature { fields.append(("curvature", .string(curvature.rawValue))) }
      if let unigramEntropy { fields.append(("unigram_entropy", .number(unigramEntropy))) }
      if firstStep > 0 { fields.append(("first_step", .int(firstStep))) }
      return .object(fields)
    }
  }

  /// One `[lower, upper]` pair per eigenvalue.
  static func intervals(_ u: EigenvalueUncertainty) -> JSONValue {
    .array(u.eigenvalues.map { .array([.number($0.lower), .number($0.upper)]) })
  }

  /// One sampling standard error per eigenvalue.
  static func standardErrors(_ u: EigenvalueUncertainty) -> JSONValue {
    .array(u.eigenvalues.map { .number($0.samplingStandardError) })
  }

  /// A refresh's step, eigenvalues, intervals and products.
  static func refreshJSON(_ r: RefreshReport) -> JSONValue {
    let eigenvalues: JSONValue = .array(r.eigenvalues.map { .number($0) })
    let u = r.eigenvalueUncertainty
    let intervals: JSONValue = u.map(Self.intervals) ?? .null
    let errors: JSONValue = u.map(Self.standardErrors) ?? .null
    return .object([
      ("step", .int(r.step)), ("eigenvalues", eigenvalues), ("eigenvalue_intervals", intervals),
      ("sampling_std_error", errors), ("hvps", .int(r.productCount)),
      ("error_bar_hvps", .int(u?.productCount ?? 0)),
    ])
  }

  /// A base optimizer by name, type-erased.
  static func base(_ name: String, learningRate: Float) throws -> any Optimizer {
    switch name {
    case "sgd": return SGD(learningRate: learningRate)
    case "momentum": return SGD(learningRate: learningRate, momentum: 0.9)
    case "adam": return Adam(learningRate: learningRate)
    case "adamw": return Adam.adamW(learningRate: learningRate)
    default:
      throw UsageError(
        "--optimizer: unknown optimizer '\(name)' (sgd, momentum, adam, adamw, dom-…, bulk-…, interpolated:α:β)"
      )
    }
  }

  /// Parses an optimizer name into a base optimizer and an optional projection mode.
  static func parse(_ spec: String, learningRate: Float) throws -> (
    any Optimizer, SubspaceProjection.Mode?
  ) {
    if spec.hasPrefix("interpolated:") {
      let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == 3, let a = Float(parts[1]), let b = Float(parts[2]),
        SubspaceProjection.weightRange.contains(a), SubspaceProjection.weightRange.contains(b)
      else {
        throw UsageError(
          "--optimizer: expected interpolated:α:β with α, β in [0, 10], got '\(spec)'")
      }
      return (SGD(learningRate: learningRate), .interpolated(dominant: a, bulk: b))
    }
    if spec.hasPrefix("dom-") {
      return (try base(String(spec.dropFirst(4)), learningRate: learningRate), .dominant)
    }
    if spec.hasPrefix("bulk-") {
      return (try base(String(spec.dropFirst(5)), learningRate: learningRate), .bulk)
    }
    return (try base(spec, learningRate: learningRate), nil)
  }

  /// The learning rate of optimizer `spec`: --learning-rate if given, else 3e-3 for Adam on a
  /// language model, else the flag's default.
  static func learningRate(for spec: String, settings s: Settings, languageModel: Bool) -> Float {
    let adam = spec.hasSuffix("adam") || spec.hasSuffix("adamw")
    return !s.learningRateGiven && languageModel && adam ? 3e-3 : s.learningRate
  }

  /// Trains the workload's model from `start` with the optimizer `spec`.
  /// Where a run writes checkpoints: `path` at the end and every `every` steps.
  struct Checkpointing {
    var path: String
    var every: Int?
    /// Settings recorded in every checkpoint (for `--resume`).
    var metadata: [String: String]
  }

  /// Trains the workload's model from `start` (or from the checkpoint `resume`) with the
  /// optimizer `spec`.
  static func train(
    _ spec: String, model workload: Workload, start: [Float], settings s: Settings,
    context: CommandContext, resume: Checkpoint? = nil, checkpointing: Checkpointing? = nil
  ) throws -> Run {
    let (baseOptimizer, mode) = try parse(
      spec,
      learningRate: learningRate(
        for: spec, settings: s, languageModel: workload.model.isLanguageModel))
    return try dispatch(
      spec, base: baseOptimizer, mode: mode, model: workload, start: start, settings: s,
      context: context, resume: resume, checkpointing: checkpointing)
  }

  private static func dispatch<O: Optimizer>(
    _ spec: String, base: O, mode: SubspaceProjection.Mode?, model: Workload, start: [Float],
    settings s: Settings, context: CommandContext, resume: Checkpoint?,
    checkpointing: Checkpointing?
  ) throws -> Run {
    if let mode {
      return try train(
        spec, optimizer: base.projected(mode), tracked: true, model: model, start: start,
        settings: s, context: context, resume: resume, checkpointing: checkpointing)
    }
    return try train(
      spec, optimizer: base, tracked: false, model: model, start: start, settings: s,
      context: context, resume: resume, checkpointing: checkpointing)
  }

  private static func train<O: Optimizer>(
    _ spec: String, optimizer: O, tracked: Bool, model workload: Workload, start: [Float],
    settings s: Settings, context: CommandContext, resume: Checkpoint?,
    checkpointing: Checkpointing?
  ) throws -> Run {
    let model = try context.objectiveAdapter(workload.objective)
    let n = model.sampleCount
    if s.k >= model.parameterCount {
      throw UsageError("--k must be below the parameter count \(model.parameterCount)")
    }
    let tracker =
      tracked
      ? try DominantSubspaceTracker(
        objective: model,
        configuration: .init(
          k: s.k,
          hessianBatch: s.hessianBatch.map { .subset(count: min($0, n), seed: s.seed &+ 1) }
            ?? .minibatch,
          refresh: s.refreshPolicy, lanczos: s.lanczos, method: s.refreshMethod, seed: s.seed,
          refreshAveraging: s.refreshAveraging,
          uncertainty: s.errorBars ? .init(confidence: s.confidence, seed: s.seed) : nil,
          projectionPrecision: s.basisPrecision, curvature: s.curvature))
      : nil
    var opt = optimizer
    var w = start
    var rng = SeededGenerator(seed: s.seed &+ 2)
    // The monitor's divergence rule: a non-finite loss or gradient, or a minibatch loss above
    // divergenceFactor × the run's first loss.
    let monitor = try TrainingMonitor(configuration: MonitorConfiguration())
    var referenceLoss: Double? = nil
    var first = 0
    if let resume {
      guard resume.parameters.count == model.parameterCount else {
        throw UsageError(
          "--resume: the checkpoint holds \(resume.parameters.count) parameters, the model has \(model.parameterCount)"
        )
      }
      guard resume.step < s.steps else {
        throw UsageError(
          "--steps \(s.steps): the checkpoint is already at step \(resume.step) (--steps counts from the start of the run)"
        )
      }
      guard let generator = resume.generator, (resume.tracker != nil) == tracked else {
        throw UsageError("--resume: the checkpoint was not written by this kind of run")
      }
      w = resume.parameters
      try opt.restore(resume.optimizer)
      if let state = resume.tracker { try tracker?.restore(state) }
      rng = generator
      first = resume.step
      referenceLoss = resume.metadata["reference_loss"].flatMap(Double.init)
      if let referenceLoss {
        _ = monitor.observe(
          step: first - 1, loss: referenceLoss, learningRate: Double(opt.learningRate))
      }
    }
    var losses: [Double] = []
    var refreshes: [RefreshReport] = []
    losses.reserveCapacity(s.steps - first)
    var divergence: (step: Int, loss: Double, reason: String)? = nil
    func checkpoint(after step: Int) throws {
      // Under MPI only the primary rank writes (the other ranks hold identical state).
      guard let checkpointing, context.writesFiles else { return }
      var metadata = checkpointing.metadata
      if let referenceLoss { metadata["reference_loss"] = "\(referenceLoss)" }
      try Checkpoint(
        step: step, parameters: w, optimizer: opt.snapshot(), tracker: tracker?.snapshot(),
        generator: rng, metadata: metadata
      ).write(to: checkpointing.path)
    }
    let progress = context.progress(total: s.steps, label: spec)
    let clock = ContinuousClock()
    let began = clock.now
    training: for step in first..<s.steps {
      let batch = SampleSet.indices((0..<min(s.batchSize, n)).map { _ in rng.nextInt(below: n) })
      let loss: Double
      let g: [Float]
      do {
        (loss, g) = try model.lossAndGradient(at: w, samples: batch)
      } catch let error as CurvatureError {
        guard case .nonFinite = error else { throw error }
        divergence = (step, .nan, "\(error)")
        break training
      }
      let response = monitor.observe(
        step: step, loss: loss, gradient: g, learningRate: Double(opt.learningRate))
      for case .diverged(let d) in response.events {
        divergence = (step, loss, Self.describe(d.reason, loss: loss))
        break training
      }
      if referenceLoss == nil { referenceLoss = loss }
      do {
        if let tracker {
          let r = try tracker.step(&opt, parameters: &w, gradient: g, minibatch: batch)
          if let refresh = r.refresh { refreshes.append(refresh) }
          if let refresh = r.refresh, refresh.reachedProductCap {
            context.note(
              "\(spec): the refresh at step \(refresh.step) stopped at its cap of "
                + "\(refresh.productCap) HVPs without certifying "
                + "\(refresh.converged.filter { !$0 }.count) of \(refresh.converged.count) "
                + "eigenpairs (relative tolerance \(refresh.tolerance)); later refreshes "
                + "ask for less")
          }
        } else {
          try opt.step(parameters: &w, gradient: g)
        }
      } catch let error as CurvatureError {
        // A step that would turn finite parameters non-finite is refused, state unchanged.
        guard case .nonFinite = error else { throw error }
        divergence = (step, loss, "the step would make the parameters non-finite (\(error))")
        break training
      }
      losses.append(loss)
      progress.update(step: step + 1, ["loss": String(format: "%.4f", loss)])
      if let every = checkpointing?.every, (step + 1) % every == 0, step + 1 < s.steps {
        try checkpoint(after: step + 1)
      }
    }
    let elapsed = clock.now - began
    progress.finish()
    let seconds =
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    if divergence == nil { try checkpoint(after: s.steps) }
    var run = Run(
      optimizer: spec,
      finalLoss: divergence == nil ? try model.loss(at: w, samples: .all(n)) : .nan,
      accuracy: divergence == nil ? try workload.accuracy(at: w) : nil,
      test: divergence == nil ? try workload.test(at: w) : nil,
      unigramEntropy: workload.text.map { $0.bytes.unigramEntropy(of: $0.training) },
      losses: losses,
      productCount: tracker?.productCount ?? 0, refreshCount: tracker?.refreshCount ?? 0,
      eigenvalues: tracker?.eigenvalues ?? [], refreshes: refreshes, seconds: seconds,
      parameters: w,
      optimizerState: opt.snapshot(), trackerState: tracker?.snapshot(), basis: tracker?.basis)
    run.firstStep = first
    run.divergence = divergence
    run.curvature = tracker?.curvature
    return run
  }

  /// A divergence cause in words.
  static func describe(_ reason: DivergenceReport.Reason, loss: Double) -> String {
    switch reason {
    case .nonFiniteLoss: return "the loss is \(loss)"
    case .nonFiniteGradient(let i): return "the gradient is non-finite at index \(i)"
    case .lossGrowth(let reference, let factor):
      return "the loss \(loss) exceeds \(AxisScale.trim(factor, 3)) × the first loss \(reference)"
    }
  }

  /// Flags that do not change a run's trajectory: everything else is recorded in a checkpoint
  /// and must agree on `--resume`.
  static let runFlags: Set<String> = [
    "steps", "checkpoint", "checkpoint-every", "resume", "save", "json", "quiet", "help",
  ]

  /// Settings added after checkpoints were first written, with the value a checkpoint that does
  /// not record them was run with (its runs continue as they started).
  static let impliedByAbsence = ["curvature": CurvatureMatrix.hessian.rawValue]

  /// A flag value as command-line text (parses back to the same value).
  static func text(_ value: FlagValue) -> String {
    switch value {
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .double(let x): return "\(x)"
    case .string(let x): return x
    case .ints(let v): return v.map(String.init).joined(separator: ",")
    case .doubles(let v): return v.map { "\($0)" }.joined(separator: ",")
    case .strings(let v): return v.joined(separator: ",")
    }
  }

  /// The arguments of a resumed run: the checkpoint's settings where none are given; a given
  /// setting that disagrees with the checkpoint is a usage error.
  static func resumed(_ arguments: ParsedArguments, from checkpoint: Checkpoint, path: String)
    throws -> ParsedArguments
  {
    guard checkpoint.metadata["command"] == "train" else {
      throw UsageError(
        "--resume: \(path) was not written by 'curvature train --checkpoint' (no settings recorded)"
      )
    }
    var merged = arguments
    for flag in command.flags + ArgumentParser.commonFlags where !runFlags.contains(flag.name) {
      let stored = checkpoint.metadata["flag." + flag.name] ?? impliedByAbsence[flag.name]
      if arguments.isSet(flag.name) {
        let given = arguments.values[flag.name].map(text)
        if given != stored {
          throw UsageError(
            "--\(flag.name) \(given ?? ""): the checkpoint \(path) was written with "
              + (stored.map { "--\(flag.name) \($0)" } ?? "no --\(flag.name)")
              + " (leave it out to continue with the checkpoint's)")
        }
      } else if let stored {
        let words =
          flag.kind == .flag
          ? (stored == "true" ? ["--" + flag.name] : []) : ["--" + flag.name, stored]
        let parsed = try ArgumentParser.parse(words, flags: command.flags, command: command.name)
        if let value = parsed.values[flag.name] {
          merged = merged.replacing(flag.name, with: value)
        }
      }
    }
    return merged
  }

  /// The settings a checkpoint records so that `--resume` can continue the run.
  static func metadata(_ arguments: ParsedArguments) -> [String: String] {
    var m = ["command": "train", "version": CurvatureLibrary.version]
    for (name, value) in arguments.values where !runFlags.contains(name) {
      m["flag." + name] = text(value)
    }
    return m
  }

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    // Everything is checked before any training: the checkpoint to resume, the settings, the
    // optimizer name, the model against the data, and every output path.
    var arguments = arguments
    var resume: Checkpoint? = nil
    if let path = arguments.optionalString("resume") {
      let checkpoint = try Checkpoint.read(from: path)
      arguments = try resumed(arguments, from: checkpoint, path: path)
      resume = checkpoint
    }
    let settings = try Settings(arguments)
    if !(settings.confidence > 0 && settings.confidence < 1) {
      throw UsageError("--confidence must lie strictly between 0 and 1, got \(settings.confidence)")
    }
    let spec = arguments.string("optimizer")
    _ = try parse(spec, learningRate: settings.learningRate)
    let checkpointPath = arguments.optionalString("checkpoint")
    if let checkpointPath {
      try AtomicFile.checkWritable(checkpointPath)
    } else if arguments.isSet("checkpoint-every") {
      throw UsageError("--checkpoint-every: give the file to write with --checkpoint FILE")
    }
    let save = arguments.optionalString("save")
    if let save { try SavedRun.checkWritable(prefix: save) }
    let model = try Workload(arguments, testFraction: settings.testFraction, seed: settings.seed)
    context.note(model.summary)
    if let resume { context.note("resuming from step \(resume.step)") }
    let r = try train(
      spec, model: model, start: model.initialParameters(seed: settings.seed),
      settings: settings, context: context, resume: resume,
      checkpointing: checkpointPath.map {
        Checkpointing(
          path: $0, every: arguments.optionalInt("checkpoint-every"),
          metadata: metadata(arguments))
      })
    if let d = r.divergence {
      context.error(
        "train: \(spec) diverged at step \(d.step): loss \(d.loss) (\(d.reason)); stopped before "
          + "the parameters changed"
          + (checkpointPath.map { "; \($0) holds the last checkpoint" } ?? ""))
      if context.json {
        try context.emit(
          .object([
            ("optimizer", .string(spec)), ("diverged", .bool(true)),
            ("diverged_at_step", .int(d.step)),
            ("diverged_loss", d.loss.isFinite ? .number(d.loss) : .string("\(d.loss)")),
            ("diverged_reason", .string(d.reason)),
            ("losses", .array(r.losses.map { .number($0) })),
          ]))
      }
      return 1
    }
    if let checkpointPath { context.note("checkpoint written to \(checkpointPath)") }
    if let save {
      let written = try SavedRun.write(r, prefix: save)
      context.note("saved " + written.joined(separator: ", "))
    }
    if context.json {
      try context.emit(r.json)
    } else {
      context.write("optimizer   \(spec)")
      context.write("final loss  \(String(format: "%.6f", r.finalLoss)) (training part)")
      if let a = r.accuracy {
        context.write("accuracy    \(String(format: "%.4f", a)) (training part)")
      }
      if let t = r.test {
        context.write("test loss   \(String(format: "%.6f", t.loss))")
        if let a = t.accuracy { context.write("test acc.   \(String(format: "%.4f", a))") }
      }
      if let h = r.unigramEntropy {
        context.write("unigram entropy \(String(format: "%.4f", h)) nats (training text)")
      }
      context.write("HVPs        \(r.productCount) in \(r.refreshCount) refreshes")
      if !r.eigenvalues.isEmpty {
        context.write(
          "top-k λ     " + r.eigenvalues.map { String(format: "%.4g", $0) }.joined(separator: " "))
      }
      context.write("seconds     \(String(format: "%.3f", r.seconds))")
    }
    return 0
  }
}
