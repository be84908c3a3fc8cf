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
        "model", .string, default: "mlp:64,32,10", placeholder: "SPEC",
        help: "mlp:n0,n1,…,nL[:tanh|relu|gelu], softmax, or transformer:WIDTH,HEADS,LAYERS"),
      Flag(
        "dataset", .string, default: "digits", placeholder: "NAME",
        help:
          "digits, mixture (10 classes, 100 per class), npy:INPUTS.npy,LABELS.npy; for a transformer modadd:P (default modadd:23)"
      ),
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
    let spec = arguments.string("model")
    let model: any DifferentiableObjective
    let initial: [Float]
    let isTransformer = spec.hasPrefix("transformer")
    if isTransformer {
      let t = try makeTransformer(
        spec, dataset: arguments.isSet("dataset") ? arguments.string("dataset") : "modadd:23",
        seed: seed)
      model = t
      initial = t.initialParameters(seed: seed)
    } else {
      let m = try makeModel(spec, dataset: arguments.string("dataset"), seed: seed)
      model = m
      initial = m.initialParameters(seed: seed)
    }
    let w: [Float]
    if let path = arguments.optionalString("parameters") {
      w = try ParameterFile.load(from: path, count: model.parameterCount)
    } else {
      w = try train(
        model, from: initial, adam: isTransformer, steps: arguments.int("train-steps"), seed: seed,
        context: context)
    }
    guard let method = StabilizationMethod(rawValue: arguments.string("estimator")) else {
      throw UsageError("--estimator: unknown estimator")
    }
    let estimator = try StabilizationEstimator(
      configuration: StabilizationConfiguration(
        sigma: arguments.double("sigma"), subspaceDimension: arguments.int("D"),
        probeCount: arguments.int("probes"), orderCount: arguments.int("orders"), seed: seed))
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

  /// The MLP (or softmax regression) of `spec` on the data set `dataset`.
  static func makeModel(_ spec: String, dataset: String, seed: UInt64) throws -> MLP {
    let parts = spec.split(separator: ":").map(String.init)
    let data = try makeData(
      dataset, seed: seed, features: spec == "softmax" ? nil : sizes(parts)?.first)
    switch parts.first {
    case "softmax":
      return try MLP(
        layerSizes: [data.featureCount, data.classCount], activation: .tanh, data: data)
    case "mlp":
      guard let layers = sizes(parts), layers.count >= 2 else {
        throw UsageError("--model: expected mlp:n0,n1,…,nL, got '\(spec)'")
      }
      var activation = MLP.Activation.tanh
      if parts.count == 3 {
        guard let a = MLP.Activation(rawValue: parts[2]) else {
          throw UsageError("--model: unknown activation '\(parts[2])' (tanh, relu, gelu)")
        }
        activation = a
      } else if parts.count > 3 {
        throw UsageError("--model: expected mlp:n0,…,nL[:activation], got '\(spec)'")
      }
      return try MLP(layerSizes: layers, activation: activation, data: data)
    default:
      throw UsageError("--model: unknown model '\(spec)' (mlp:n0,…,nL[:activation] or softmax)")
    }
  }

  static func sizes(_ parts: [String]) -> [Int]? {
    guard parts.count >= 2 else { return nil }
    let values = parts[1].split(separator: ",").map { Int($0) }
    if values.isEmpty || values.contains(where: { $0 == nil || $0! < 1 }) { return nil }
    return values.map { $0! }
  }

  static func makeData(_ name: String, seed: UInt64, features: Int?) throws -> ClassificationData {
    if name == "digits" { return try ClassificationData.digits() }
    if name == "mixture" {
      return try ClassificationData.gaussianMixture(
        classes: 10, dimension: features ?? 64, samplesPerClass: 100, separation: 3, seed: seed)
    }
    if name.hasPrefix("npy:") {
      let files = name.dropFirst(4).split(separator: ",").map(String.init)
      guard files.count == 2 else {
        throw UsageError("--dataset: expected npy:INPUTS.npy,LABELS.npy, got '\(name)'")
      }
      return try ClassificationData.load(inputs: files[0], labels: files[1])
    }
    throw UsageError("--dataset: unknown data set '\(name)' (digits, mixture, npy:X.npy,Y.npy)")
  }

  /// A transformer `transformer:WIDTH,HEADS,LAYERS` on `modadd:P` (modular addition).
  static func makeTransformer(_ spec: String, dataset: String, seed: UInt64) throws -> Transformer {
    let parts = spec.split(separator: ":").map(String.init)
    guard parts.count == 2, let sizes = sizes(parts), sizes.count == 3 else {
      throw UsageError("--model: expected transformer:WIDTH,HEADS,LAYERS, got '\(spec)'")
    }
    guard dataset.hasPrefix("modadd:"), let p = Int(dataset.dropFirst(7)), p >= 2 else {
      throw UsageError("--dataset: a transformer needs modadd:P (P ≥ 2), got '\(dataset)'")
    }
    let data = try TokenSequences.modularAddition(modulus: p, seed: seed)
    return try Transformer(
      configuration: .init(
        vocabularySize: p + 1, contextLength: 3, modelWidth: sizes[0], headCount: sizes[1],
        layerCount: sizes[2]),
      data: data)
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
