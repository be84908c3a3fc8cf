import Curvature
import CurvatureModels
import Foundation

/// Prints the model figures (ratios measured side by side in one run).
///
///   swift run -c release Figures models [--export DIR] [--quick] [--reps N]
///     [--only mlp|transformer|cnn] [--channels C1,…,Cm]
///
/// `--export DIR` also writes the MLP's weights, data, probe direction and our results as
/// `.npy`/JSON for `Peers/jax_models.py`. `--quick` uses fewer repetitions.
func modelFigures(arguments: [String]) throws {
  var export: String?
  var reps = 7
  var only: String?
  var channels = [16, 32]
  var i = 0
  while i < arguments.count {
    switch arguments[i] {
    case "--export" where i + 1 < arguments.count:
      export = arguments[i + 1]
      i += 1
    case "--quick": reps = 3
    case "--reps" where i + 1 < arguments.count:
      reps = Int(arguments[i + 1]) ?? reps
      i += 1
    case "--channels" where i + 1 < arguments.count:
      channels = arguments[i + 1].split(separator: ",").compactMap { Int($0) }
      i += 1
    case "--only" where i + 1 < arguments.count:
      only = arguments[i + 1]
      i += 1
    case "--gemm-shapes":
      gemmShapes()
      return
    default: break
    }
    i += 1
  }
  if only == nil || only == "mlp" { try mlpFigures(export: export, reps: reps) }
  if only == nil || only == "transformer" { try transformerFigures(reps: reps) }
  if only == nil || only == "cnn" {
    try cnnFigures(channels: channels, export: export, reps: reps)
  }
}

/// Median wall time of `body` in milliseconds over `reps` runs after one warm-up.
func medianMilliseconds(_ reps: Int, _ body: () throws -> Void) rethrows -> Double {
  try body()
  var times: [Double] = []
  for _ in 0..<reps {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
  }
  return times.sorted()[times.count / 2]
}

func formatted(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

/// Times gradient, HVP (fresh and cached forward pass), block-of-8 HVP and Gauss–Newton
/// products of an objective; `w` and `w2` alternate to defeat the forward-pass cache.
struct ProductTimings {
  var gradient = 0.0
  var hvpFresh = 0.0
  var hvpCached = 0.0
  var block8Fresh = 0.0
  var block8Cached = 0.0
  var gaussNewton = 0.0

  init(
    _ model: some DifferentiableObjective, w: [Float], w2: [Float], samples: SampleSet, reps: Int
  ) throws {
    let p = model.parameterCount
    var rng = SeededGenerator(seed: 99)
    let v = rng.gaussianVector(count: p * 8)
    var g = [Float](repeating: 0, count: p)
    var out = [Float](repeating: 0, count: p * 8)
    var flip = false
    func call(_ body: (UnsafeBufferPointer<Float>) throws -> Void, fresh: Bool) rethrows {
      if fresh { flip.toggle() }
      try (flip ? w2 : w).withUnsafeBufferPointer { try body($0) }
    }
    func hvp(_ wp: UnsafeBufferPointer<Float>, _ count: Int) throws {
      try v.withUnsafeBufferPointer { vp in
        try out.withUnsafeMutableBufferPointer { op in
          if count == 1 {
            try model.hessianVectorProduct(
              at: wp, samples: samples, direction: UnsafeBufferPointer(rebasing: vp[0..<p]),
              into: UnsafeMutableBufferPointer(rebasing: op[0..<p]))
          } else {
            try model.hessianVectorProducts(
              at: wp, samples: samples, directions: vp, count: count, into: op)
          }
        }
      }
    }
    func gaussNewtonProduct(_ wp: UnsafeBufferPointer<Float>) throws {
      try v.withUnsafeBufferPointer { vp in
        try out.withUnsafeMutableBufferPointer { op in
          try model.gaussNewtonVectorProduct(
            at: wp, samples: samples, direction: UnsafeBufferPointer(rebasing: vp[0..<p]),
            into: UnsafeMutableBufferPointer(rebasing: op[0..<p]))
        }
      }
    }
    // The operations take turns within every round (after one warm-up round), so a change in
    // machine load during the run affects all of them alike and the ratios stay comparable.
    let operations:
      [(fresh: Bool, block: Bool, body: (UnsafeBufferPointer<Float>) throws -> Void)] = [
        (
          true, false,
          { wp in
            _ = try g.withUnsafeMutableBufferPointer {
              try model.gradient(at: wp, samples: samples, into: $0)
            }
          }
        ),
        (true, false, { try hvp($0, 1) }),
        (false, false, { try hvp($0, 1) }),
        (true, true, { try hvp($0, 8) }),
        (false, true, { try hvp($0, 8) }),
        (true, false, gaussNewtonProduct),
      ]
    var times = [[Double]](repeating: [], count: operations.count)
    let blockRounds = max(3, reps / 2)
    for round in 0...reps {
      for (k, op) in operations.enumerated() {
        if op.block && round > blockRounds { continue }
        if !op.fresh { try call(op.body, fresh: false) }  // the cached point is this one
        let t0 = DispatchTime.now().uptimeNanoseconds
        try call(op.body, fresh: op.fresh)
        if round > 0 { times[k].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
      }
    }
    let medians = times.map { $0.sorted()[$0.count / 2] }
    (gradient, hvpFresh, hvpCached, block8Fresh, block8Cached, gaussNewton) = (
      medians[0], medians[1], medians[2], medians[3], medians[4], medians[5]
    )
  }

  func printTable(name: String) {
    print("| \(name) | ms | ratio |")
    print("|---|---:|---:|")
    print("| gradient | \(formatted(gradient)) | 1.00 |")
    print(
      "| HVP, fresh forward pass | \(formatted(hvpFresh)) | \(formatted(hvpFresh / gradient, 2)) × gradient |"
    )
    print(
      "| HVP, cached forward pass (fixed w, as in an eigensolver) | \(formatted(hvpCached)) | \(formatted(hvpCached / gradient, 2)) × gradient |"
    )
    print(
      "| block of 8 HVPs, fresh | \(formatted(block8Fresh)) | \(formatted(block8Fresh / hvpFresh, 2)) × fresh HVP |"
    )
    print(
      "| block of 8 HVPs, cached | \(formatted(block8Cached)) | \(formatted(block8Cached / hvpCached, 2)) × cached HVP |"
    )
    print(
      "| Gauss–Newton product | \(formatted(gaussNewton)) | \(formatted(gaussNewton / gradient, 2)) × gradient |"
    )
  }
}

func mlpFigures(export: String?, reps: Int) throws {
  let data = try ClassificationData.digits()
  let mlp = try MLP(layerSizes: [64, 512, 512, 10], activation: .tanh, data: data)
  let w = mlp.initialParameters(seed: 0)
  let w2 = mlp.initialParameters(seed: 1)
  let all = SampleSet.all(data.count)
  print("\n## MLP 64-512-512-10 tanh, all \(data.count) digits, P = \(mlp.parameterCount)")
  let t = try ProductTimings(mlp, w: w, w2: w2, samples: all, reps: reps)
  t.printTable(name: "MLP")
  print(
    "anchors (same machine): PyTorch gradient 22.6 ms, HVP 63.5 ms; JAX gradient 35.9 ms, HVP 65.9 ms"
  )
  print(
    "HVP (fresh) vs PyTorch: \(formatted(t.hvpFresh / 63.5, 2))×, vs JAX: \(formatted(t.hvpFresh / 65.9, 2))×"
  )

  // End to end: top-10 eigenpairs at tolerance 1e-4.
  let op = try ObjectiveHessian(objective: mlp, at: w, samples: all)
  let t0 = DispatchTime.now().uptimeNanoseconds
  let result = try Lanczos(configuration: LanczosConfiguration(tolerance: 1e-4, seed: 0))
    .eigenpairs(of: op, count: 10)
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
  print("\n| top-10 Hessian eigenpairs (tol 1e-4) | HVPs | s | all converged |")
  print("|---|---:|---:|---|")
  print(
    "| Curvature (Lanczos) | \(result.productCount) | \(formatted(seconds, 2)) | \(result.allConverged) |"
  )
  print("| anchor: JAX + SciPy ARPACK | 70 | 8.80 | |")
  print("| anchor: PyHessian (tol 1e-3) | 215 | 9.90 | |")
  print(
    "eigenvalues: " + result.eigenvalues.map { String(format: "%.5g", $0) }.joined(separator: ", "))

  if let dir = export {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try data.save(inputs: dir + "/digits_inputs.npy", labels: dir + "/digits_labels.npy")
    try exportForPeer(
      mlp, at: w, samples: all,
      results: [
        "gradient_ms": t.gradient, "hvp_ms": t.hvpFresh, "hvp_cached_ms": t.hvpCached,
        "block8_ms": t.block8Fresh, "eigen_seconds": seconds, "eigen_hvps": result.productCount,
        "eigenvalues": result.eigenvalues, "layer_sizes": mlp.layerSizes,
      ],
      to: dir,
      files: .init(
        parameters: "mlp_parameters.npy", direction: "mlp_direction.npy",
        gradient: "swift_gradient.npy", hvp: "swift_hvp.npy", results: "swift_results.json"))
  }
}

func transformerFigures(reps: Int) throws {
  let config = Transformer.Configuration(
    vocabularySize: 64, contextLength: 32, modelWidth: 128, headCount: 4, layerCount: 2)
  let data = try TokenSequences.markov(vocabularySize: 64, length: 32, count: 64, seed: 0)
  let model = try Transformer(configuration: config, data: data)
  let w = model.initialParameters(seed: 0)
  let w2 = model.initialParameters(seed: 1)
  print(
    "\n## Transformer V=64 T=32 D=128 H=4 L=2 F=512 (P = \(model.parameterCount)), 64 Markov sequences (2,048 tokens)"
  )
  let t = try ProductTimings(model, w: w, w2: w2, samples: .all(data.count), reps: reps)
  t.printTable(name: "Transformer")
}

/// GFLOP/s of the GEMM shapes the MLP figures use (diagnostics).
func gemmShapes() {
  let shapes: [(Bool, Bool, Int, Int, Int, String)] = [
    (false, true, 899, 512, 512, "forward X Wᵀ"),
    (true, false, 512, 512, 899, "weight grad Gᵀ X"),
    (false, false, 899, 512, 512, "input grad G W"),
    (false, true, 8 * 899, 512, 512, "stacked tangent forward"),
    (false, true, 899, 512, 64, "first layer"),
  ]
  for (ta, tb, m, n, k, name) in shapes {
    let a = [Float](repeating: 0.5, count: m * k)
    let b = [Float](repeating: 0.25, count: k * n)
    var c = [Float](repeating: 0, count: m * n)
    let ms = medianMilliseconds(5) {
      a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
          c.withUnsafeMutableBufferPointer { cp in
            Gemm.multiply(
              transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: ap.baseAddress!,
              lda: ta ? m : k, b: bp.baseAddress!, ldb: tb ? k : n, beta: 0, c: cp.baseAddress!,
              ldc: n)
          }
        }
      }
    }
    print(
      "\(name) \(m)x\(n)x\(k): \(formatted(ms, 2)) ms, \(formatted(2 * Double(m * n * k) / ms / 1e6)) GFLOP/s"
    )
  }
}

/// Where a peer script (`Peers/jax_*.py`) reads our side: file names inside the export
/// directory.
struct PeerExportFiles {
  var parameters: String
  var direction: String
  var gradient: String
  var hvp: String
  var results: String
}

/// Writes what a peer script recomputes and compares against: the weights `w`, a seeded probe
/// direction v (seed 99), our gradient and Hv at `w` over `samples`, and `results` (with our
/// loss added) as JSON, into `directory` under `files`' names. The caller writes the data.
func exportForPeer(
  _ model: some DifferentiableObjective, at w: [Float], samples: SampleSet,
  results: [String: Any], to directory: String, files: PeerExportFiles
) throws {
  try ParameterFile.save(w, to: directory + "/" + files.parameters)
  var rng = SeededGenerator(seed: 99)
  let v = rng.gaussianVector(count: model.parameterCount)
  try ParameterFile.save(v, to: directory + "/" + files.direction)
  let (loss, g) = try model.lossAndGradient(at: w, samples: samples)
  let hv = try model.hessianVectorProduct(at: w, samples: samples, direction: v)
  try ParameterFile.save(g, to: directory + "/" + files.gradient)
  try ParameterFile.save(hv, to: directory + "/" + files.hvp)
  var results = results
  results["loss"] = loss
  let text = try JSONSerialization.data(
    withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
  try text.write(to: URL(fileURLWithPath: directory + "/" + files.results))
  print("exported to \(directory)")
}
