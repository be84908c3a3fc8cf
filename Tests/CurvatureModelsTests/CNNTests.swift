import Curvature
import Foundation
import Testing

@testable import CurvatureModels

@Suite struct CNNTests {
  /// 2×5×6 images (odd height: floor pooling drops a row) → 3×2×3 → 2×1×1 → 3 logits.
  static let shape = ImageShape(channels: 2, height: 5, width: 6)
  static let channels = [3, 2]
  static let data = Reference.data(samples: 5, features: 60, classes: 3, seed: 21)

  static func model(_ a: CNN.Activation) -> (CNN, [Float], CNNReference) {
    let m = try! CNN(
      channels: channels, classCount: 3, activation: a, imageShape: shape, data: data)
    var w = m.initialParameters(seed: 4)
    for i in w.indices { w[i] *= 2 }  // larger weights: stronger nonlinearity
    return (m, w, CNNReference(shape: shape, channels: channels, classes: 3, activation: a))
  }

  /// A smaller net for the dense Hessian checks: 1×4×5 → 2×2×2 → 2×1×1 → 3 (P = 67).
  static let smallShape = ImageShape(channels: 1, height: 4, width: 5)
  static let smallData = Reference.data(samples: 4, features: 20, classes: 3, seed: 22)

  static func small(_ a: CNN.Activation) -> (CNN, [Float], CNNReference) {
    let m = try! CNN(
      channels: [2, 2], classCount: 3, activation: a, imageShape: smallShape, data: smallData)
    var w = m.initialParameters(seed: 6)
    for i in w.indices { w[i] *= 2 }
    return (m, w, CNNReference(shape: smallShape, channels: [2, 2], classes: 3, activation: a))
  }

  @Test func layoutAndShapes() throws {
    let (m, _, _) = Self.model(.relu)
    #expect(
      m.featureMapShapes == [
        Self.shape, .init(channels: 3, height: 2, width: 3),
        .init(channels: 2, height: 1, width: 1),
      ])
    #expect(m.weightRange(layer: 0) == 0..<54 && m.biasRange(layer: 0) == 54..<57)
    #expect(m.weightRange(layer: 1) == 57..<111 && m.biasRange(layer: 1) == 111..<113)
    #expect(m.weightRange(layer: 2) == 113..<119 && m.biasRange(layer: 2) == 119..<122)
    #expect(m.parameterCount == 122 && m.featureCount == 2)
  }

  @Test(arguments: CNN.Activation.allCases) func lossAndPerSampleLossesMatchReference(
    _ a: CNN.Activation
  ) throws {
    let (m, w, ref) = Self.model(a)
    let wd = w.map(Double.init)
    let s = [4, 1, 1, 3]
    let per = try m.perSampleLosses(at: w, samples: .indices(s))
    for (k, i) in s.enumerated() {
      let r = ref.sampleLoss(wd, Self.data, i)
      #expect(abs(per[k] - r) < 2e-6 * max(1, abs(r)), "sample \(i): \(per[k]) vs \(r)")
    }
    let mean = try m.loss(at: w, samples: .indices(s))
    #expect(abs(per.reduce(0, +) / 4 - mean) < 1e-12)
    let z = try m.logits(at: w, samples: .all(5))
    for i in 0..<5 {
      let r = ref.logits(wd, image: ref.image(Self.data, i))
      for k in 0..<3 { #expect(abs(Double(z[i * 3 + k]) - r[k]) < 1e-5 * max(1, abs(r[k]))) }
    }
  }

  @Test(arguments: CNN.Activation.allCases) func gradientMatchesDoubleFiniteDifferences(
    _ a: CNN.Activation
  ) throws {
    let (m, w, ref) = Self.model(a)
    let all = Array(0..<Self.data.count)
    let f = { (x: [Double]) in ref.meanLoss(x, Self.data, all) }
    let wd = w.map(Double.init)
    let (loss, g) = try m.lossAndGradient(at: w, samples: .all(Self.data.count))
    #expect(abs(loss - f(wd)) < 1e-6 * max(1, abs(f(wd))))
    let err = Reference.relativeError(g.map(Double.init), Reference.gradient(f, at: wd))
    #expect(err < 1e-5, "relative gradient error \(err)")
  }

  @Test(arguments: CNN.Activation.allCases) func hessianMatchesDoubleSecondDifferences(
    _ a: CNN.Activation
  ) throws {
    let (m, w, ref) = Self.small(a)
    let samples = [0, 2, 3]
    let hRef = Reference.hessian(
      { ref.meanLoss($0, Self.smallData, samples) }, at: w.map(Double.init))
    let p = m.parameterCount
    let h = try Reference.dense(p) {
      try m.hessianVectorProduct(at: w, samples: .indices(samples), direction: $0)
    }
    let err = Reference.relativeError(h, hRef)
    #expect(err < 2e-5, "relative Hessian error \(err)")
    #expect(Reference.asymmetry(h, p) < 1e-5)
  }

  /// vᵀ H v against the second difference of the Double reference along v. The loss is only
  /// piecewise smooth (a pooling window's maximum can switch), so the step is small: at 1e-3 along
  /// this v a switch is crossed and the difference is off by 100×; at 1e-4 it is not.
  @Test(arguments: CNN.Activation.allCases) func curvatureAlongDirectionMatchesSecondDifference(
    _ a: CNN.Activation
  ) throws {
    let (m, w, ref) = Self.model(a)
    var rng = SeededGenerator(seed: 11)
    let v = rng.gaussianVector(count: m.parameterCount)
    let hv = try m.hessianVectorProduct(at: w, samples: .all(5), direction: v)
    let vhv = zip(v, hv).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    let f = { (t: Double) in
      ref.meanLoss(zip(w, v).map { Double($0) + t * Double($1) }, Self.data, Array(0..<5))
    }
    let h = 1e-4
    let fd = (f(h) - 2 * f(0) + f(-h)) / (h * h)
    #expect(abs(vhv - fd) < 1e-4 * max(1, abs(fd)), "vᵀHv = \(vhv), second difference \(fd)")
  }

  @Test(arguments: CNN.Activation.allCases) func gaussNewtonMatchesJacobianFormula(
    _ a: CNN.Activation
  ) throws {
    let (m, w, ref) = Self.small(a)
    let p = m.parameterCount
    let n = Self.smallData.count
    let g = try Reference.dense(p) { try MLPTests.gaussNewton(m, w, .all(n), $0) }
    // Reference: Σ_i J_iᵀ ∇²ℓ_i J_i / N with J by central differences in Double.
    let wd = w.map(Double.init)
    let C = 3
    var dense = [Double](repeating: 0, count: p * p)
    for i in 0..<n {
      let image = ref.image(Self.smallData, i)
      var jac = [Double](repeating: 0, count: C * p)
      for k in 0..<p {
        var x = wd
        x[k] += 1e-6
        let zp = ref.logits(x, image: image)
        x[k] -= 2e-6
        let zm = ref.logits(x, image: image)
        for o in 0..<C { jac[o * p + k] = (zp[o] - zm[o]) / 2e-6 }
      }
      let z = ref.logits(wd, image: image)
      let e = z.map { Foundation.exp($0 - z.max()!) }
      let pr = e.map { $0 / e.reduce(0, +) }
      for r in 0..<p {
        for q in 0..<p {
          var t = 0.0
          for o1 in 0..<C {
            for o2 in 0..<C {
              t += jac[o1 * p + r] * ((o1 == o2 ? pr[o1] : 0) - pr[o1] * pr[o2]) * jac[o2 * p + q]
            }
          }
          dense[r * p + q] += t / Double(n)
        }
      }
    }
    let err = Reference.relativeError(g, dense)
    #expect(err < 1e-5, "relative Gauss–Newton error \(err)")
    #expect(Reference.asymmetry(g, p) < 1e-5)
    let eig = try SymmetricEigensolver.decompose(g, order: p)
    #expect(eig.values.min()! > -1e-5 * eig.values.max()!)
    // The Hessian differs (curvature of the hidden layers).
    let h = try Reference.dense(p) {
      try m.hessianVectorProduct(at: w, samples: .all(n), direction: $0)
    }
    #expect(Reference.relativeError(g, h) > 1e-2)
  }

  /// H V (and G V) for a block of directions, against one product at a time.
  @Test(arguments: CNN.Activation.allCases) func blockProductsEqualSingleProducts(
    _ a: CNN.Activation
  ) throws {
    let (m, w, _) = Self.model(a)
    let p = m.parameterCount
    let b = 3
    var rng = SeededGenerator(seed: 5)
    let v = rng.gaussianVector(count: p * b)
    let s = SampleSet.range(1..<5)
    var block = [Float](repeating: 0, count: p * b)
    var ggnBlock = [Float](repeating: 0, count: p * b)
    try w.withUnsafeBufferPointer { wp in
      try v.withUnsafeBufferPointer { vp in
        try block.withUnsafeMutableBufferPointer {
          try m.hessianVectorProducts(at: wp, samples: s, directions: vp, count: b, into: $0)
        }
        try ggnBlock.withUnsafeMutableBufferPointer {
          try m.gaussNewtonVectorProducts(at: wp, samples: s, directions: vp, count: b, into: $0)
        }
      }
    }
    for j in 0..<b {
      let vj = Array(v[(j * p)..<((j + 1) * p)])
      let fresh = try m.withData(Self.data)
      #expect(
        Array(block[(j * p)..<((j + 1) * p)])
          == (try fresh.hessianVectorProduct(at: w, samples: s, direction: vj)))
      #expect(
        Array(ggnBlock[(j * p)..<((j + 1) * p)]) == (try MLPTests.gaussNewton(fresh, w, s, vj)))
    }
  }

  /// vᵀ H u = uᵀ H v on a batch large enough to run on two cores.
  @Test(arguments: CNN.Activation.allCases) func hessianIsSymmetricOnTwoChunks(
    _ a: CNN.Activation
  ) throws {
    let shape = ImageShape(channels: 1, height: 8, width: 8)
    let d = Reference.data(samples: 80, features: 64, classes: 4, seed: 30)
    let m = try CNN(channels: [8, 8], classCount: 4, activation: a, imageShape: shape, data: d)
    let w = m.initialParameters(seed: 2).map { $0 * 2 }
    var rng = SeededGenerator(seed: 3)
    let u = rng.gaussianVector(count: m.parameterCount)
    let v = rng.gaussianVector(count: m.parameterCount)
    let s = SampleSet.all(80)
    let hu = try m.hessianVectorProduct(at: w, samples: s, direction: u)
    let hv = try m.hessianVectorProduct(at: w, samples: s, direction: v)
    #expect(m.chunks.count == 2)
    func dot(_ a: [Float], _ b: [Float]) -> Double {
      zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    let (vhu, uhv) = (dot(v, hu), dot(u, hv))
    let scale = (dot(hu, hu) * dot(v, v)).squareRoot()
    #expect(abs(vhu - uhv) < 1e-5 * scale, "vᵀHu = \(vhu), uᵀHv = \(uhv)")
    // The two-chunk split equals the mean of the halves, and is deterministic.
    let (l, g) = try m.lossAndGradient(at: w, samples: s)
    let h1 = try m.hessianVectorProduct(at: w, samples: .range(0..<40), direction: u)
    let (l1, g1) = try m.lossAndGradient(at: w, samples: .range(0..<40))
    let h2 = try m.hessianVectorProduct(at: w, samples: .range(40..<80), direction: u)
    let (l2, g2) = try m.lossAndGradient(at: w, samples: .range(40..<80))
    #expect(abs(l - (l1 + l2) / 2) < 1e-6)
    #expect(
      Reference.relativeError(g.map(Double.init), zip(g1, g2).map { Double($0 + $1) / 2 }) < 1e-5)
    #expect(
      Reference.relativeError(hu.map(Double.init), zip(h1, h2).map { Double($0 + $1) / 2 }) < 1e-5)
    #expect(try m.hessianVectorProduct(at: w, samples: s, direction: u) == hu)
  }

  /// Reused workspaces and the forward cache give a fresh model's results, bit for bit, when
  /// gradients, Hessian and Gauss–Newton products at several batch sizes interleave.
  @Test(arguments: CNN.Activation.allCases) func cachedAndReusedStateGivesFreshResults(
    _ a: CNN.Activation
  ) throws {
    let (m, w, _) = Self.model(a)
    var rng = SeededGenerator(seed: 9)
    let v = rng.gaussianVector(count: m.parameterCount)
    let sets: [SampleSet] = [.all(5), .range(0..<2), .indices([4, 0, 3]), .all(5), .range(1..<4)]
    for (i, s) in sets.enumerated() {
      let fresh = { try m.withData(Self.data) }
      let wi = i % 2 == 0 ? w : w.map { $0 * 0.5 }
      let (l, g) = try m.lossAndGradient(at: wi, samples: s)
      let (l2, g2) = try fresh().lossAndGradient(at: wi, samples: s)
      #expect(l == l2 && g == g2, "set \(i)")
      #expect(
        try MLPTests.gaussNewton(m, wi, s, v) == (try MLPTests.gaussNewton(fresh(), wi, s, v)))
      #expect(
        try m.hessianVectorProduct(at: wi, samples: s, direction: v)
          == (try fresh().hessianVectorProduct(at: wi, samples: s, direction: v)), "set \(i)")
    }
  }

  @Test func rejectsBadInput() throws {
    let d = Self.data
    func make(_ c: [Int], _ k: Int, _ s: ImageShape) throws -> CNN {
      try CNN(channels: c, classCount: k, imageShape: s, data: d)
    }
    func message(_ body: () throws -> Any) -> String {
      do {
        _ = try body()
        return ""
      } catch { return "\(error)" }
    }
    let wrong = message { try make([3], 3, .init(channels: 1, height: 8, width: 8)) }
    #expect(wrong.contains("64") && wrong.contains("60"), "\(wrong)")
    #expect(message { try make([], 3, Self.shape) }.contains("channels"))
    #expect(message { try make([3, 0], 3, Self.shape) }.contains("channels"))
    #expect(message { try make([3], 2, Self.shape) }.contains("classCount"))
    let deep = message { try make([3, 3, 3], 3, Self.shape) }
    #expect(deep.contains("block 3") && deep.contains("1×1"), "\(deep)")
    #expect(message { try make([3], 3, .init(channels: 0, height: 6, width: 10)) } != "")
    let (m, w, _) = Self.model(.relu)
    #expect(throws: CurvatureError.self) { try m.loss(at: Array(w.dropLast()), samples: .all(5)) }
    #expect(throws: CurvatureError.self) { try m.loss(at: w, samples: .range(0..<6)) }
    #expect(throws: CurvatureError.self) { try m.logits(at: w.map { _ in .nan }, samples: .all(5)) }
    #expect(throws: CurvatureError.self) {
      try m.hessianVectorProduct(at: w, samples: .all(5), direction: Array(w.dropLast()))
    }
    #expect(throws: CurvatureError.self) {
      try m.accuracy(at: w, data: Reference.data(samples: 3, features: 64, classes: 3, seed: 1))
    }
  }

  @Test func initialisationIsSeededAndFanInBounded() throws {
    let (m, _, _) = Self.model(.relu)
    let w = m.initialParameters(seed: 1)
    #expect(w == m.initialParameters(seed: 1) && w != m.initialParameters(seed: 2))
    let bounds = [18.0, 27, 2].map { Float(1 / $0.squareRoot()) }
    for l in 0..<3 {
      let r = m.weightRange(layer: l).lowerBound..<m.biasRange(layer: l).upperBound
      #expect(w[r].allSatisfy { abs($0) <= bounds[l] })
      #expect(w[r].contains { abs($0) > bounds[l] / 2 })
    }
    let acc = try m.accuracy(at: w, data: Self.data)
    #expect(acc >= 0 && acc <= 1)
  }
}
