import Testing

@testable import Curvature

/// A loss whose per-sample Hessians are known: sample i has ℓ_i(w) = ½ wᵀ H_i w with
/// H_i = diag(d_i) + b_i (e₁e₂ᵀ + e₂e₁ᵀ), so H_B is the batch mean of those matrices.
final class KnownHessians: DifferentiableObjective {
  let diagonals: [[Double]]
  let couplings: [Double]
  let parameterCount: Int
  var sampleCount: Int { diagonals.count }

  init(diagonals: [[Double]], couplings: [Double]) {
    self.diagonals = diagonals
    self.couplings = couplings
    self.parameterCount = diagonals[0].count
  }

  func mean(_ samples: SampleSet) -> (d: [Double], b: Double) {
    var d = [Double](repeating: 0, count: parameterCount)
    var b = 0.0
    for i in samples.indexArray {
      for j in 0..<parameterCount { d[j] += diagonals[i][j] }
      b += couplings[i]
    }
    let n = Double(samples.count)
    return (d.map { $0 / n }, b / n)
  }

  func apply(_ samples: SampleSet, _ v: UnsafeBufferPointer<Float>) -> [Double] {
    let (d, b) = mean(samples)
    var out = (0..<parameterCount).map { d[$0] * Double(v[$0]) }
    out[0] += b * Double(v[1])
    out[1] += b * Double(v[0])
    return out
  }

  func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    let hw = apply(samples, w)
    return 0.5 * (0..<parameterCount).reduce(0) { $0 + Double(w[$1]) * hw[$1] }
  }

  func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    let hw = apply(samples, w)
    for j in 0..<parameterCount { gradient[j] = Float(hw[j]) }
    return try loss(at: w, samples: samples)
  }

  func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    let hv = apply(samples, v)
    for j in 0..<parameterCount { out[j] = Float(hv[j]) }
  }

  func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    for (r, i) in samples.indexArray.enumerated() {
      losses[r] = try loss(at: w, samples: .indices([i]))
    }
  }
}

@Suite struct BatchJackknifeTests {
  /// Eigenpairs of the batch Hessian by a dense decomposition (the independent reference).
  func densePairs(_ model: KnownHessians, _ samples: SampleSet, k: Int) throws -> EigenResult {
    let p = model.parameterCount
    let (d, b) = model.mean(samples)
    var a = [Double](repeating: 0, count: p * p)
    for j in 0..<p { a[j * p + j] = d[j] }
    a[1] = b
    a[p] = b
    let dec = try SymmetricEigensolver.decompose(a, order: p)
    let columns = (0..<k).map { dec.vector($0).map { Float($0) } }
    return EigenResult(
      eigenvalues: Array(dec.values.prefix(k)),
      vectors: try Basis(orthonormalizing: columns, dimension: p),
      residuals: [Double](repeating: 0, count: k), converged: [Bool](repeating: true, count: k),
      productCount: 0, iterations: 0, tolerance: 0)
  }

  /// Diagonal per-sample Hessians: λ_j(H_B) is the batch mean of one coordinate, a linear
  /// statistic, so the jackknife must reduce to the textbook batch-means standard error with
  /// the finite-population correction, and no bias.
  @Test func linearStatisticGivesBatchMeansError() throws {
    var rng = SeededGenerator(seed: 4)
    let population = 300
    let diagonals = (0..<population).map { _ in
      [10 + 2 * rng.nextGaussian(), 5 + rng.nextGaussian(), 0.1 * rng.nextGaussian(), 0.05]
    }
    let model = KnownHessians(
      diagonals: diagonals, couplings: [Double](repeating: 0, count: population))
    let batch = try HessianBatch.subset(count: 96, seed: 2).fixedSamples(sampleCount: population)!
    let pairs = try densePairs(model, batch, k: 2)
    let jk = try BatchJackknife(
      objective: model, at: [Float](repeating: 0, count: 4), samples: batch,
      configuration: .init(groups: 12, confidence: 0.9, seed: 5))
    let u = try jk.eigenvalues(of: pairs)
    #expect(jk.groups.count == 12)
    #expect(Set(jk.groups.flatMap { $0.indexArray }) == Set(batch.indexArray))
    #expect(u.productCount == 24)
    let fpc = 1 - 96.0 / 300
    for j in 0..<2 {
      let means = jk.groups.map { g in g.indexArray.reduce(0) { $0 + diagonals[$1][j] } / 8 }
      let m = means.reduce(0, +) / 12
      let ss = means.reduce(0) { $0 + ($1 - m) * ($1 - m) }
      let expected = (fpc * ss / (12 * 11)).squareRoot()
      let v = u.eigenvalues[j]
      #expect(abs(v.samplingStandardError - expected) <= 1e-4 * expected)
      #expect(abs(v.bias) <= 1e-4 * expected)
      let t = StudentT.quantile(0.95, degreesOfFreedom: 11)
      #expect(abs(v.upper - v.lower - 2 * t * expected) <= 1e-3 * expected)
    }
    #expect(u.expectedOverlapWithAllSamples > 0.999999)
  }

  /// H_i = diag(a, 0) + b_i (e₁e₂ᵀ + e₂e₁ᵀ) with mean-zero b_i: the population λ₁ is a, and a
  /// batch gives a/2 + √(a²/4 + b̄²) > a, biased upwards by about E[b̄²]/a. The jackknife must
  /// find that bias and its correction must remove most of it.
  @Test func upwardBiasOfSubsampledTopEigenvalueIsEstimated() throws {
    var rng = SeededGenerator(seed: 8)
    let population = 400
    var b = (0..<population).map { _ in rng.nextGaussian() }
    let mean = b.reduce(0, +) / Double(population)
    b = b.map { $0 - mean }
    let model = KnownHessians(
      diagonals: [[Double]](repeating: [1, 0], count: population), couplings: b)
    var rawError = 0.0
    var correctedError = 0.0
    var estimatedBias = 0.0
    var trueBias = 0.0
    var covered = 0
    let trials = 60
    for trial in 0..<trials {
      let batch = try HessianBatch.subset(count: 16, seed: UInt64(trial + 1))
        .fixedSamples(sampleCount: population)!
      let pairs = try densePairs(model, batch, k: 1)
      let u = try BatchJackknife(
        objective: model, at: [0, 0], samples: batch, configuration: .init(groups: 8, seed: 3)
      ).eigenvalues(of: pairs)
      let v = u.eigenvalues[0]
      rawError += (v.raw - 1) / Double(trials)
      correctedError += (v.estimate - 1) / Double(trials)
      estimatedBias += v.bias / Double(trials)
      let bBar = model.mean(batch).b
      trueBias += (0.5 + (0.25 + bBar * bBar).squareRoot() - 1) / Double(trials)
      if v.contains(1) { covered += 1 }
    }
    #expect(rawError > 0.04)
    #expect(abs(correctedError) < 0.3 * rawError, "raw \(rawError), corrected \(correctedError)")
    #expect(abs(estimatedBias - trueBias) < 0.3 * trueBias, "\(estimatedBias) vs \(trueBias)")
    #expect(covered >= trials * 9 / 10)
  }

  @Test func wholePopulationHasNoSamplingErrorAndCostsNothing() throws {
    let model = KnownHessians(
      diagonals: (0..<20).map { [Double($0), 1, 0] }, couplings: [Double](repeating: 0, count: 20))
    let all = SampleSet.all(20)
    let u = try BatchJackknife(objective: model, at: [0, 0, 0], samples: all)
      .eigenvalues(of: try densePairs(model, all, k: 2), gradient: true)
    #expect(u.productCount == 0)
    #expect(u.eigenvalues.allSatisfy { $0.samplingStandardError == 0 && $0.lower == $0.upper })
    #expect(u.expectedOverlapBetweenEstimates == 1)
    let m = try BatchJackknife(objective: model, at: [0, 0, 0], samples: all).spectralMoments(
      probes: 4)
    #expect(abs(m.trace.estimate - 10.5) < 1e-9 && m.trace.samplingStandardError == 0)
    #expect(m.trace.probeStandardError == 0)  // diagonal H: zᵀHz = tr H for every ±1 probe
  }

  /// Trace and second moment: the jackknife of a mean of per-sample traces, with the probes
  /// of a diagonal Hessian exact, equals the batch-means error of the per-sample traces.
  @Test func traceSamplingErrorIsBatchMeansError() throws {
    var rng = SeededGenerator(seed: 11)
    let diagonals = (0..<200).map { _ in (0..<5).map { _ in 1 + rng.nextUniform() } }
    let model = KnownHessians(diagonals: diagonals, couplings: [Double](repeating: 0, count: 200))
    let batch = try HessianBatch.subset(count: 64, seed: 9).fixedSamples(sampleCount: 200)!
    let jk = try BatchJackknife(
      objective: model, at: [Float](repeating: 0, count: 5), samples: batch,
      configuration: .init(groups: 8))
    let m = try jk.spectralMoments(probes: 3, seed: 1)
    let traces = jk.groups.map { g in
      g.indexArray.reduce(0) { $0 + diagonals[$1].reduce(0, +) } / Double(g.count)
    }
    let mean = traces.reduce(0, +) / 8
    let ss = traces.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    let expected = ((1 - 64.0 / 200) * ss / 56).squareRoot()
    #expect(abs(m.trace.estimate - mean) < 1e-5 * mean)
    #expect(abs(m.trace.samplingStandardError - expected) < 1e-4 * expected)
    #expect(abs(m.meanEigenvalue.estimate - mean / 5) < 1e-5)
    #expect(m.productCount == 24)
    // Second moment: tr(H_B²)/P for the diagonal batch Hessian (‖H z‖² is exact for ±1 z).
    let (d, _) = model.mean(batch)
    let second = d.reduce(0) { $0 + $1 * $1 } / 5
    #expect(abs(m.secondMoment.raw - second) < 1e-5 * second)
  }

  @Test func badSettingsThrow() throws {
    let model = KnownHessians(
      diagonals: [[Double]](repeating: [1, 0], count: 10),
      couplings: [Double](repeating: 0, count: 10))
    for cfg in [
      SamplingUncertaintyConfiguration(groups: 1), .init(confidence: 1), .init(confidence: 0),
      .init(bulkLevel: .nan),
    ] {
      #expect(throws: CurvatureError.self) {
        _ = try BatchJackknife(objective: model, at: [0, 0], samples: .all(4), configuration: cfg)
      }
    }
    #expect(throws: CurvatureError.self) {
      _ = try BatchJackknife(objective: model, at: [0, 0], samples: .all(1))
    }
    #expect(throws: CurvatureError.self) {
      _ = try BatchJackknife(objective: model, at: [0, 0], samples: .all(4), populationCount: 3)
    }
  }

  /// Δ₂ curves: sampling and probe errors separated from per-order values.
  @Test func stabilizationCurveSeparatesSamplingFromProbeError() throws {
    let curve = StabilizationCurve(
      method: .direct, sigma: 1e-3, subspaceDimension: 2, sampleCounts: [4, 8],
      mean: [2, 1], standardError: [0, 0], perOrder: [[1, 1], [2, 1], [3, 1]],
      monteCarloStandardError: [[0.5, 0.1], [0.5, 0.1], [0.5, 0.1]], productCount: 0,
      sampleLossCount: 0)
    let u = try #require(try curve.uncertainty(confidence: 0.95))
    // Point 0: s² = 1, mc² = 0.25 → sampling √(0.75/3), probe √(0.25/3).
    #expect(abs(u[0].samplingStandardError - (0.75 / 3).squareRoot()) < 1e-12)
    #expect(abs(u[0].probeStandardError - (0.25 / 3).squareRoot()) < 1e-12)
    #expect(u[0].degreesOfFreedom == 2)
    // Point 1: no spread across orders → all of it is probe error.
    #expect(u[1].samplingStandardError == 0)
    #expect(abs(u[1].probeStandardError - (0.01 / 3).squareRoot()) < 1e-12)
    let single = StabilizationCurve(
      method: .direct, sigma: 1e-3, subspaceDimension: 2, sampleCounts: [4],
      mean: [2], standardError: [0], perOrder: [[1]], monteCarloStandardError: [[0.5]],
      productCount: 0, sampleLossCount: 0)
    #expect(try single.uncertainty() == nil)
  }
}
