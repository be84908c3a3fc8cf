/// `curvature compare`: several optimizers from the same initial parameters.
enum CompareCommand {
  static let command = Command(
    name: "compare",
    summary: "compare optimizers from the same initial parameters",
    flags: [
      Flag(
        "model", .string, default: "mlp:64,32,10", placeholder: "SPEC",
        help: "model, e.g. mlp:64,32,10"),
      Flag(
        "dataset", .string, default: "digits", placeholder: "NAME", help: "digits, mixture, ..."),
      Flag(
        "optimizers", .stringList, default: "sgd,dom-sgd,bulk-sgd", placeholder: "A,B,…",
        help: "comma-separated optimizers (sgd, dom-sgd, bulk-sgd, interpolated:α:β, adam, ...)"),
      Flag("k", .positiveInteger, default: "10", help: "dimension of the dominant subspace"),
      Flag(
        "refresh-every", .positiveInteger, default: "100", help: "steps between subspace refreshes"),
      Flag("steps", .positiveInteger, default: "1000", help: "training steps per optimizer"),
      Flag(
        "learning-rate", .positiveNumber, default: "0.1", placeholder: "η", help: "learning rate"),
      Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
    ],
    examples: ["curvature compare --optimizers sgd,dom-sgd,bulk-sgd --steps 500 --json"],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    context.error("compare: not yet available")
    return 2
  }
}
