import Curvature
import Testing

@testable import CurvatureModels

@Suite struct QuadraticModelTests {
  static let spectrum: [Double] = [10, 5, 2, 1, 0.5, -0.25]
  static let model = try! QuadraticModel(
    eigenvalues: spectrum, sampleCount: 7, curvatureSpread: 0.3, centerSpread: 0.5, seed: 9)

  @Test func fullBatchHessianHasTheChosenSpectrum() throws {
    let m = Self.model
    let h = try Reference.dense(6) { v in
      try m.hessianVectorProduct(
        at: [Float](repeating: 0.1, count: 6), samples: .all(7), direction: v)
    }
    let eig = try SymmetricEigensolver.decompose(h, order: 6)
    for (a, b) in zip(eig.values, Self.spectrum.sorted(by: >)) { #expect(abs(a - b) < 1e-5) }
    #expect(Reference.asymmetry(h, 6) < 1e-6)
    #expect(Reference.relativeError(try m.hessian(samples: .all(7)), h) < 1e-6)
  }

  @Test func meanLossIsTheQuadraticAndPerSampleLossesAverage() throws {
    let m = Self.model
    var rng = SeededGenerator(seed: 1)
    let w = rng.gaussianVector(count: 6)
    let a = try m.hessian(samples: .all(7))
    let b = m.linearTerm
    let wd = w.map(Double.init)
    let quad =
      0.5 * zip(wd, Reference.matvec(a, wd)).reduce(0) { $0 + $1.0 * $1.1 }
      - zip(b, wd).reduce(0) { $0 + $1.0 * $1.1 }
    let loss = try m.loss(at: w, samples: .all(7))
    #expect(abs(loss - quad) < 1e-9 * max(1, abs(quad)))
    let per = try m.perSampleLosses(at: w, samples: .all(7))
    #expect(abs(per.reduce(0, +) / 7 - loss) < 1e-12)
    // Gradient: A w − b, and against Double finite differences of the per-sample losses.
    let g = try m.lossAndGradient(at: w, samples: .indices([1, 4])).gradient
    let f = { (x: [Double]) -> Double in
      (try! m.perSampleLosses(at: x.map { Float($0) }, samples: .indices([1, 4]))).reduce(0, +) / 2
    }
    let fd = Reference.gradient(f, at: wd, h: 1e-2)
    #expect(Reference.relativeError(g.map(Double.init), fd) < 1e-3)
    let gAll = try m.lossAndGradient(at: w, samples: .all(7)).gradient
    let ref = zip(Reference.matvec(a, wd), b).map { $0 - $1 }
    #expect(Reference.relativeError(gAll.map(Double.init), ref) < 1e-6)
  }

  @Test func minimizerZeroesTheGradientAndSubsetsDiffer() throws {
    let m = Self.model
    let w = try #require(m.minimizer)
    let g = try m.lossAndGradient(at: w, samples: .all(7)).gradient
    #expect(Kernels.norm(g) < 1e-4)
    let hs = try m.hessian(samples: .range(0..<2))
    let ha = try m.hessian(samples: .all(7))
    #expect(Reference.relativeError(hs, ha) > 1e-2)
    #expect(throws: CurvatureError.self) { try QuadraticModel(eigenvalues: [], seed: 0) }
    #expect(throws: CurvatureError.self) { try QuadraticModel(eigenvalues: [1, .nan], seed: 0) }
  }
}
