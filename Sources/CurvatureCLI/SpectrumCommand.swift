import Curvature
import CurvatureModels

/// `curvature spectrum`: top-k eigenpairs of a symmetric matrix read from `.npy`, or of the
/// Hessian of a model's loss at given parameters.
enum SpectrumCommand {
  static let command = Command(
    name: "spectrum",
    summary: "top-k eigenpairs of a symmetric matrix (.npy) or of a model's Hessian",
    discussion: """
      Give either --matrix FILE.npy (a square symmetric float32/float64 matrix), or --model with
      --parameters and either --inputs and --labels or --dataset (the Hessian of the mean
      cross-entropy over all samples at those parameters, by exact Hessian-vector products).
      Models: mlp:n0,n1,…,nL[:tanh|relu|gelu] (n0 = input size, nL = classes),
      cnn:C1,…,Cm,K[:relu|tanh], transformer:WIDTH,HEADS,LAYERS, softmax; --inputs may hold N×F
      vectors or N×C×H×W images (for a CNN); a text data set's windows are drawn with --seed.
      Thick-restart Lanczos; a pair is converged when ‖Hu − θu‖ ≤ T·|θ|.
      """,
    flags: [
      Flag(
        "matrix", .string, placeholder: "FILE.npy",
        help: "square symmetric float32/float64 matrix"),
      Flag("model", .string, placeholder: "SPEC", help: ModelSpec.grammar),
      Flag(
        "dataset", .string, placeholder: "NAME",
        help: "the model's data instead of --inputs/--labels: " + DatasetSpec.grammar),
      Flag(
        "inputs", .string, placeholder: "X.npy",
        help: "N×F inputs (or N×C×H×W images for a CNN) for --model"),
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
      Flag(
        "method", .choice(["lanczos", "sketch"]), default: "lanczos",
        help: "lanczos (thick restart, to the tolerance) or sketch (one batched pass of "
          + "sketch-size + probes products; eigenvalues with an a-posteriori error bound, for "
          + "hundreds to a thousand eigenpairs; largest only)"),
      Flag(
        "sketch-size", .positiveInteger, placeholder: "L",
        help: "sketch size for --method sketch (k ≤ L ≤ P; default 2k, at most P)"),
    ],
    examples: [
      "curvature spectrum --matrix hessian.npy --k 10 --json",
      "curvature spectrum --model mlp:64,32,10:tanh --inputs X.npy --labels y.npy --parameters w.npy --k 10",
      "curvature spectrum --model transformer:64,4,2 --dataset bierce --parameters w.npy --k 5",
    ],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    let k = arguments.int("k")
    let tolerance = arguments.double("tolerance")
    if !(tolerance < 1) { throw UsageError("--tolerance must be below 1") }
    let op: any HessianOperator
    if let path = arguments.optionalString("matrix") {
      for other in ["model", "dataset", "inputs", "labels", "parameters"]
      where arguments.isSet(other) {
        throw UsageError("--\(other) cannot be combined with --matrix")
      }
      op = try matrixOperator(path)
    } else if let spec = arguments.optionalString("model") {
      op = try modelOperator(spec, arguments, context: context)
    } else {
      throw UsageError(
        "give --matrix FILE.npy, or --model with --inputs, --labels and --parameters")
    }
    if k >= op.dimension {
      throw CurvatureError.outOfRange(
        name: "k", value: Double(k), range: "[1, \(op.dimension - 1)]")
    }
    if arguments.string("method") == "sketch" {
      return try sketch(op, k: k, arguments, context)
    }
    if arguments.isSet("sketch-size") { throw UsageError("--sketch-size needs --method sketch") }
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

  /// `--method sketch`: the top-k eigenpairs of a symmetric sketch of `op` (one batched pass),
  /// with the a-posteriori bound on ‖H − Â‖₂ that bounds every eigenvalue's error.
  static func sketch(
    _ op: any HessianOperator, k: Int, _ arguments: ParsedArguments, _ context: CommandContext
  ) throws -> Int32 {
    if arguments.string("which") == "smallest" {
      throw UsageError("--method sketch finds the largest eigenvalues only")
    }
    let size = arguments.optionalInt("sketch-size") ?? min(op.dimension, 2 * k)
    if size < k || size > op.dimension {
      throw UsageError("--sketch-size must be in k = \(k) … P = \(op.dimension), got \(size)")
    }
    let solver = SketchedEigensolver(
      method: .symmetric, sketchSize: size, seed: UInt64(arguments.int("seed")))
    let result = try solver.eigenpairs(of: op, count: k)
    if context.json {
      try context.emit(
        .object([
          ("eigenvalues", .array(result.eigenvalues.map { .number($0) })),
          ("error_bound", .number(result.errorEstimate)),
          ("matvecs", .int(result.productCount)),
        ]))
    } else {
      context.write(
        "dimension \(op.dimension), sketch of \(size), \(result.productCount) matrix–vector products"
      )
      context.write("every |λᵢ − estimate| ≤ \(result.errorEstimate) (probability ≥ 1 − 10⁻¹⁰)")
      for (i, value) in result.eigenvalues.enumerated() { context.write("λ\(i + 1) = \(value)") }
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

  /// The Hessian of the model of `spec` over all samples of its data at the given parameters.
  static func modelOperator(
    _ spec: String, _ arguments: ParsedArguments, context: CommandContext
  ) throws -> ObjectiveHessian {
    let model = try ModelSpec.parse(spec)
    let dataset: DatasetSpec
    if let name = arguments.optionalString("dataset") {
      for other in ["inputs", "labels"] where arguments.isSet(other) {
        throw UsageError("--\(other) cannot be combined with --dataset")
      }
      dataset = try DatasetSpec.parse(name)
    } else if let inputs = arguments.optionalString("inputs"),
      let labels = arguments.optionalString("labels")
    {
      dataset = .npy(inputs: inputs, labels: labels)
    } else {
      throw UsageError("--model needs --inputs and --labels, or --dataset")
    }
    guard let parametersPath = arguments.optionalString("parameters") else {
      throw UsageError("--model needs --parameters")
    }
    let workload = try Workload(model: model, dataset: dataset, seed: UInt64(arguments.int("seed")))
    let objective = try context.objectiveAdapter(workload.objective)
    let parameters = try NpyFile.read(path: parametersPath).floats()
    if parameters.count != objective.parameterCount {
      throw CurvatureError.dimensionMismatch(
        name: parametersPath, expected: objective.parameterCount, actual: parameters.count)
    }
    return try ObjectiveHessian(
      objective: objective, at: parameters, samples: .range(0..<objective.sampleCount))
  }
}
