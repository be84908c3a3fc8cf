import Curvature
import CurvatureModels
import Foundation

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
      Error bars: with --hessian-batch N the Hessian is taken over N samples drawn with --seed,
      and each eigenvalue gets an interval at confidence --confidence for the eigenvalue of the
      Hessian over all the samples: a jackknife over 16 disjoint sub-batches (the sample work of
      k extra HVPs over the batch) with the finite-population correction, the upward bias of a
      sub-sampled λ₁ estimated and covered, and the Lanczos residual added. --target-rel-error E
      grows the batch (nested seeded batches, warm-started) until λ₁'s half-width is at most
      E·λ₁ or the samples run out, and reports the samples it needed.
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
        help: "lanczos (thick restart, to the tolerance) or sketch (batched passes of "
          + "sketch-size + probes products; eigenvalues with an a-posteriori error bound, for "
          + "hundreds to a thousand eigenpairs; largest only)"),
      Flag(
        "sketch-size", .positiveInteger, placeholder: "L",
        help: "sketch size for --method sketch (k ≤ L ≤ P; default 2k, at most P)"),
      Flag(
        "sketch-method", .choice(["rayleigh-ritz", "symmetric"]), default: "rayleigh-ritz",
        help: "rayleigh-ritz (L + 10 products, then up to L more for the exact core QᵀHQ) or "
          + "symmetric (one pass, the core fitted to the sketch: ill-conditioned when the "
          + "spectrum decays slowly)"),
      Flag(
        "sketch-directory", .string, placeholder: "DIR",
        help: "keep the sketch (2·P·(L + 10) floats) in memory-mapped files in DIR, paged to "
          + "disk as memory runs short; the files are removed at once (--method sketch)"),
      Flag(
        "hessian-batch", .positiveInteger, placeholder: "N",
        help: "Hessian over N seeded samples (default: all), with error bars for all of them"),
      Flag(
        "confidence", .double(0...1), default: "0.95", placeholder: "C",
        help: "confidence level of the eigenvalue intervals, in (0, 1)"),
      Flag(
        "target-rel-error", .positiveNumber, placeholder: "E",
        help: "grow the Hessian batch until λ₁'s interval half-width ≤ E·λ₁"),
    ],
    examples: [
      "curvature spectrum --matrix hessian.npy --k 10 --json",
      "curvature spectrum --model mlp:64,32,10:tanh --inputs X.npy --labels y.npy --parameters w.npy --k 10",
      "curvature spectrum --model transformer:64,4,2 --dataset bierce --parameters w.npy --k 5",
      "curvature spectrum --model mlp:64,32,10 --dataset digits --parameters w.npy --k 5 --hessian-batch 256 --json",
      "curvature spectrum --model mlp:64,32,10 --dataset digits --parameters w.npy --k 5 --target-rel-error 0.05",
    ],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    let k = arguments.int("k")
    let tolerance = arguments.double("tolerance")
    if !(tolerance < 1) { throw UsageError("--tolerance must be below 1") }
    let confidence = arguments.double("confidence")
    if !(confidence > 0 && confidence < 1) {
      throw UsageError("--confidence must lie strictly between 0 and 1, got \(confidence)")
    }
    if arguments.string("method") == "sketch" {
      for other in ["hessian-batch", "target-rel-error"] where arguments.isSet(other) {
        throw UsageError("--\(other) is not available with --method sketch")
      }
      if let directory = arguments.optionalString("sketch-directory") {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
          isDirectory.boolValue, FileManager.default.isWritableFile(atPath: directory)
        else { throw UsageError("--sketch-directory \(directory) is not a writable directory") }
      }
      let op: any HessianOperator
      if let path = arguments.optionalString("matrix") {
        for other in ["model", "dataset", "inputs", "labels", "parameters"]
        where arguments.isSet(other) {
          throw UsageError("--\(other) cannot be combined with --matrix")
        }
        op = try matrixOperator(path)
      } else if let spec = arguments.optionalString("model") {
        let (objective, parameters) = try modelObjective(spec, arguments, context: context)
        op = try ObjectiveHessian(
          objective: objective, at: parameters, samples: .all(objective.sampleCount))
      } else {
        throw UsageError(
          "give --matrix FILE.npy, or --model with --inputs, --labels and --parameters")
      }
      try checkK(k, op.dimension)
      return try sketch(op, k: k, arguments, context)
    }
    for option in ["sketch-size", "sketch-method", "sketch-directory"]
    where arguments.isSet(option) {
      throw UsageError("--\(option) needs --method sketch")
    }
    let config = LanczosConfiguration(
      tolerance: tolerance, maxProducts: arguments.int("max-products"),
      target: arguments.string("which") == "smallest" ? .smallest : .largest,
      seed: UInt64(arguments.int("seed")))
    if let path = arguments.optionalString("matrix") {
      for other in [
        "model", "dataset", "inputs", "labels", "parameters", "hessian-batch", "target-rel-error",
      ]
      where arguments.isSet(other) {
        throw UsageError("--\(other) cannot be combined with --matrix")
      }
      let op = try matrixOperator(path)
      try checkK(k, op.dimension)
      let result = try Lanczos(configuration: config).eigenpairs(of: op, count: k)
      let intervals = result.eigenvalues.indices.map { i in
        UncertainValue(
          estimate: result.eigenvalues[i], raw: result.eigenvalues[i], samplingStandardError: 0,
          solverErrorBound: result.residuals[i], confidence: confidence, degreesOfFreedom: 0)
      }
      try emit(result, intervals: intervals, samples: nil, extra: [], context)
      return 0
    }
    guard let spec = arguments.optionalString("model") else {
      throw UsageError(
        "give --matrix FILE.npy, or --model with --inputs, --labels and --parameters")
    }
    let (objective, parameters) = try modelObjective(spec, arguments, context: context)
    let n = objective.sampleCount
    try checkK(k, objective.parameterCount)
    if let batch = arguments.optionalInt("hessian-batch"), batch > n {
      throw UsageError("--hessian-batch \(batch) exceeds the \(n) samples of the data")
    }
    let seed = UInt64(arguments.int("seed"))
    let uncertainty = SamplingUncertaintyConfiguration(confidence: confidence, seed: seed)
    // One Hessian batch: its eigenpairs (warm-started from `warm`) and their intervals.
    func measure(_ count: Int, warm: Basis?) throws -> (EigenResult, EigenvalueUncertainty) {
      let samples =
        try HessianBatch.subset(count: count, seed: seed).fixedSamples(sampleCount: n) ?? .all(n)
      let op = try ObjectiveHessian(objective: objective, at: parameters, samples: samples)
      let result = try Lanczos(configuration: config).eigenpairs(
        of: op, count: k, warmStart: warm)
      let jackknife = try BatchJackknife(
        objective: objective, at: parameters, samples: samples, populationCount: n,
        configuration: uncertainty)
      return (result, try jackknife.eigenvalues(of: result, target: config.target))
    }
    guard let target = arguments.optionalDouble("target-rel-error") else {
      let (result, u) = try measure(arguments.optionalInt("hessian-batch") ?? n, warm: nil)
      try emit(result, intervals: u.eigenvalues, samples: u, extra: [], context)
      return 0
    }
    var count = arguments.optionalInt("hessian-batch") ?? min(n, 128)
    var warm: Basis? = nil
    var rounds: [JSONValue] = []
    var products = 0
    while true {
      var (result, u) = try measure(count, warm: warm)
      products += result.productCount + u.productCount
      let first = u.eigenvalues[0]
      let reached = first.halfWidth <= target * abs(first.estimate)
      rounds.append(
        .object([
          ("samples", .int(count)), ("lambda1", .number(first.estimate)),
          ("half_width", .number(first.halfWidth)),
        ]))
      context.note("samples \(count): λ₁ = \(first.estimate) ± \(first.halfWidth)")
      if reached || count == n {
        result.productCount = products - u.productCount
        let summary: [(String, JSONValue)] = [
          (
            "target",
            .object([
              ("rel_error", .number(target)), ("reached", .bool(reached)),
              ("samples_needed", reached ? .int(count) : .null), ("rounds", .array(rounds)),
            ])
          )
        ]
        try emit(result, intervals: u.eigenvalues, samples: u, extra: summary, context)
        if !context.json {
          context.write(
            reached
              ? "target ±\(target) relative on λ₁ reached with \(count) of \(n) samples"
              : "target ±\(target) relative on λ₁ not reached with all \(n) samples")
        }
        return 0
      }
      count = nextBatchSize(
        count, population: n, halfWidth: first.halfWidth, goal: target * abs(first.estimate))
      warm = result.vectors
    }
  }

  /// The next batch size when the half-width h at n samples must fall to `goal`: the size at
  /// which the finite-population standard error √(1/n − 1/N) shrinks by goal/h, plus 10 %,
  /// growing by at least 25 % and at most 4× per round, capped at N.
  static func nextBatchSize(_ n: Int, population: Int, halfWidth: Double, goal: Double) -> Int {
    let big = Double(population)
    let ratio = goal > 0 && halfWidth > 0 ? goal / halfWidth : 0
    let variance = (1 / Double(n) - 1 / big) * ratio * ratio + 1 / big
    let predicted = variance > 0 ? 1.1 / variance : big
    let next = min(max(predicted, 1.25 * Double(n)), 4 * Double(n))
    return min(population, max(n + 1, Int(next.rounded(.up))))
  }

  static func checkK(_ k: Int, _ dimension: Int) throws {
    if k >= dimension {
      throw CurvatureError.outOfRange(name: "k", value: Double(k), range: "[1, \(dimension - 1)]")
    }
  }

  /// Prints the eigenpairs with their intervals (text or JSON).
  static func emit(
    _ result: EigenResult, intervals: [UncertainValue], samples u: EigenvalueUncertainty?,
    extra: [(String, JSONValue)], _ context: CommandContext
  ) throws {
    let confidence = intervals.first?.confidence ?? 0.95
    if context.json {
      var fields: [(String, JSONValue)] = [
        ("eigenvalues", .array(result.eigenvalues.map { .number($0) })),
        ("residuals", .array(result.residuals.map { .number($0) })),
        ("converged", .array(result.converged.map { .bool($0) })),
        ("matvecs", .int(result.productCount)),
        ("samples", u.map { .int($0.sampleCount) } ?? .null),
        ("population", u.map { .int($0.populationCount) } ?? .null),
        ("confidence", .number(confidence)),
        (
          "eigenvalue_intervals",
          .array(intervals.map { .array([.number($0.lower), .number($0.upper)]) })
        ),
        ("sampling_std_error", .array(intervals.map { .number($0.samplingStandardError) })),
        ("bias_corrected_eigenvalues", .array(intervals.map { .number($0.estimate) })),
        (
          "expected_subspace_overlap",
          u.map { .number($0.expectedOverlapBetweenEstimates) } ?? .null
        ),
        ("uncertainty_matvecs", .int(u?.productCount ?? 0)),
      ]
      fields += extra
      try context.emit(.object(fields))
      return
    }
    let dimension = result.vectors.dimension
    if let u {
      context.write(
        "dimension \(dimension), Hessian over \(u.sampleCount) of \(u.populationCount) samples, "
          + "\(result.productCount) + \(u.productCount) (error bars) matrix–vector products")
    } else {
      context.write("dimension \(dimension), \(result.productCount) matrix–vector products")
    }
    let percent = (confidence * 100).formatted(.number.precision(.significantDigits(1...4)))
    for i in 0..<result.eigenvalues.count {
      let flag = result.converged[i] ? "" : "  (not converged)"
      let iv = intervals[i]
      var line = "λ\(i + 1) = \(result.eigenvalues[i])  residual \(result.residuals[i])\(flag)"
      if let u, u.sampleCount < u.populationCount {
        line +=
          "  \(percent) % interval [\(iv.lower), \(iv.upper)]  sampling s.e. \(iv.samplingStandardError)"
          + "  bias \(iv.bias)"
      }
      context.write(line)
    }
  }

  /// `--method sketch`: the top-k eigenpairs of a sketch of `op` (`--sketch-method`: two batched
  /// passes, Rayleigh–Ritz, by default; or one), with the a-posteriori bound on ‖H − Â‖₂ that
  /// bounds every eigenvalue's error.
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
    let method: SketchMethod =
      arguments.string("sketch-method") == "rayleigh-ritz" ? .rayleighRitz : .symmetric
    let solver = SketchedEigensolver(
      method: method, sketchSize: size, seed: UInt64(arguments.int("seed")),
      storageDirectory: arguments.optionalString("sketch-directory"))
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
        "dimension \(op.dimension), \(arguments.string("sketch-method")) sketch of \(size), "
          + "\(result.productCount) matrix–vector products")
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

  /// The objective of the model of `spec` on its data, and the parameters read from file.
  static func modelObjective(
    _ spec: String, _ arguments: ParsedArguments, context: CommandContext
  ) throws -> (any DifferentiableObjective, [Float]) {
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
    if let bad = parameters.firstIndex(where: { !$0.isFinite }) {
      throw CurvatureError.nonFinite(name: parametersPath, index: bad)
    }
    return (objective, parameters)
  }
}
