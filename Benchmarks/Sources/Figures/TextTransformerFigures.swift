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
    let t = try ProductTimings(model, w: w, w2: w2, samples: samples, reps: reps)
    print("\n\(n) windows (\(n * 32) tokens):")
    t.printTable(name: "Transformer")
    results["gradient_ms_\(n)"] = t.gradient
    results["hvp_ms_\(n)"] = t.hvpFresh
    results["hvp_cached_ms_\(n)"] = t.hvpCached
    results["block8_ms_\(n)"] = t.block8Fresh
  }
  if let dir = export {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try NpyFile.write(
      NpyArray(shape: [data.count, 33], elements: .int64(data.tokens.map { Int64($0) })),
      to: dir + "/text_tokens.npy")
    try ParameterFile.save(w, to: dir + "/text_parameters.npy")
    var rng = SeededGenerator(seed: 99)
    let v = rng.gaussianVector(count: model.parameterCount)
    try ParameterFile.save(v, to: dir + "/text_direction.npy")
    let all = SampleSet.range(0..<512)
    let (loss, g) = try model.lossAndGradient(at: w, samples: all)
    let hv = try model.hessianVectorProduct(at: w, samples: all, direction: v)
    try ParameterFile.save(g, to: dir + "/text_gradient.npy")
    try ParameterFile.save(hv, to: dir + "/text_hvp.npy")
    results["loss"] = loss
    let json = try JSONSerialization.data(
      withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
    try json.write(to: URL(fileURLWithPath: dir + "/text_results.json"))
    print("exported to \(dir)")
  }
}
