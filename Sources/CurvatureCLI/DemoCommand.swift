import Curvature
import Foundation

/// `curvature demo` (also what `curvature` with no command runs).
enum DemoCommand {
  static let command = Command(
    name: "demo",
    summary: "SGD, Dom-SGD, Bulk-SGD and an interpolated optimizer on digits, with a report",
    discussion: """
      Trains a model (by default a small MLP on the bundled digits; any --model and --dataset,
      e.g. cnn:16,32,10 on digits or transformer:64,4,2 on the bundled text bierce) on 80 % of
      the data from one initial point with four optimizers while
      keeping the top-k Hessian eigenspace fresh (warm-started Lanczos), measures the
      stabilisation signal Δ₂⁽ᴰ⁾ on the SGD run and stops when it falls below ε, prints a summary
      table and writes an HTML report with plots and the raw data as CSV/JSON.
      """,
    flags: [
      Flag(
        "output", .string, default: "curvature-report", placeholder: "DIR", help: "report directory"
      ),
      Flag(
        "k", .positiveInteger, default: String(DominantSubspaceTracker.Configuration.Defaults.k),
        help: "dimension of the dominant subspace"),
      Flag(
        "model", .string, placeholder: "SPEC",
        help: ModelSpec.grammar + " (default: mlp:64,H,10 with H = --hidden)"),
      Flag("dataset", .string, default: "digits", placeholder: "NAME", help: DatasetSpec.grammar),
      Flag("hidden", .positiveInteger, default: "32", help: "hidden width H of the default MLP"),
      Flag(
        "steps", .positiveInteger, default: "1500", help: "maximum training steps per optimizer"),
      Flag("learning-rate", .positiveNumber, default: "1", placeholder: "η", help: "learning rate"),
      Flag("batch-size", .positiveInteger, default: "64", help: "minibatch size"),
      Flag(
        "hessian-batch", .positiveInteger,
        default: String(DominantSubspaceTracker.Configuration.Defaults.hessianBatchSize),
        help: "samples in the Hessian batch"),
      Flag(
        "refresh-every", .positiveInteger, default: "50", help: "steps between subspace refreshes"),
      Flag(
        "stabilization-every", .positiveInteger, default: "200",
        help: "steps between Δ₂⁽ᴰ⁾ measurements"),
      Flag(
        "k-grid", .intList(1...Int.max), default: "16,32,64,128,256,512,1024",
        help: "sample counts k of the Δ₂⁽ᴰ⁾ curves (increasing, below the training-set size)"),
      Flag(
        "D", .positiveInteger, default: "10",
        help: "dimension of the curvature-aligned subspace of Δ₂⁽ᴰ⁾"),
      Flag(
        "epsilon", .positiveNumber, default: "2e-9", placeholder: "ε",
        help: "stop once Δ₂⁽ᴰ⁾ at the largest k is ≤ ε on consecutive checks"),
      Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
    ],
    examples: [
      "curvature demo --output /tmp/report", "swift run -c release curvature",
      "curvature demo --model transformer:32,4,1 --dataset bierce:16 --learning-rate 0.3 --k-grid 16,32,64,128",
    ],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    var s = DemoTraining.Settings()
    s.k = arguments.int("k")
    s.model = arguments.optionalString("model") ?? "mlp:64,\(arguments.int("hidden")),10"
    s.dataset = arguments.string("dataset")
    s.maxSteps = arguments.int("steps")
    s.learningRate = arguments.double("learning-rate")
    s.batchSize = arguments.int("batch-size")
    s.hessianBatch = arguments.int("hessian-batch")
    s.refreshEvery = arguments.int("refresh-every")
    s.stabilizationEvery = arguments.int("stabilization-every")
    s.epsilon = arguments.double("epsilon")
    s.stabilizationGrid = arguments.ints("k-grid")
    s.stabilizationD = arguments.int("D")
    s.seed = UInt64(arguments.int("seed"))
    let output = arguments.string("output")
    let clock = ContinuousClock()
    let start = clock.now
    let demo = try DemoTraining(settings: s, context: context)
    if s.batchSize > demo.trainCount {
      throw UsageError("demo: --batch-size must be at most \(demo.trainCount)")
    }
    if zip(s.stabilizationGrid, s.stabilizationGrid.dropFirst()).contains(where: { $0 >= $1 })
      || s.stabilizationGrid.last! >= demo.trainCount
    {
      throw UsageError("demo: --k-grid must increase and stay below \(demo.trainCount) samples")
    }
    if s.stabilizationD >= demo.model.parameterCount || s.k >= demo.model.parameterCount {
      throw UsageError(
        "demo: --k and --D must be below the parameter count \(demo.model.parameterCount)")
    }
    // The report directory must be writable before any training.
    do {
      try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    } catch {
      throw CurvatureError.fileSystem(
        path: output, reason: "cannot create the report directory: \(error.localizedDescription)")
    }
    try AtomicFile.checkWritable((output as NSString).appendingPathComponent("index.html"))
    context.note(
      "curvature demo: \(demo.workload.summary); k = \(s.k), η = \(s.learningRate); report in \(output)/"
    )
    let report = try demo.run()
    let path = try ReportWriter.write(report, to: output)
    let total = DemoTraining.seconds(clock.now - start)
    if context.json {
      try context.emit([
        "runs": .array(
          report.runs.map { r in
            [
              "optimizer": .string(r.optimizer), "final_loss": ReportWriter.num(r.finalTrainLoss),
              "test_accuracy": ReportWriter.num(r.testAccuracy),
              "hvps": .int(r.hessianVectorProducts),
              "seconds": ReportWriter.num(r.seconds), "steps": .int(r.stepsTaken),
              "ended": .string(r.ending),
            ]
          }),
        "report": .string(path), "seconds": ReportWriter.num(total),
      ])
    } else {
      context.write("")
      context.write(summaryTable(report))
      context.write("")
      context.write("report: \(path)  (total \(ReportWriter.number(total, digits: 3)) s)")
    }
    return 0
  }

  /// The aligned per-optimizer summary.
  static func summaryTable(_ report: CurvatureReport) -> String {
    let header = ["optimizer", "steps", "train loss", "test acc.", "HVPs", "seconds"]
    var rows: [[String]] = []
    for r in report.runs {
      rows.append([
        r.optimizer, "\(r.stepsTaken)", ReportWriter.number(r.finalTrainLoss, digits: 4),
        ReportWriter.percent(r.testAccuracy), "\(r.hessianVectorProducts)",
        String(format: "%.2f", r.seconds),
      ])
    }
    var widths = header.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { i, c in
        let pad = String(repeating: " ", count: widths[i] - c.count)
        return i == 0 ? c + pad : pad + c
      }.joined(separator: "  ")
    }
    var lines = [
      line(header), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "),
    ]
    lines += rows.map(line)
    return lines.joined(separator: "\n")
  }
}
