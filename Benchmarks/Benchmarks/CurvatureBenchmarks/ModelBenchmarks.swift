import Benchmark
import Curvature
import CurvatureModels

/// Model benchmarks (ordo-one/benchmark): gradient, HVP and block HVP of the reference MLP on
/// the digits and of a small transformer. Side-by-side ratios live in `Figures models`.
func modelBenchmarks() {
  let config = Benchmark.Configuration(
    metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(5))
  guard let data = try? ClassificationData.digits(),
    let mlp = try? MLP(layerSizes: [64, 512, 512, 10], activation: .tanh, data: data)
  else { return }
  let w = mlp.initialParameters(seed: 0)
  let w2 = mlp.initialParameters(seed: 1)
  var rng = SeededGenerator(seed: 99)
  let v = rng.gaussianVector(count: mlp.parameterCount * 8)
  let all = SampleSet.all(data.count)

  Benchmark("MLP 64-512-512-10 gradient, 1797 digits", configuration: config) { benchmark in
    var flip = false
    for _ in benchmark.scaledIterations {
      flip.toggle()
      blackHole(try mlp.lossAndGradient(at: flip ? w : w2, samples: all))
    }
  }
  Benchmark("MLP 64-512-512-10 HVP (cached forward), 1797 digits", configuration: config) {
    benchmark in
    let direction = Array(v[0..<mlp.parameterCount])
    for _ in benchmark.scaledIterations {
      blackHole(try mlp.hessianVectorProduct(at: w, samples: all, direction: direction))
    }
  }
  Benchmark("MLP 64-512-512-10 block of 8 HVPs (cached forward)", configuration: config) {
    benchmark in
    var out = [Float](repeating: 0, count: v.count)
    for _ in benchmark.scaledIterations {
      try w.withUnsafeBufferPointer { wp in
        try v.withUnsafeBufferPointer { vp in
          try out.withUnsafeMutableBufferPointer {
            try mlp.hessianVectorProducts(at: wp, samples: all, directions: vp, count: 8, into: $0)
          }
        }
      }
      blackHole(out)
    }
  }

  let tc = Transformer.Configuration(
    vocabularySize: 64, contextLength: 32, modelWidth: 128, headCount: 4, layerCount: 2)
  guard let tokens = try? TokenSequences.markov(vocabularySize: 64, length: 32, count: 64, seed: 0),
    let transformer = try? Transformer(configuration: tc, data: tokens)
  else { return }
  let tw = transformer.initialParameters(seed: 0)
  let tv = SeededGenerator(seed: 5).gaussianVectorCopy(count: transformer.parameterCount)
  Benchmark("Transformer 417k HVP (cached forward), 2048 tokens", configuration: config) {
    benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(try transformer.hessianVectorProduct(at: tw, samples: .all(64), direction: tv))
    }
  }
}

extension SeededGenerator {
  fileprivate func gaussianVectorCopy(count: Int) -> [Float] {
    var g = self
    return g.gaussianVector(count: count)
  }
}
