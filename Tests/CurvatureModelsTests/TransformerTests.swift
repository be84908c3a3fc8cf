import Curvature
import Foundation
import Testing

@testable import CurvatureModels

@Suite struct TransformerTests {
  static func setup(layers: Int, mask: Bool = false) -> (Transformer, [Float], TransformerReference)
  {
    let c = Transformer.Configuration(
      vocabularySize: 5, contextLength: 4, modelWidth: 4, headCount: 2, layerCount: layers,
      mlpWidth: 6)
    var data = try! TokenSequences.markov(
      vocabularySize: 5, length: 4, count: 3, branching: 3, seed: 4)
    if mask {
      data = try! TokenSequences(
        tokens: data.tokens, length: 4, vocabularySize: 5, lossMask: [false, true, false, true])
    }
    let m = try! Transformer(configuration: c, data: data)
    var rng = SeededGenerator(seed: 12)
    // Random (not initial) parameters so every term of the Hessian is exercised.
    let w = m.initialParameters(seed: 1).map { $0 + Float(rng.nextGaussian() * 0.3) }
    return (m, w, TransformerReference(c: c, data: data))
  }

  @Test func hvpAfterGradientOrGaussNewtonAtTheSamePoint() throws {
    // Gradients and Gauss–Newton products skip GELU's σ''; a Hessian product at the same
    // cached point must still see it (bit-identical to a fresh model's product).
    let (m, w, _) = Self.setup(layers: 2)
    let (fresh, _, _) = Self.setup(layers: 2)
    let (m2, _, _) = Self.setup(layers: 2)
    let s = SampleSet.all(m.sampleCount)
    var rng = SeededGenerator(seed: 5)
    let v = rng.gaussianVector(count: m.parameterCount)
    let expected = try fresh.hessianVectorProduct(at: w, samples: s, direction: v)
    _ = try m.lossAndGradient(at: w, samples: s)
    #expect(try m.hessianVectorProduct(at: w, samples: s, direction: v) == expected)
    _ = try MLPTests.gaussNewton(m2, w, s, v)
    #expect(try m2.hessianVectorProduct(at: w, samples: s, direction: v) == expected)
  }

  @Test func parameterCountAndLayout() throws {
    let (m, _, _) = Self.setup(layers: 2)
    #expect(m.parameterCount == m.configuration.parameterCount)
    let c = Transformer.Configuration(
      vocabularySize: 64, contextLength: 32, modelWidth: 128, headCount: 4, layerCount: 2)
    #expect(c.parameterCount == 64 * 128 * 2 + 32 * 128 + 2 * (12 * 128 * 128 + 13 * 128) + 256)
  }

  @Test func lossAndGradientMatchDoubleReference() throws {
    let (m, w, ref) = Self.setup(layers: 2, mask: true)
    let wd = w.map(Double.init)
    let f = { (x: [Double]) in ref.meanLoss(x, samples: [0, 1, 2]) }
    let (loss, g) = try m.lossAndGradient(at: w, samples: .all(3))
    #expect(abs(loss - f(wd)) < 1e-5)
    let err = Reference.relativeError(g.map(Double.init), Reference.gradient(f, at: wd))
    #expect(err < 5e-6, "relative gradient error \(err)")
    let per = try m.perSampleLosses(at: w, samples: .indices([2, 0]))
    #expect(abs(per[0] - ref.meanLoss(wd, samples: [2])) < 1e-5)
    #expect(abs(per[1] - ref.meanLoss(wd, samples: [0])) < 1e-5)
    #expect(abs((per[0] + per[1]) / 2 - (try m.loss(at: w, samples: .indices([2, 0])))) < 1e-12)
  }

  @Test func hessianMatchesDoubleSecondDifferences() throws {
    let (m, w, ref) = Self.setup(layers: 1)
    let wd = w.map(Double.init)
    let p = m.parameterCount
    let h = try Reference.dense(p) {
      try m.hessianVectorProduct(at: w, samples: .range(0..<2), direction: $0)
    }
    #expect(Reference.asymmetry(h, p) < 1e-5)
    // Second differences on a stride-5 subset of coordinates (every parameter group).
    let sub = Array(stride(from: 0, to: p, by: 5))
    let hRef = Reference.hessian(
      { x in
        var full = wd
        for (k, i) in sub.enumerated() { full[i] = x[k] }
        return ref.meanLoss(full, samples: [0, 1])
      }, at: sub.map { wd[$0] })
    let n = sub.count
    let hSub = (0..<(n * n)).map { h[sub[$0 / n] * p + sub[$0 % n]] }
    let err = Reference.relativeError(hSub, hRef)
    #expect(err < 2e-5, "relative Hessian error \(err)")
  }

  /// Checks uᵀ H v against mixed second differences of the Double reference for `probes`
  /// random u, with H v from the model at `w` over its first `samples` sequences.
  static func checkMixedSecondDifferences(
    _ m: Transformer, _ w: [Float], _ ref: TransformerReference, samples: Int, probes: Int,
    rng: inout SeededGenerator
  ) throws {
    let wd = w.map(Double.init)
    let p = m.parameterCount
    let v = rng.gaussianVector(count: p)
    let hv = try m.hessianVectorProduct(at: w, samples: .all(samples), direction: v)
    let f = { (x: [Double]) in ref.meanLoss(x, samples: Array(0..<samples)) }
    let hvNorm = hv.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
    let vNorm = v.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
    for _ in 0..<probes {
      let u = rng.gaussianVector(count: p)
      let uNorm = u.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
      let h = 1e-3 / max(uNorm, vNorm)
      func at(_ a: Double, _ b: Double) -> Double {
        f((0..<p).map { wd[$0] + a * Double(u[$0]) + b * Double(v[$0]) })
      }
      let uhv = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
      let ours = zip(u, hv).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      #expect(abs(ours - uhv) < 1e-5 * uNorm * hvNorm, "uᵀHv \(ours) vs \(uhv)")
    }
  }

  @Test func deepHVPMatchesMixedSecondDifferences() throws {
    let (m, w, ref) = Self.setup(layers: 2, mask: true)
    var rng = SeededGenerator(seed: 3)
    try Self.checkMixedSecondDifferences(m, w, ref, samples: 3, probes: 4, rng: &rng)
  }

  /// Heads and contexts of 32 (the shapes the attention products take without packing) and a
  /// two-sequence batch: uᵀ H v against mixed second differences of the Double reference.
  @Test func wideHeadHVPMatchesMixedSecondDifferences() throws {
    let c = Transformer.Configuration(
      vocabularySize: 6, contextLength: 32, modelWidth: 64, headCount: 2, layerCount: 1,
      mlpWidth: 32)
    let data = try TokenSequences.markov(vocabularySize: 6, length: 32, count: 2, seed: 5)
    let m = try Transformer(configuration: c, data: data)
    let ref = TransformerReference(c: c, data: data)
    var rng = SeededGenerator(seed: 7)
    let w = m.initialParameters(seed: 2).map { $0 + Float(rng.nextGaussian() * 0.2) }
    try Self.checkMixedSecondDifferences(m, w, ref, samples: 2, probes: 2, rng: &rng)
  }

  @Test func blockHVPEqualsSingleAndGaussNewtonIsSymmetricPSD() throws {
    let (m, w, _) = Self.setup(layers: 1)
    let p = m.parameterCount
    var rng = SeededGenerator(seed: 6)
    let v = rng.gaussianVector(count: 3 * p)
    var block = [Float](repeating: 0, count: 3 * p)
    try w.withUnsafeBufferPointer { wp in
      try v.withUnsafeBufferPointer { vp in
        try block.withUnsafeMutableBufferPointer {
          try m.hessianVectorProducts(at: wp, samples: .all(3), directions: vp, count: 3, into: $0)
        }
      }
    }
    for j in 0..<3 {
      let single = try m.hessianVectorProduct(
        at: w, samples: .all(3), direction: Array(v[(j * p)..<((j + 1) * p)]))
      #expect(
        Reference.relativeError(
          block[(j * p)..<((j + 1) * p)].map(Double.init), single.map(Double.init)) < 1e-6)
    }
    let g = try Reference.dense(p) { v in
      var out = [Float](repeating: 0, count: p)
      try w.withUnsafeBufferPointer { wp in
        try v.withUnsafeBufferPointer { vp in
          try out.withUnsafeMutableBufferPointer {
            try m.gaussNewtonVectorProduct(at: wp, samples: .all(3), direction: vp, into: $0)
          }
        }
      }
      return out
    }
    #expect(Reference.asymmetry(g, p) < 1e-5)
    let eig = try SymmetricEigensolver.decompose(g, order: p)
    #expect(eig.values.min()! > -1e-5 * eig.values.max()!)
  }

  @Test func gaussNewtonMatchesJacobianFormula() throws {
    // uᵀGv = mean over sequences and counted positions of (J u)ᵀ (diag p − ppᵀ)(J v), with the
    // logit Jacobian products J u, J v by Double central differences of the reference.
    let (m, w, ref) = Self.setup(layers: 1, mask: true)
    let p = m.parameterCount
    var rng = SeededGenerator(seed: 21)
    let v = rng.gaussianVector(count: p)
    var gv = [Float](repeating: 0, count: p)
    try w.withUnsafeBufferPointer { wp in
      try v.withUnsafeBufferPointer { vp in
        try gv.withUnsafeMutableBufferPointer {
          try m.gaussNewtonVectorProduct(at: wp, samples: .all(3), direction: vp, into: $0)
        }
      }
    }
    let wd = w.map(Double.init)
    let mask = ref.data.lossMask
    let k = Double(mask.filter { $0 }.count)
    let h = 1e-5
    for trial in 0..<3 {
      let u = trial == 0 ? v : rng.gaussianVector(count: p)
      func jacobianProduct(_ d: [Float], _ i: Int) -> [[Double]] {
        let zp = ref.logits(zip(wd, d).map { $0 + h * Double($1) }, sequence: i)
        let zm = ref.logits(zip(wd, d).map { $0 - h * Double($1) }, sequence: i)
        return zip(zp, zm).map { a, b in zip(a, b).map { ($0 - $1) / (2 * h) } }
      }
      var expected = 0.0
      for i in 0..<3 {
        let z = ref.logits(wd, sequence: i)
        let ju = jacobianProduct(u, i)
        let jv = jacobianProduct(v, i)
        for t in 0..<4 where mask[t] {
          let mx = z[t].max()!
          let e = z[t].map { exp($0 - mx) }
          let pr = e.map { $0 / e.reduce(0, +) }
          let pu = zip(pr, ju[t]).reduce(0.0) { $0 + $1.0 * $1.1 }
          let pv = zip(pr, jv[t]).reduce(0.0) { $0 + $1.0 * $1.1 }
          var s = 0.0
          for c in 0..<5 { s += pr[c] * ju[t][c] * jv[t][c] }
          expected += (s - pu * pv) / (k * 3)
        }
      }
      let ours = zip(u, gv).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      #expect(abs(ours - expected) < 1e-5 * max(1, abs(expected)), "uᵀGv \(ours) vs \(expected)")
    }
  }

  @Test func causalMaskHolds() throws {
    let (m, w, _) = Self.setup(layers: 2)
    let base = m.data
    var tokens = base.tokens
    tokens[3] = (tokens[3] + 1) % 5  // sequence 0: input of position 3, target of position 2
    let changed = try m.withData(
      TokenSequences(tokens: tokens, length: 4, vocabularySize: 5))
    let a = try m.positionLosses(at: w, samples: .range(0..<1))
    let b = try changed.positionLosses(at: w, samples: .range(0..<1))
    #expect(a[0] == b[0] && a[1] == b[1])  // earlier positions: bit-identical
    #expect(a[2] != b[2] || a[3] != b[3])
    let g1 = try m.lossAndGradient(at: w, samples: .range(1..<3)).gradient
    let g2 = try changed.lossAndGradient(at: w, samples: .range(1..<3)).gradient
    #expect(g1 == g2)  // other sequences are unaffected
  }

  @Test func crossEntropyStaysFiniteForHugeLogits() throws {
    let (m, w, _) = Self.setup(layers: 1)
    var big = w
    for i in m.unembedding..<m.parameterCount { big[i] *= 2000 }
    let (loss, g) = try m.lossAndGradient(at: big, samples: .all(3))
    #expect(loss.isFinite && loss > 1)
    #expect(g.allSatisfy { $0.isFinite })
    let hv = try m.hessianVectorProduct(at: big, samples: .all(3), direction: w)
    #expect(hv.allSatisfy { $0.isFinite })
  }

  @Test func twoThreadSplitMatchesHalves() throws {
    let c = Transformer.Configuration(
      vocabularySize: 8, contextLength: 16, modelWidth: 32, headCount: 4, layerCount: 1)
    let data = try TokenSequences.markov(vocabularySize: 8, length: 16, count: 64, seed: 2)
    let m = try Transformer(configuration: c, data: data)
    let w = m.initialParameters(seed: 3)
    var rng = SeededGenerator(seed: 4)
    let v = rng.gaussianVector(count: m.parameterCount)
    let hv = try m.hessianVectorProduct(at: w, samples: .all(64), direction: v)
    let h1 = try m.hessianVectorProduct(at: w, samples: .range(0..<32), direction: v)
    let h2 = try m.hessianVectorProduct(at: w, samples: .range(32..<64), direction: v)
    #expect(
      Reference.relativeError(hv.map(Double.init), zip(h1, h2).map { Double($0 + $1) / 2 }) < 1e-5)
  }

  @Test func rejectsBadConfigurations() {
    let data = try! TokenSequences.modularAddition(modulus: 5, seed: 0)
    func make(_ c: Transformer.Configuration) throws {
      _ = try Transformer(configuration: c, data: data)
    }
    #expect(throws: CurvatureError.self) {
      try make(
        .init(vocabularySize: 6, contextLength: 3, modelWidth: 6, headCount: 4, layerCount: 1))
    }
    #expect(throws: CurvatureError.self) {
      try make(
        .init(vocabularySize: 6, contextLength: 4, modelWidth: 8, headCount: 2, layerCount: 1))
    }
    #expect(throws: CurvatureError.self) {
      try make(
        .init(vocabularySize: 5, contextLength: 3, modelWidth: 8, headCount: 2, layerCount: 1))
    }
    #expect(throws: CurvatureError.self) {
      try make(
        .init(vocabularySize: 6, contextLength: 3, modelWidth: 8, headCount: 2, layerCount: 0))
    }
  }
}
