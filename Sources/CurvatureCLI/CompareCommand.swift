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
      minibatch order (see `curvature train --help` for the names). With --json prints
      {"runs": [{"optimizer", "final_loss", "losses", "hvps", "seconds", ...}, ...]}.
      """,
    flags: TrainCommand.commonFlags + [
      Flag(
        "optimizers", .stringList, default: "sgd,dom-sgd,bulk-sgd", placeholder: "A,B,…",
        help: "comma-separated optimizers (sgd, dom-sgd, bulk-sgd, interpolated:α:β, adam, ...)")
    ],
    examples: ["curvature compare --optimizers sgd,dom-sgd,bulk-sgd --steps 500 --json"],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    let settings = TrainCommand.Settings(arguments)
    let specs = arguments.strings("optimizers")
    if specs.isEmpty { throw UsageError("--optimizers: give at least one optimizer") }
    // Parse every name before training anything.
    for s in specs { _ = try TrainCommand.parse(s, learningRate: settings.learningRate) }
    let model = try Workload(arguments, testFraction: settings.testFraction, seed: settings.seed)
    context.note(model.summary)
    let start = model.initialParameters(seed: settings.seed)
    var runs: [TrainCommand.Run] = []
    for s in specs {
      runs.append(
        try TrainCommand.train(s, model: model, start: start, settings: settings, context: context))
    }
    if context.json {
      try context.emit(.object([("runs", .array(runs.map(\.json)))]))
    } else {
      let width = max(12, specs.map(\.count).max() ?? 0)
      context.write(
        "optimizer".padding(toLength: width, withPad: " ", startingAt: 0)
          + "  final loss  accuracy      HVPs   seconds")
      for r in runs {
        context.write(
          r.optimizer.padding(toLength: width, withPad: " ", startingAt: 0)
            + String(
              format: "  %10.6f  %8.4f  %8d  %8.3f", r.finalLoss, r.accuracy ?? .nan,
              r.productCount,
              r.seconds))
      }
    }
    return 0
  }
}
