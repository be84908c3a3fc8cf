import Curvature
import CurvatureModels
import Foundation

/// `curvature stabilization`: Δ₂^(D) (and friends) against the sample count k.
enum StabilizationCommand {
  static let command = Command(
    name: "stabilization",
    summary: "loss-landscape stabilisation Δ(k) over a grid of sample counts",
    flags: [
      Flag(
        "model", .string, default: "mlp:64,32,10", placeholder: "SPEC", help: ModelSpec.grammar),
      Flag(
        "dataset", .string, default: "digits", placeholder: "NAME",
        help: DatasetSpec.grammar + " (a transformer defaults to modadd:23)"),
      Flag(
        "k-grid", .intList(1...Int.max), default: "8,16,32,64,128,256,512",
        help: "sample counts k, strictly increasing, k + 1 ≤ N"),
      Flag(
        "sigma", .positiveNumber, default: "1e-3", placeholder: "σ",
        help: "probe standard deviation"),
      Flag(
        "D", .positiveInteger, default: "10", help: "dimension of the curvature-aligned subspace"),
      Flag(
        "estimator", .choice(["gm", "direct", "quadratic", "full", "delta1"]), default: "gm",
        help:
          "Gaussian-moment closed form, direct / quadratic Monte Carlo, full-space Δ₂, or pointwise Δ₁"
      ),
      Flag("orders", .positiveInteger, default: "4", help: "seeded sample orders to average"),
      Flag("probes", .positiveInteger, default: "64", help: "Monte Carlo probes per k and order"),
      Flag(
        "parameters", .string, placeholder: "W.npy",
        help: "measure at these parameters (default: train first, seeded)"),
      Flag(
        "train-steps", .nonNegativeInteger, default: "500",
        help:
          "training steps when no --parameters (batch 64; SGD η = 0.1, momentum 0.9; Adam η = 3e-3 for a transformer)"
      ),
      Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
    ],
    examples: [
      "curvature stabilization --k-grid 8,16,32,64,128 --sigma 1e-3 --D 10 --estimator gm --json"
    ],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    let seed = UInt64(arguments.int("seed"))
    let workload = try Workload(arguments, seed: seed, languageDefault: "modadd:23")
    let model = workload.objective
    let initial = workload.initialParameters(seed: seed)
    let isTransformer = workload.model.isLanguageModel
    // Every setting is checked before any training: the estimator, the grid against N, D
    // against P, and the parameters file.
    guard let method = StabilizationMethod(rawValue: arguments.string("estimator")) else {
      throw UsageError("--estimator: unknown estimator")
    }
    let estimator = try StabilizationEstimator(
      configuration: StabilizationConfiguration(
        sigma: arguments.double("sigma"), subspaceDimension: arguments.int("D"),
        probeCount: arguments.int("probes"), orderCount: arguments.int("orders"), seed: seed))
    let loaded = try arguments.optionalString("parameters").map {
      try ParameterFile.load(from: $0, count: model.parameterCount)
    }
    try estimator.validate(
      objective: model, parameters: loaded ?? initial, sampleCounts: arguments.ints("k-grid"),
      method: method)
    let w: [Float]
    if let loaded {
      w = loaded
    } else {
      w = try train(
        model, from: initial, adam: isTransformer, steps: arguments.int("train-steps"), seed: seed,
        context: context)
    }
    context.note(
      "measuring \(method.rawValue) at \(arguments.ints("k-grid").count) sample counts on "
        + "\(model.sampleCount) samples, P = \(model.parameterCount)")
    let curve = try estimator.curve(
      of: model, at: w, sampleCounts: arguments.ints("k-grid"), method: method)
    if context.json {
      try context.emit(
        .object([
          ("k", .ints(curve.sampleCounts)), ("delta", .numbers(curve.mean)),
          ("stderr", .numbers(curve.standardError)),
          ("slope", curve.slope.map { JSONValue.number($0) } ?? .null),
        ]))
    } else {
      context.write("k        Δ(k)           stderr")
      for i in curve.sampleCounts.indices {
        context.write(
          "\(pad(String(curve.sampleCounts[i]), 8)) \(pad(sci(curve.mean[i]), 14)) \(sci(curve.standardError[i]))"
        )
      }
      context.write("log–log slope: \(curve.slope.map { sci($0) } ?? "undefined")")
    }
    return 0
  }

  /// Seeded default training through ``TrainingDriver``, batch 64: SGD (η = 0.1, momentum 0.9),
  /// or Adam (η = 3e-3) when `adam`.
  static func train(
    _ model: any DifferentiableObjective, from initial: [Float], adam: Bool, steps: Int,
    seed: UInt64, context: CommandContext
  ) throws -> [Float] {
    var w = initial
    if steps == 0 { return w }
    var config = DriverConfiguration(steps: steps)
    config.batchSize = 64
    config.seed = seed
    let monitor = try TrainingMonitor()
    monitor.register(StopOnDivergence(includeLossGrowth: false))
    let report =
      adam
      ? try TrainingDriver(
        objective: model, optimizer: Adam(learningRate: 3e-3), monitor: monitor,
        configuration: config
      ).run(parameters: &w)
      : try TrainingDriver(
        objective: model, optimizer: SGD(learningRate: 0.1, momentum: 0.9), monitor: monitor,
        configuration: config
      ).run(parameters: &w)
    if report.diverged { throw CurvatureError.diverged(reason: report.stopReason ?? "training") }
    context.note(
      "trained \(report.completedSteps) steps: minibatch loss \(sci(report.losses.first ?? .nan)) → \(sci(report.losses.last ?? .nan))"
    )
    return w
  }

  static func sci(_ x: Double) -> String { String(format: "%.4e", x) }

  static func pad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
  }
}
