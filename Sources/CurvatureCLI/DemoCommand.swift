import Foundation

/// `curvature demo` (also what `curvature` with no command runs).
enum DemoCommand {
  static let command = Command(
    name: "demo",
    summary: "SGD, Dom-SGD, Bulk-SGD and an interpolated optimizer on digits, with a report",
    discussion: """
      Trains a small MLP on the bundled digits from one initial point with four optimizers while
      keeping the top-k Hessian eigenspace fresh, and writes an HTML report with plots and the raw
      data as CSV/JSON.
      """,
    flags: [
      Flag(
        "output", .string, default: "curvature-report", placeholder: "DIR", help: "report directory"
      ),
      Flag("k", .positiveInteger, default: "10", help: "dimension of the dominant subspace"),
      Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
    ],
    examples: ["curvature demo --output /tmp/report", "swift run -c release curvature"],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    context.error("demo: not yet available in this build; try 'curvature selfcheck'")
    return 2
  }
}
