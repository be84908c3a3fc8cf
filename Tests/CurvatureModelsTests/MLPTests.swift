import Curvature
import Foundation
import Testing

@testable import CurvatureModels

@Suite struct MLPTests {
  static let sizes = [3, 4, 3]
  static let data = Reference.data(samples: 6, features: 3, classes: 3, seed: 7)

  static func model(_ a: MLP.Activation, _ l: MLP.Loss) -> (MLP, [Float]) {
    let m = try! MLP(layerSizes: sizes, activation: a, loss: l, data: data)
    var w = m.initialParameters(seed: 3)
    for i in w.indices { w[i] *= 2 }  // larger weights: stronger nonlinearity
    return (m, w)
  }

  static let cases: [(MLP.Activation, MLP.Loss)] = [
    (.tanh, .crossEntropy), (.relu, .crossEntropy), (.gelu, .crossEntropy),
    (.tanh, .meanSquaredError), (.gelu, .meanSquaredError),
  ]

  @Test(arguments: 0..<5) func gradientMatchesDoubleFiniteDifferences(_ c: Int) throws {
    let (a, l) = Self.cases[c]
    let (m, w) = Self.model(a, l)
    let all = Array(0..<Self.data.count)
    let f = { (x: [Double]) in
      Reference.meanLoss(
        sizes: Self.sizes, activation: a, loss: l, w: x, data: Self.data, samples: all)
    }
    let wd = w.map(Double.init)
    let (loss, g) = try m.lossAndGradient(at: w, samples: .all(Self.data.count))
    #expect(abs(loss - f(wd)) < 1e-6 * max(1, abs(f(wd))))
    let gRef = Reference.gradient(f, at: wd)
    let err = Reference.relativeError(g.map(Double.init), gRef)
    #expect(err < 2e-6, "relative gradient error \(err)")
  }

  @Test(arguments: 0..<5) func hessianMatchesDoubleSecondDifferences(_ c: Int) throws {
    let (a, l) = Self.cases[c]
    let (m, w) = Self.model(a, l)
    let samples = SampleSet.indices([0, 2, 3, 5])
    let f = { (x: [Double]) in
      Reference.meanLoss(
        sizes: Self.sizes, activation: a, loss: l, w: x, data: Self.data, samples: [0, 2, 3, 5])
    }
    let hRef = Reference.hessian(f, at: w.map(Double.init))
    let p = m.parameterCount
    let h = try Reference.dense(p) {
      try m.hessianVectorProduct(at: w, samples: samples, direction: $0)
    }
    let err = Reference.relativeError(h, hRef)
    #expect(err < 5e-6, "relative Hessian error \(err)")
    #expect(Reference.asymmetry(h, p) < 1e-5)
  }

  @Test func hvpMatchesFiniteDifferencesOfGradients() throws {
    let (m, w) = Self.model(.gelu, .crossEntropy)
    var rng = SeededGenerator(seed: 11)
    let v = rng.gaussianVector(count: m.parameterCount)
    let s = SampleSet.all(Self.data.count)
    let hv = try m.hessianVectorProduct(at: w, samples: s, direction: v)
    let eps: Float = 1e-2
    let gp = try m.lossAndGradient(at: zip(w, v).map { $0 + eps * $1 }, samples: s).gradient
    let gm = try m.lossAndGradient(at: zip(w, v).map { $0 - eps * $1 }, samples: s).gradient
    let fd = zip(gp, gm).map { Double(($0 - $1) / (2 * eps)) }
    let err = Reference.relativeError(hv.map(Double.init), fd)
    #expect(err < 2e-3, "relative error \(err)")
  }

  @Test func blockProductsEqualSingleProducts() throws {
    let (m, w) = Self.model(.tanh, .crossEntropy)
    let p = m.parameterCount
    let b = 11  // crosses the internal group of 8
    var rng = SeededGenerator(seed: 5)
    let v = rng.gaussianVector(count: p * b)
    var block = [Float](repeating: 0, count: p * b)
    let s = SampleSet.range(1..<6)
    try w.withUnsafeBufferPointer { wp in
      try v.withUnsafeBufferPointer { vp in
        try block.withUnsafeMutableBufferPointer {
          try m.hessianVectorProducts(at: wp, samples: s, directions: vp, count: b, into: $0)
        }
      }
    }
    for j in 0..<b {
      let single = try m.hessianVectorProduct(
        at: w, samples: s, direction: Array(v[(j * p)..<((j + 1) * p)]))
      let err = Reference.relativeError(
        block[(j * p)..<((j + 1) * p)].map(Double.init), single.map(Double.init))
      #expect(err < 1e-6)
    }
  }

  static func ggn(_ m: MLP, _ w: [Float], _ s: SampleSet) throws -> [Double] {
    try Reference.dense(m.parameterCount) { v in try gaussNewton(m, w, s, v) }
  }

  @Test(arguments: 0..<5) func gaussNewtonMatchesJacobianFormula(_ c: Int) throws {
    let (a, l) = Self.cases[c]
    let (m, w) = Self.model(a, l)
    let p = m.parameterCount
    let s = SampleSet.all(Self.data.count)
    let g = try Self.ggn(m, w, s)
    // Reference: Σ_i J_iᵀ ∇²ℓ_i J_i / N with J by central differences in Double.
    let wd = w.map(Double.init)
    let C = 3
    var ref = [Double](repeating: 0, count: p * p)
    for i in 0..<Self.data.count {
      var jac = [Double](repeating: 0, count: C * p)
      for k in 0..<p {
        var x = wd
        x[k] += 1e-6
        let zp = Reference.logits(
          sizes: Self.sizes, activation: a, w: x, data: Self.data, sample: i)
        x[k] -= 2e-6
        let zm = Reference.logits(
          sizes: Self.sizes, activation: a, w: x, data: Self.data, sample: i)
        for o in 0..<C { jac[o * p + k] = (zp[o] - zm[o]) / 2e-6 }
      }
      let z = Reference.logits(sizes: Self.sizes, activation: a, w: wd, data: Self.data, sample: i)
      var hz = [Double](repeating: 0, count: C * C)
      if l == .crossEntropy {
        let mx = z.max()!
        let e = z.map { Foundation.exp($0 - mx) }
        let pr = e.map { $0 / e.reduce(0, +) }
        for r in 0..<C { for q in 0..<C { hz[r * C + q] = (r == q ? pr[r] : 0) - pr[r] * pr[q] } }
      } else {
        for r in 0..<C { hz[r * C + r] = 2.0 / Double(C) }
      }
      for r in 0..<p {
        for q in 0..<p {
          var t = 0.0
          for o1 in 0..<C {
            for o2 in 0..<C { t += jac[o1 * p + r] * hz[o1 * C + o2] * jac[o2 * p + q] }
          }
          ref[r * p + q] += t / Double(Self.data.count)
        }
      }
    }
    #expect(Reference.relativeError(g, ref) < 1e-5)
    #expect(Reference.asymmetry(g, p) < 1e-5)
    let eig = try SymmetricEigensolver.decompose(g, order: p)
    #expect(eig.values.min()! > -1e-5 * eig.values.max()!)
  }

  @Test func gaussNewtonDiffersFromHessianForHiddenLayers() throws {
    let (m, w) = Self.model(.tanh, .crossEntropy)
    let s = SampleSet.all(Self.data.count)
    let g = try Self.ggn(m, w, s)
    let h = try Reference.dense(m.parameterCount) {
      try m.hessianVectorProduct(at: w, samples: s, direction: $0)
    }
    #expect(Reference.relativeError(g, h) > 1e-2)
  }

  @Test func perSampleLossesAverageToTheLossAndMatchReference() throws {
    let (m, w) = Self.model(.gelu, .crossEntropy)
    let s = SampleSet.indices([4, 1, 1, 3])
    let per = try m.perSampleLosses(at: w, samples: s)
    let mean = try m.loss(at: w, samples: s)
    #expect(abs(per.reduce(0, +) / 4 - mean) < 1e-12)
    for (k, i) in [4, 1, 1, 3].enumerated() {
      let z = Reference.logits(
        sizes: Self.sizes, activation: .gelu, w: w.map(Double.init), data: Self.data, sample: i)
      #expect(
        abs(per[k] - Reference.sampleLoss(z, label: Self.data.labels[i], loss: .crossEntropy))
          < 2e-6)
    }
  }

  @Test func twoThreadSplitMatchesHalves() throws {
    // 64 samples × width 256 splits the batch across two workers.
    let d = Reference.data(samples: 64, features: 4, classes: 3, seed: 9)
    let m = try MLP(layerSizes: [4, 256, 3], activation: .tanh, data: d)
    let w = m.initialParameters(seed: 1)
    var rng = SeededGenerator(seed: 2)
    let v = rng.gaussianVector(count: m.parameterCount)
    let (l, g) = try m.lossAndGradient(at: w, samples: .all(64))
    let hv = try m.hessianVectorProduct(at: w, samples: .all(64), direction: v)
    let (l1, g1) = try m.lossAndGradient(at: w, samples: .range(0..<32))
    let hv1 = try m.hessianVectorProduct(at: w, samples: .range(0..<32), direction: v)
    let (l2, g2) = try m.lossAndGradient(at: w, samples: .range(32..<64))
    let hv2 = try m.hessianVectorProduct(at: w, samples: .range(32..<64), direction: v)
    #expect(abs(l - (l1 + l2) / 2) < 1e-6)
    #expect(
      Reference.relativeError(g.map(Double.init), zip(g1, g2).map { Double($0 + $1) / 2 }) < 1e-5)
    #expect(
      Reference.relativeError(hv.map(Double.init), zip(hv1, hv2).map { Double($0 + $1) / 2 }) < 1e-5
    )
    // Deterministic: the same call twice gives identical bits.
    #expect(try m.lossAndGradient(at: w, samples: .all(64)).gradient == g)
  }

  @Test func cacheFollowsParametersAndSamples() throws {
    let (m, w) = Self.model(.tanh, .crossEntropy)
    var rng = SeededGenerator(seed: 8)
    let v = rng.gaussianVector(count: m.parameterCount)
    let w2 = w.map { $0 * 0.5 }
    let s = SampleSet.all(Self.data.count)
    let a = try m.hessianVectorProduct(at: w, samples: s, direction: v)
    let b = try m.hessianVectorProduct(at: w2, samples: s, direction: v)
    let c = try m.hessianVectorProduct(at: w, samples: .range(0..<3), direction: v)
    let fresh = try MLP(layerSizes: Self.sizes, activation: .tanh, data: Self.data)
    #expect(try fresh.hessianVectorProduct(at: w2, samples: s, direction: v) == b)
    #expect(try fresh.hessianVectorProduct(at: w, samples: .range(0..<3), direction: v) == c)
    #expect(try m.hessianVectorProduct(at: w, samples: s, direction: v) == a)
    #expect(a != b)
  }

  /// A training loop alternates batch sizes (minibatch, Hessian batch, full set); the model
  /// refills the chunks kept for each size. Every result must equal a fresh model's, bit for
  /// bit, through more sizes than are kept, with two-chunk and one-chunk sets, block products
  /// (tangent buffers kept from a larger block) and gradients.
  @Test func reusedChunksGiveAFreshModelsResults() throws {
    let sizes = [3, 256, 3]
    let data = Reference.data(samples: 80, features: 3, classes: 3, seed: 12)
    let m = try MLP(layerSizes: sizes, activation: .gelu, data: data)
    var rng = SeededGenerator(seed: 13)
    let w = m.initialParameters(seed: 4).map { $0 * 1.5 }
    let p = m.parameterCount
    let v = rng.gaussianVector(count: 3 * p)
    func block(_ model: MLP, _ s: SampleSet, _ count: Int) throws -> [Float] {
      var out = [Float](repeating: 0, count: count * p)
      try w.withUnsafeBufferPointer { wp in
        try v.withUnsafeBufferPointer { vp in
          try out.withUnsafeMutableBufferPointer {
            try model.hessianVectorProducts(
              at: wp, samples: s, directions: UnsafeBufferPointer(rebasing: vp[0..<(count * p)]),
              count: count, into: $0)
          }
        }
      }
      return out
    }
    let sets: [SampleSet] = [
      .range(0..<64), .indices((0..<64).map { 79 - $0 }), .all(80), .range(0..<10),
      .range(5..<25), .range(0..<30), .indices((0..<64).map { ($0 * 7) % 80 }), .range(0..<10),
    ]
    for (i, s) in sets.enumerated() {
      let fresh = try MLP(layerSizes: sizes, activation: .gelu, data: data)
      let count = [3, 1, 2][i % 3]
      #expect(try block(m, s, count) == (try block(fresh, s, count)), "set \(i)")
      let fresh2 = try MLP(layerSizes: sizes, activation: .gelu, data: data)
      let (l, g) = try m.lossAndGradient(at: w, samples: s)
      let (l2, g2) = try fresh2.lossAndGradient(at: w, samples: s)
      #expect(l == l2 && g == g2, "set \(i)")
    }
  }

  /// G v through the pointer form. - Complexity: one Gauss–Newton product.
  static func gaussNewton(
    _ m: some DifferentiableObjective, _ w: [Float], _ s: SampleSet, _ v: [Float]
  ) throws -> [Float] {
    var out = [Float](repeating: 0, count: v.count)
    try w.withUnsafeBufferPointer { wp in
      try v.withUnsafeBufferPointer { vp in
        try out.withUnsafeMutableBufferPointer {
          try m.gaussNewtonVectorProduct(at: wp, samples: s, direction: vp, into: $0)
        }
      }
    }
    return out
  }

  @Test(arguments: [MLP.Activation.tanh, .gelu])
  func hvpAfterGradientOrGaussNewtonAtTheSamePoint(_ act: MLP.Activation) throws {
    // Gradients and Gauss–Newton products skip σ''; a Hessian product at the same cached point
    // must still see it (bit-identical to a fresh model's product).
    let (m, w) = Self.model(act, .crossEntropy)
    let s = SampleSet.all(Self.data.count)
    var rng = SeededGenerator(seed: 9)
    let v = rng.gaussianVector(count: m.parameterCount)
    let fresh = try MLP(layerSizes: Self.sizes, activation: act, data: Self.data)
    let expected = try fresh.hessianVectorProduct(at: w, samples: s, direction: v)
    _ = try m.lossAndGradient(at: w, samples: s)
    #expect(try m.hessianVectorProduct(at: w, samples: s, direction: v) == expected)
    let (m2, _) = Self.model(act, .crossEntropy)
    _ = try Self.gaussNewton(m2, w, s, v)
    #expect(try m2.hessianVectorProduct(at: w, samples: s, direction: v) == expected)
    _ = try m2.lossAndGradient(at: w, samples: s)
    #expect(try m2.hessianVectorProduct(at: w, samples: s, direction: v) == expected)
  }

  @Test func crossEntropyIsStableForHugeLogits() throws {
    // One layer, weights chosen so that the logits are exactly ±100.
    let d = try ClassificationData(
      inputs: [1, 0, 0, 1], labels: [1, 1], featureCount: 2, classCount: 2)
    let m = try MLP(layerSizes: [2, 2], activation: .tanh, data: d)
    let w: [Float] = [100, -100, -100, 100, 0, 0]
    let (loss, g) = try m.lossAndGradient(at: w, samples: .all(2))
    // Sample 0: logits (100, −100), label 1 → loss 200; sample 1: (−100, 100) → ~0.
    #expect(abs(loss - 100) < 1e-4)
    #expect(g.allSatisfy { $0.isFinite })
    let hv = try m.hessianVectorProduct(at: w, samples: .all(2), direction: [1, 1, 1, 1, 1, 1])
    #expect(hv.allSatisfy { $0.isFinite })
    #expect(try m.perSampleLosses(at: w, samples: .all(2)).allSatisfy { $0.isFinite })
  }

  @Test func parameterLayoutIsWeightRowMajorThenBias() throws {
    let d = try ClassificationData(inputs: [2, 3], labels: [0], featureCount: 2, classCount: 1)
    let m = try MLP(layerSizes: [2, 1], activation: .tanh, loss: .meanSquaredError, data: d)
    // z = 0.5·2 + 0.25·3 + 0.125 = 1.875; loss = (z − 1)².
    let loss = try m.loss(at: [0.5, 0.25, 0.125], samples: .all(1))
    #expect(abs(loss - 0.765625) < 1e-6)
    #expect(m.weightRange(layer: 0) == 0..<2 && m.biasRange(layer: 0) == 2..<3)
  }

  @Test func rejectsBadInput() throws {
    let (m, w) = Self.model(.tanh, .crossEntropy)
    #expect(throws: CurvatureError.self) { try m.loss(at: Array(w.dropLast()), samples: .all(6)) }
    #expect(throws: CurvatureError.self) { try m.loss(at: w, samples: .range(0..<7)) }
    #expect(throws: CurvatureError.self) { try m.logits(at: w.map { _ in .nan }, samples: .all(6)) }
    #expect(throws: CurvatureError.self) {
      try MLP(layerSizes: [4, 3], activation: .tanh, data: Self.data)
    }
    #expect(throws: CurvatureError.self) {
      try MLP(layerSizes: [3, 2], activation: .tanh, data: Self.data)
    }
    #expect(throws: CurvatureError.self) {
      try MLP(layerSizes: [3], activation: .tanh, data: Self.data)
    }
  }

  @Test func accuracyAndInitialisation() throws {
    let (m, _) = Self.model(.relu, .crossEntropy)
    let w = m.initialParameters(seed: 1)
    #expect(w == m.initialParameters(seed: 1))
    #expect(w != m.initialParameters(seed: 2))
    let bound = Float(1 / 3.0.squareRoot())
    #expect(w[m.weightRange(layer: 0)].allSatisfy { abs($0) <= bound })
    let acc = try m.accuracy(at: w, data: Self.data)
    #expect(acc >= 0 && acc <= 1)
  }
}
