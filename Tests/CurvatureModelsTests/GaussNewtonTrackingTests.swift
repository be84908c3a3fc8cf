import Testing

@testable import Curvature
@testable import CurvatureModels

/// ``CurvatureMatrix/gaussNewton``: the operator, a tracker following G, the fallback to the
/// Hessian, and error bars on G's eigenvalues.
@Suite struct GaussNewtonTrackingTests {
  static let data = Reference.data(samples: 12, features: 4, classes: 3, seed: 9)

  /// A small tanh MLP (P = 4·6 + 6 + 6·3 + 3 = 51) with large weights, so G and H differ.
  static func model() throws -> (MLP, [Float]) {
    let m = try MLP(layerSizes: [4, 6, 3], activation: .tanh, data: data)
    var w = m.initialParameters(seed: 5)
    for i in w.indices { w[i] *= 2 }
    return (m, w)
  }

  /// The MLP seen through closures without a Gauss–Newton product.
  static func closures(_ m: MLP) -> ClosureObjective {
    ClosureObjective(
      parameterCount: m.parameterCount, sampleCount: m.sampleCount,
      perSampleLosses: { w, idx in try m.perSampleLosses(at: w, samples: .indices(idx)) },
      gradient: { w, idx in try m.lossAndGradient(at: w, samples: .indices(idx)).gradient },
      hessianVectorProduct: { w, idx, v in
        try m.hessianVectorProduct(at: w, samples: .indices(idx), direction: v)
      })
  }

  /// The top `k` eigenvalues of a dense symmetric matrix, descending.
  static func top(_ a: [Double], order n: Int, _ k: Int) throws -> [Double] {
    Array(try SymmetricEigensolver.decompose(a, order: n).values.prefix(k))
  }

  @Test func operatorAppliesTheModelsProducts() throws {
    let (m, w) = try Self.model()
    let p = m.parameterCount
    let s = SampleSet.all(m.sampleCount)
    let op = try ObjectiveGaussNewton(objective: m, at: w, samples: s)
    var rng = SeededGenerator(seed: 2)
    let v = rng.gaussianVector(count: 3 * p)
    var block = [Float](repeating: 0, count: 3 * p)
    try v.withUnsafeBufferPointer { vp in
      try block.withUnsafeMutableBufferPointer { try op.apply(block: vp, count: 3, into: $0) }
    }
    for j in 0..<3 {
      let column = Array(v[(j * p)..<((j + 1) * p)])
      let single = try op.apply(column)
      let reference = try MLPTests.gaussNewton(m, w, s, column)
      for i in 0..<p {
        #expect(abs(single[i] - reference[i]) <= 1e-6 * max(1, abs(reference[i])))
        #expect(abs(block[j * p + i] - reference[i]) <= 1e-5 * max(1, abs(reference[i])))
      }
    }
    #expect(op.productCount == 6)
    // An objective without Gauss–Newton products is refused up front.
    #expect(!Self.closures(m).providesGaussNewtonProducts && m.providesGaussNewtonProducts)
    #expect(throws: CurvatureError.self) {
      _ = try ObjectiveGaussNewton(objective: Self.closures(m), at: w, samples: s)
    }
    #expect(throws: CurvatureError.self) {
      _ = try ObjectiveGaussNewton(objective: m, at: Array(w.dropLast()), samples: s)
    }
  }

  /// A tracker on the full batch finds the top eigenvalues of the dense G (not those of H).
  @Test func trackerFollowsTheGaussNewtonMatrix() throws {
    let (m, w) = try Self.model()
    let p = m.parameterCount
    let s = SampleSet.all(m.sampleCount)
    let g = try Reference.dense(p) { try MLPTests.gaussNewton(m, w, s, $0) }
    let h = try Reference.dense(p) { try m.hessianVectorProduct(at: w, samples: s, direction: $0) }
    let gTop = try Self.top(g, order: p, 3)
    let hTop = try Self.top(h, order: p, 3)
    for matrix in CurvatureMatrix.allCases {
      let tracker = try DominantSubspaceTracker(
        objective: m,
        configuration: .init(
          k: 3, hessianBatch: .full, refresh: .every(1),
          lanczos: LanczosConfiguration(tolerance: 1e-6, maxProducts: 500), seed: 4,
          curvature: matrix))
      #expect(tracker.curvature == matrix)
      let report = try tracker.refresh(parameters: w)
      let expected = matrix == .gaussNewton ? gTop : hTop
      for i in 0..<3 {
        #expect(
          abs(report.eigenvalues[i] - expected[i]) <= 1e-4 * abs(expected[0]),
          "\(matrix) λ\(i + 1): \(report.eigenvalues[i]) vs \(expected[i])")
      }
    }
    // G and H differ here by far more than the tolerance above.
    #expect(zip(gTop, hTop).map { abs($0 - $1) }.max()! > 5e-3 * abs(hTop[0]))
  }

  /// Without Gauss–Newton products the recommended settings follow the Hessian: the same
  /// refresh, bit for bit, as asking for the Hessian.
  @Test func fallsBackToTheHessianWithoutGaussNewtonProducts() throws {
    let (m, w) = try Self.model()
    let objective = Self.closures(m)
    var configuration = DominantSubspaceTracker.Configuration.recommended(
      sampleCount: m.sampleCount, k: 3, seed: 4)
    #expect(configuration.curvature == .gaussNewton)
    #expect(DominantSubspaceTracker.Configuration(k: 3).curvature == .hessian)
    let fallback = try DominantSubspaceTracker(objective: objective, configuration: configuration)
    #expect(fallback.curvature == .hessian)
    configuration.curvature = .hessian
    let hessian = try DominantSubspaceTracker(objective: objective, configuration: configuration)
    let batch = SampleSet.indices([0, 2, 3, 5, 7, 11])
    let a = try fallback.refresh(parameters: w, minibatch: batch)
    let b = try hessian.refresh(parameters: w, minibatch: batch)
    #expect(a.eigenvalues == b.eigenvalues)
    #expect(fallback.basis == hessian.basis)
    // With the model itself the recommended settings follow G.
    configuration.curvature = .gaussNewton
    #expect(
      try DominantSubspaceTracker(objective: m, configuration: configuration).curvature
        == .gaussNewton)
  }

  /// Error bars measure the matrix the eigenpairs came from; an objective without
  /// Gauss–Newton products is refused for G.
  @Test func errorBarsUseTheSameMatrix() throws {
    let (m, w) = try Self.model()
    let p = m.parameterCount
    let batch = SampleSet.indices(Array(0..<8))
    let g = try Reference.dense(p) { try MLPTests.gaussNewton(m, w, batch, $0) }
    let gTop = try Self.top(g, order: p, 2)
    let op = try ObjectiveGaussNewton(objective: m, at: w, samples: batch)
    let pairs = try Lanczos(configuration: LanczosConfiguration(tolerance: 1e-6, maxProducts: 300))
      .eigenpairs(of: op, count: 2)
    let jackknife = try BatchJackknife(
      objective: m, at: w, samples: batch, configuration: .init(groups: 4, seed: 1),
      matrix: .gaussNewton)
    #expect(jackknife.matrix == .gaussNewton)
    let u = try jackknife.eigenvalues(of: pairs)
    for i in 0..<2 {
      // The batch estimate is the Rayleigh quotient of G on the batch.
      #expect(abs(u.eigenvalues[i].raw - gTop[i]) <= 1e-3 * abs(gTop[0]), "λ\(i + 1)")
      #expect(u.eigenvalues[i].lower <= u.eigenvalues[i].upper)
    }
    #expect(throws: CurvatureError.self) {
      _ = try BatchJackknife(
        objective: Self.closures(m), at: w, samples: batch, matrix: .gaussNewton)
    }
  }
}
