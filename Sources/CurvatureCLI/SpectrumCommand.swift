import Curvature
import CurvatureModels

/// `curvature spectrum`: top-k eigenpairs of a symmetric matrix read from `.npy`, or of the
/// Hessian of an MLP's loss at given parameters.
enum SpectrumCommand {
  static let command = Command(
    name: "spectrum",
    summary: "top-k eigenpairs of a symmetric matrix (.npy) or of a model's Hessian",
    discussion: """
      Give either --matrix FILE.npy (a square symmetric float32/float64 matrix), or --model with
      --inputs, --labels and --parameters (the Hessian of the mean cross-entropy over all samples
      at those parameters, by exact Hessian-vector products). Thick-restart Lanczos; a pair is
      converged when ‖Hu − θu‖ ≤ T·|θ|.
      """,
    flags: [
      Flag(
        "matrix", .string, placeholder: "FILE.npy",
        help: "square symmetric float32/float64 matrix"),
      Flag(
        "model", .string, placeholder: "SPEC",
        help: "model, e.g. mlp:64,32,10 (hidden and output sizes)"),
      Flag(
        "activation", .choice(MLP.Activation.allCases.map(\.rawValue)), default: "tanh",
        help: "hidden activation of the MLP"),
      Flag("inputs", .string, placeholder: "X.npy", help: "N×d inputs for --model"),
      Flag("labels", .string, placeholder: "y.npy", help: "N integer labels for --model"),
      Flag("parameters", .string, placeholder: "w.npy", help: "flat parameters for --model"),
      Flag("k", .positiveInteger, required: true, placeholder: "K", help: "number of eigenpairs"),
      Flag(
        "tolerance", .positiveNumber, default: "1e-4", placeholder: "T",
        help: "relative residual tolerance ‖Hu − θu‖ ≤ T·|θ|"),
      Flag(
        "which", .choice(["largest", "smallest"]), default: "largest", help: "end of the spectrum"),
      Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
      Flag(
        "max-products", .positiveInteger, default: "5000", placeholder: "N",
        help: "budget of matrix–vector products"),
    ],
    examples: [
      "curvature spectrum --matrix hessian.npy --k 10 --json",
      "curvature spectrum --model mlp:64,32,10 --activation tanh --inputs X.npy --labels y.npy --parameters w.npy --k 10",
    ],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    let k = arguments.int("k")
    let tolerance = arguments.double("tolerance")
    if !(tolerance < 1) { throw UsageError("--tolerance must be below 1") }
    let op: any HessianOperator
    if let path = arguments.optionalString("matrix") {
      for other in ["model", "inputs", "labels", "parameters"] where arguments.isSet(other) {
        throw UsageError("--\(other) cannot be combined with --matrix")
      }
      op = try matrixOperator(path)
    } else if let spec = arguments.optionalString("model") {
      op = try modelOperator(spec, arguments)
    } else {
      throw UsageError(
        "give --matrix FILE.npy, or --model with --inputs, --labels and --parameters")
    }
    if k >= op.dimension {
      throw CurvatureError.outOfRange(
        name: "k", value: Double(k), range: "[1, \(op.dimension - 1)]")
    }
    let config = LanczosConfiguration(
      tolerance: tolerance, maxProducts: arguments.int("max-products"),
      target: arguments.string("which") == "smallest" ? .smallest : .largest,
      seed: UInt64(arguments.int("seed")))
    let result = try Lanczos(configuration: config).eigenpairs(of: op, count: k)
    if context.json {
      try context.emit(
        .object([
          ("eigenvalues", .array(result.eigenvalues.map { .number($0) })),
          ("residuals", .array(result.residuals.map { .number($0) })),
          ("converged", .array(result.converged.map { .bool($0) })),
          ("matvecs", .int(result.productCount)),
        ]))
    } else {
      context.write("dimension \(op.dimension), \(result.productCount) matrix–vector products")
      for i in 0..<result.eigenvalues.count {
        let flag = result.converged[i] ? "" : "  (not converged)"
        context.write(
          "λ\(i + 1) = \(result.eigenvalues[i])  residual \(result.residuals[i])\(flag)")
      }
    }
    return 0
  }

  /// A dense operator from a square, symmetric (to 1e-6 relative), finite `.npy` matrix.
  static func matrixOperator(_ path: String) throws -> DenseSymmetricOperator {
    let array = try NpyFile.read(path: path)
    guard array.shape.count == 2, array.shape[0] == array.shape[1], array.shape[0] >= 2 else {
      throw CurvatureError.invalidArgument(
        name: path, reason: "matrix must be square with order ≥ 2, got shape \(array.shape)")
    }
    let n = array.shape[0]
    let values = try array.doubles()
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
      throw CurvatureError.nonFinite(name: path, index: bad)
    }
    var scale = 0.0
    for x in values { scale = max(scale, abs(x)) }
    for i in 0..<n {
      for j in 0..<i where abs(values[i * n + j] - values[j * n + i]) > 1e-6 * scale {
        throw CurvatureError.invalidArgument(
          name: path,
          reason: "matrix is not symmetric: entries (\(i), \(j)) and (\(j), \(i)) differ")
      }
    }
    if scale > Double(Float.greatestFiniteMagnitude) {
      throw CurvatureError.invalidArgument(name: path, reason: "entries overflow float32")
    }
    return try DenseSymmetricOperator(matrix: values.map { Float($0) }, order: n)
  }

  /// The Hessian of an MLP over all samples at the given parameters.
  static func modelOperator(_ spec: String, _ arguments: ParsedArguments) throws -> ObjectiveHessian
  {
    guard spec.hasPrefix("mlp:") else {
      throw UsageError("--model must look like mlp:64,32,10, got '\(spec)'")
    }
    let sizes = spec.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false).map {
      Int($0)
    }
    guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
      throw UsageError("--model sizes must be positive integers, got '\(spec)'")
    }
    guard let inputs = arguments.optionalString("inputs"),
      let labels = arguments.optionalString("labels"),
      let parametersPath = arguments.optionalString("parameters")
    else {
      throw UsageError("--model needs --inputs, --labels and --parameters")
    }
    guard let activation = MLP.Activation(rawValue: arguments.string("activation")) else {
      throw UsageError("unknown --activation")
    }
    let data = try ClassificationData.load(inputs: inputs, labels: labels, classCount: sizes.last!)
    let model = try MLP(
      layerSizes: [data.featureCount] + sizes.map { $0! }, activation: activation, data: data)
    let parameters = try NpyFile.read(path: parametersPath).floats()
    if parameters.count != model.parameterCount {
      throw CurvatureError.dimensionMismatch(
        name: parametersPath, expected: model.parameterCount, actual: parameters.count)
    }
    return try ObjectiveHessian(objective: model, at: parameters, samples: .range(0..<data.count))
  }
}
