/// `curvature spectrum`: top-k eigenpairs of a symmetric matrix read from `.npy`.
enum SpectrumCommand {
  static let command = Command(
    name: "spectrum",
    summary: "top-k eigenpairs of a symmetric matrix stored as .npy",
    flags: [
      Flag(
        "matrix", .string, required: true, placeholder: "FILE.npy",
        help: "square symmetric float32/float64 matrix"),
      Flag("k", .positiveInteger, required: true, placeholder: "K", help: "number of eigenpairs"),
      Flag(
        "tolerance", .positiveNumber, default: "1e-4", placeholder: "T",
        help: "relative residual tolerance ‖Hu − θu‖ ≤ T·|θ|"),
      Flag(
        "which", .choice(["largest", "smallest"]), default: "largest", help: "end of the spectrum"),
      Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
    ],
    examples: ["curvature spectrum --matrix hessian.npy --k 10 --json"],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    context.error("spectrum: not yet available")
    return 2
  }
}
