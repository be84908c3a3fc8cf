import Curvature
import CurvatureModels
import Foundation

/// `curvature compare`: several optimizers from the same initial parameters.
enum CompareCommand {
  static let command = Command(
    name: "compare",
    summary: "compare optimizers from the same initial parameters",
    discussion: """
      Runs each optimizer of --optimizers from the same seeded initial parameters and the same
      minibatch order (see `curvature train --help` for the names). A run whose loss or gradient
      turns non-finite or whose minibatch loss exceeds 10 times its first loss (the monitor's
      rule) stops there, before its parameters change, and is reported as diverged (on stderr,
      in the table and in the JSON); the others go on, and the exit status is then 1. With --json
      prints {"runs": [{"optimizer", "final_loss", "losses", "hvps", "seconds", ...}, ...]}
      (a diverged run also has "diverged_at_step" and "diverged_reason").
      """,
    flags: TrainCommand.commonFlags + [
      Flag(
        "save", .string, placeholder: "PREFIX",
        help: "write PREFIX.NAME.parameters.npy, .basis.npy and .eigenvalues.npy for each run "
          + "(NAME: the optimizer, characters other than letters, digits, '.', '-' and '_' "
          + "replaced by '_'); checked before training"),
      Flag(
        "optimizers", .stringList, default: "sgd,dom-sgd,bulk-sgd", placeholder: "A,B,…",
        help: "comma-separated optimizers (sgd, dom-sgd, bulk-sgd, interpolated:α:β, adam, ...)"),
    ],
    examples: ["curvature compare --optimizers sgd,dom-sgd,bulk-sgd --steps 500 --json"],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    let settings = try TrainCommand.Settings(arguments)
    let specs = arguments.strings("optimizers")
    if specs.isEmpty { throw UsageError("--optimizers: give at least one optimizer") }
    // Parse every name and check every output path before training anything.
    for s in specs { _ = try TrainCommand.parse(s, learningRate: settings.learningRate) }
    let save = arguments.optionalString("save")
    if let save {
      let names = specs.map(SavedRun.fileName)
      if Set(names).count != names.count {
        throw UsageError("--save: two optimizers would write the same files (\(names))")
      }
      for name in names { try SavedRun.checkWritable(prefix: save + "." + name) }
    }
    let model = try Workload(arguments, testFraction: settings.testFraction, seed: settings.seed)
    context.note(model.summary)
    let objective = model.objective
    if settings.k >= objective.parameterCount {
      throw UsageError("--k must be below the parameter count \(objective.parameterCount)")
    }
    let tracking = DominantSubspaceTracker.Configuration(
      k: settings.k,
      hessianBatch: settings.hessianBatch.map {
        .subset(count: min($0, objective.sampleCount), seed: settings.seed &+ 1)
      } ?? .minibatch,
      refresh: settings.refreshPolicy, lanczos: settings.lanczos, method: settings.refreshMethod,
      seed: settings.seed,
      refreshAveraging: settings.refreshAveraging, projectionPrecision: settings.basisPrecision,
      curvature: settings.curvature)
    let contenders = try specs.map { spec in
      let eta = TrainCommand.learningRate(
        for: spec, settings: settings, languageModel: model.model.isLanguageModel)
      let (base, mode) = try TrainCommand.parse(spec, learningRate: eta)
      return contender(spec, base, mode: mode, tracking: tracking)
    }
    // The minibatch stream of `train` (seed + 2, with replacement), so the runs are train's.
    let comparison = try OptimizerComparison(
      objective: objective,
      configuration: .init(
        steps: settings.steps, batchSize: settings.batchSize, seed: settings.seed &+ 2,
        divergenceFactor: MonitorConfiguration().divergenceFactor))
    var progress: ProgressReporter?
    let results = try comparison.run(
      contenders, from: model.initialParameters(seed: settings.seed)
    ) { event in
      switch event {
      case .step(let run, let step, let loss):
        if step == 0 { progress = context.progress(total: settings.steps, label: specs[run]) }
        progress?.update(step: step + 1, ["loss": String(format: "%.4f", loss)])
      case .finished:
        progress?.finish()
        progress = nil
      }
    }
    let curvature = tracking.curvature.resolved(for: objective)
    let runs = try results.map { try run($0, on: model, curvature: curvature) }
    for result in results {
      if case .diverged(let step, let reason) = result.status {
        context.error(
          "compare: \(result.name) diverged at step \(step): loss \(result.losses.last ?? .nan) (\(reason)); the other runs went on"
        )
      }
    }
    if let save {
      for r in runs {
        let written = try SavedRun.write(r, prefix: save + "." + SavedRun.fileName(r.optimizer))
        context.note("saved " + written.joined(separator: ", "))
      }
    }
    if context.json {
      try context.emit(.object([("runs", .array(zip(runs, results).map { json($0, $1.status) }))]))
    } else {
      let width = max(12, specs.map(\.count).max() ?? 0)
      context.write(
        "optimizer".padding(toLength: width, withPad: " ", startingAt: 0)
          + "  final loss  accuracy      HVPs   seconds")
      for (r, result) in zip(runs, results) {
        var line =
          r.optimizer.padding(toLength: width, withPad: " ", startingAt: 0)
          + String(
            format: "  %10.6f  %8.4f  %8d  %8.3f", r.finalLoss, r.accuracy ?? .nan,
            r.productCount,
            r.seconds)
        if case .diverged(let step, _) = result.status { line += "  diverged at step \(step)" }
        context.write(line)
      }
    }
    return results.contains(where: \.diverged) ? 1 : 0
  }

  /// A contender: projected optimizers are tracked.
  private static func contender<O: Optimizer>(
    _ spec: String, _ base: O, mode: SubspaceProjection.Mode?,
    tracking: DominantSubspaceTracker.Configuration
  ) -> OptimizerComparison.Contender {
    guard let mode else { return .init(spec, base) }
    return .init(spec, base.projected(mode), tracking: tracking)
  }

  /// The run as `train` reports it (evaluations at a diverged run's parameters may fail).
  private static func run(
    _ r: ComparisonRun, on model: Workload, curvature: CurvatureMatrix
  ) throws -> TrainCommand.Run {
    let diverged = r.diverged
    return TrainCommand.Run(
      optimizer: r.name, finalLoss: r.finalLoss,
      accuracy: diverged
        ? try? model.accuracy(at: r.parameters) : try model.accuracy(at: r.parameters),
      test: diverged ? try? model.test(at: r.parameters) : try model.test(at: r.parameters),
      unigramEntropy: model.text.map { $0.bytes.unigramEntropy(of: $0.training) },
      losses: r.losses, productCount: r.hessianVectorProducts, refreshCount: r.refreshes,
      eigenvalues: r.eigenvalues, seconds: r.seconds, parameters: r.parameters,
      optimizerState: r.optimizerState, trackerState: r.trackerState,
      basis: try r.trackerState.flatMap(SavedRun.basis),
      curvature: r.trackerState == nil ? nil : curvature)
  }

  /// `train`'s JSON of a run, with the step and reason of a divergence.
  private static func json(_ run: TrainCommand.Run, _ status: ComparisonRun.Status) -> JSONValue {
    guard case .diverged(let step, let reason) = status, case .object(let fields) = run.json
    else { return run.json }
    return .object(
      fields + [("diverged_at_step", .int(step)), ("diverged_reason", .string(reason))])
  }
}
