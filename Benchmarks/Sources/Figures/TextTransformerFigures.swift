import Curvature
import CurvatureModels
import Foundation

/// Gradient and HVP time of the byte-level transformer language model of
/// `curvature train --model transformer:64,4,2 --dataset bierce` (V = 79, T = 32, D = 64, H = 4,
/// L = 2), on a minibatch of 64 windows and on a 512-window Hessian batch.
///
///   swift run -c release Figures text [--export DIR] [--quick]
///
/// `--export DIR` writes the weights, the windows, a probe direction and our loss, gradient,
/// HVP and timings for `Peers/jax_text_transformer.py`, which times JAX on the same inputs.
func textTransformerFigures(arguments: [String]) throws {
  var export: String?
  var reps = 9
  var i = 0
  while i < arguments.count {
    switch arguments[i] {
    case "--export" where i + 1 < arguments.count:
      export = arguments[i + 1]
      i += 1
    case "--quick": reps = 5
    default: break
    }
    i += 1
  }
  let text = try ByteText.devilsDictionary()
  let data = try text.windows(length: 32, count: 512, seed: 1)
  let model = try Transformer(
    configuration: .init(
      vocabularySize: text.vocabularySize, contextLength: 32, modelWidth: 64, headCount: 4,
      layerCount: 2),
    data: data)
  let w = model.initialParameters(seed: 0)
  let w2 = model.initialParameters(seed: 1)
  print(
    "\n## Text transformer V=\(text.vocabularySize) T=32 D=64 H=4 L=2 F=256 (P = \(model.parameterCount)), windows of the bundled text"
  )
  var results: [String: Any] = [
    "vocabulary": text.vocabularySize, "length": 32, "width": 64, "heads": 4, "layers": 2,
    "parameters": model.parameterCount,
  ]
  for n in [64, 512] {
    let samples = SampleSet.range(0..<n)
    let (gradient, hvp) = try gradientAndHVPTimes(model, w: w, w2: w2, samples: samples, reps: reps)
    print("\n| \(n) windows (\(n * 32) tokens) | ms | ratio |")
    print("|---|---:|---:|")
    print("| gradient | \(formatted(gradient, 2)) | 1.00 |")
    print(
      "| HVP, fresh forward pass | \(formatted(hvp, 2)) | \(formatted(hvp / gradient, 2)) × gradient |"
    )
    results["gradient_ms_\(n)"] = gradient
    results["hvp_ms_\(n)"] = hvp
  }
  if let dir = export {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try NpyFile.write(
      NpyArray(shape: [data.count, 33], elements: .int64(data.tokens.map { Int64($0) })),
      to: dir + "/text_tokens.npy")
    try exportForPeer(
      model, at: w, samples: .range(0..<512), results: results, to: dir,
      files: .init(
        parameters: "text_parameters.npy", direction: "text_direction.npy",
        gradient: "text_gradient.npy", hvp: "text_hvp.npy", results: "text_results.json"))
  }
}

/// Median gradient and fresh-HVP times (ms): the two take turns in every round after a warm-up
/// round, alternating between `w` and `w2` so that no call reuses a cached forward pass.
func gradientAndHVPTimes(
  _ model: some DifferentiableObjective, w: [Float], w2: [Float], samples: SampleSet, reps: Int
) throws -> (gradient: Double, hvp: Double) {
  var rng = SeededGenerator(seed: 99)
  let v = rng.gaussianVector(count: model.parameterCount)
  var gradient: [Double] = []
  var hvp: [Double] = []
  var flip = false
  for round in 0...reps {
    for op in 0..<2 {
      flip.toggle()
      let point = flip ? w2 : w
      let t0 = DispatchTime.now().uptimeNanoseconds
      if op == 0 {
        _ = try model.lossAndGradient(at: point, samples: samples)
      } else {
        _ = try model.hessianVectorProduct(at: point, samples: samples, direction: v)
      }
      let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
      if round > 0 { if op == 0 { gradient.append(ms) } else { hvp.append(ms) } }
    }
  }
  return (gradient.sorted()[gradient.count / 2], hvp.sorted()[hvp.count / 2])
}
