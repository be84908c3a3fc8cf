/// `curvature stabilization`: Δ₂^(D) (and friends) against the sample count k.
enum StabilizationCommand {
  static let command = Command(
    name: "stabilization",
    summary: "loss-landscape stabilisation Δ(k) over a grid of sample counts",
    flags: [
      Flag(
        "model", .string, default: "mlp:64,32,10", placeholder: "SPEC",
        help: "model, e.g. mlp:64,32,10"),
      Flag(
        "dataset", .string, default: "digits", placeholder: "NAME", help: "digits, mixture, ..."),
      Flag(
        "k-grid", .intList(1...Int.max), default: "8,16,32,64,128,256,512", help: "sample counts k"),
      Flag(
        "sigma", .positiveNumber, default: "1e-3", placeholder: "σ",
        help: "probe standard deviation"),
      Flag(
        "D", .positiveInteger, default: "10", help: "dimension of the curvature-aligned subspace"),
      Flag(
        "estimator", .choice(["gm", "direct", "quadratic", "full"]), default: "gm",
        help: "Gaussian-moment closed form, direct / quadratic Monte Carlo, or full-space Δ₂"),
      Flag(
        "parameters", .string, placeholder: "W.npy",
        help: "measure at these parameters (default: train first, seeded)"),
      Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
    ],
    examples: [
      "curvature stabilization --k-grid 8,16,32,64,128 --sigma 1e-3 --D 10 --estimator gm --json"
    ],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    context.error("stabilization: not yet available")
    return 2
  }
}
