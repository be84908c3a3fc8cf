/// `curvature train`: trains a reference model with one optimizer.
enum TrainCommand {
  static let command = Command(
    name: "train",
    summary: "train a reference model with one optimizer",
    flags: [
      Flag(
        "model", .string, default: "mlp:64,32,10", placeholder: "SPEC",
        help: "model, e.g. mlp:64,32,10"),
      Flag(
        "dataset", .string, default: "digits", placeholder: "NAME", help: "digits, mixture, ..."),
      Flag(
        "optimizer", .string, default: "sgd", placeholder: "NAME",
        help: "sgd, dom-sgd, bulk-sgd, interpolated:α:β, adam, ..."),
      Flag("k", .positiveInteger, default: "10", help: "dimension of the dominant subspace"),
      Flag(
        "refresh-every", .positiveInteger, default: "100", help: "steps between subspace refreshes"),
      Flag("steps", .positiveInteger, default: "1000", help: "training steps"),
      Flag(
        "learning-rate", .positiveNumber, default: "0.1", placeholder: "η", help: "learning rate"),
      Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
    ],
    examples: ["curvature train --optimizer bulk-sgd --k 10 --steps 500 --json"],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    context.error("train: not yet available")
    return 2
  }
}
