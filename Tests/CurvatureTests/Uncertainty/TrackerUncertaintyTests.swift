import Testing

@testable import Curvature

/// Refresh reports carry the eigenvalues' error bars when the tracker is configured for them.
@Suite struct TrackerUncertaintyTests {
  func model() -> KnownHessians {
    var rng = SeededGenerator(seed: 3)
    let n = 120
    return KnownHessians(
      diagonals: (0..<n).map { _ in
        [8 + rng.nextGaussian(), 4 + rng.nextGaussian(), 1 + 0.2 * rng.nextGaussian(), 0.1]
      },
      couplings: (0..<n).map { _ in 0.5 * rng.nextGaussian() })
  }

  @Test func refreshReportsMatchTheLibrary() throws {
    let objective = model()
    let settings = SamplingUncertaintyConfiguration(groups: 8, confidence: 0.9, seed: 2)
    let tracker = try DominantSubspaceTracker(
      objective: objective,
      configuration: .init(
        k: 2, hessianBatch: .subset(count: 40, seed: 5), refresh: .every(1),
        lanczos: LanczosConfiguration(tolerance: 1e-6, maxProducts: 500), uncertainty: settings))
    let w: [Float] = [0.1, 0.2, 0.3, 0.4]
    let report = try tracker.refresh(parameters: w)
    let u = try #require(report.eigenvalueUncertainty)
    #expect(u.sampleCount == 40 && u.populationCount == 120 && u.groups == 8)
    #expect(u.productCount == 16)
    let samples = try #require(tracker.fixedBatch)
    let result = EigenResult(
      eigenvalues: report.eigenvalues, vectors: try #require(tracker.basis),
      residuals: report.residuals, converged: report.converged, productCount: 0, iterations: 0,
      tolerance: 1e-6)
    let direct = try BatchJackknife(
      objective: objective, at: w, samples: samples, configuration: settings
    ).eigenvalues(of: result)
    #expect(u == direct)
    #expect(u.eigenvalues.allSatisfy { $0.samplingStandardError > 0 && $0.confidence == 0.9 })
    // The interval holds the refresh's own eigenvalue; the all-samples one lies within four
    // standard errors (a single seeded batch: calibration is tested on many).
    let all = try densePairsTop(objective)
    for j in 0..<2 {
      #expect(u.eigenvalues[j].contains(report.eigenvalues[j]))
      let v = u.eigenvalues[j]
      #expect(
        abs(all[j] - v.estimate) <= 4 * v.samplingStandardError, "λ\(j + 1): \(v) vs \(all[j])")
    }
  }

  @Test func fullBatchAndDefaultCostNothing() throws {
    let objective = model()
    let full = try DominantSubspaceTracker(
      objective: objective,
      configuration: .init(k: 2, hessianBatch: .full, refresh: .every(1), uncertainty: .init()))
    let u = try #require(try full.refresh(parameters: [0, 0, 0, 0]).eigenvalueUncertainty)
    #expect(u.productCount == 0 && u.eigenvalues.allSatisfy { $0.samplingStandardError == 0 })
    let plain = try DominantSubspaceTracker(
      objective: objective,
      configuration: .init(k: 2, hessianBatch: .subset(count: 40, seed: 1), refresh: .every(1)))
    #expect(try plain.refresh(parameters: [0, 0, 0, 0]).eigenvalueUncertainty == nil)
    #expect(throws: CurvatureError.self) {
      _ = try DominantSubspaceTracker(
        objective: objective,
        configuration: .init(
          k: 2, hessianBatch: .full, refresh: .every(1), uncertainty: .init(confidence: 2)))
    }
  }

  func densePairsTop(_ m: KnownHessians) throws -> [Double] {
    let (d, b) = m.mean(.all(m.sampleCount))
    var a = [Double](repeating: 0, count: 16)
    for j in 0..<4 { a[j * 4 + j] = d[j] }
    a[1] = b
    a[4] = b
    return try SymmetricEigensolver.decompose(a, order: 4).values
  }
}
