import Curvature
import CurvatureExperiments

/// `curvature reproduce PAPER`: re-runs one seed paper's experiment (or all of them), checks its
/// claims against thresholds fixed in code, and writes an HTML report with the claims table.
enum ReproduceCommand {
  static let names = Paper.allCases.map(\.rawValue) + ["all"]

  static let command = Command(
    name: "reproduce",
    summary: "re-run a seed paper's experiment and check its claims (claims table + report)",
    discussion: """
      PAPER is one of \(Paper.allCases.map(\.rawValue).joined(separator: ", ")) or all. Each runs
      its experiment at the size that finishes within about ten minutes on two cores (--quick:
      seconds), then writes DIR/PAPER/index.html (plots, the claims table, the exact settings)
      and claims.json, and DIR/index.html listing every paper's verdicts. A claim's threshold is
      fixed in the library before the run and documented with its source; the command exits 0
      when the run completed, whether or not each claim holds.
      """,
    flags: [
      Flag(
        "paper", .choice(names), required: true, placeholder: "PAPER",
        help: "the paper (also accepted as the first word: curvature reproduce PAPER)"),
      Flag("quick", .flag, help: "the small variant (seconds; the one the test suite runs)"),
      Flag(
        "output", .string, default: "reproduce-report", placeholder: "DIR",
        help: "report directory"),
    ],
    examples: [
      "curvature reproduce kiselev2026",
      "curvature reproduce all --quick --json",
    ],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    let name = arguments.string("paper")
    let papers = name == "all" ? Paper.allCases : [Paper(rawValue: name)!]
    let size: ExperimentSize = arguments.flag("quick") ? .quick : .full
    let output = arguments.string("output")
    // The report folder must be writable before any experiment runs (a full paper takes
    // minutes).
    try ReproduceReportWriter.makeDirectory(output)
    try AtomicFile.checkWritable(output + "/index.html")
    var reports: [ClaimsReport] = []
    for paper in papers {
      context.note("reproduce \(paper.rawValue) (\(size.rawValue)): \(paper.title)")
      let report = try paper.reproduce(size) { stage in context.note("  \(stage)") }
      let page = try ReproduceReportWriter.write(report, to: output)
      reports.append(report)
      if !context.json {
        context.write(
          "\(paper.rawValue): \(report.holdingCount)/\(report.claims.count) claims hold (\(Claim.format(report.seconds)) s)"
        )
        for c in report.claims {
          context.write(
            "  \(c.holds ? "holds " : "FAILS ") \(c.id) = \(Claim.format(c.measured)) (threshold \(c.threshold))"
          )
        }
        context.write("  report: \(page)")
      }
    }
    let index = try ReproduceReportWriter.writeIndex(to: output)
    if context.json {
      if reports.count == 1 {
        try context.emit(ReproduceReportWriter.json(reports[0]))
      } else {
        try context.emit(
          .object([
            ("papers", .array(reports.map(ReproduceReportWriter.json))),
            ("seconds", .number(reports.reduce(0) { $0 + $1.seconds })),
          ]))
      }
    } else {
      context.write("index: \(index)")
    }
    return 0
  }
}
