import Curvature
import CurvatureModels
import Testing
import _Differentiation

@testable import CurvatureAutodiff

@Suite struct AutodiffObjectiveTests {
  @Test func lossGradientAndPerSampleLossesMatchTheBundledMLP() throws {
    let f = try AutodiffFixture()
    let all = SampleSet.all(f.data.count)
    let batch = SampleSet.indices([5, 1, 44, 5, 17])
    let (refLoss, refGradient) = try f.reference.lossAndGradient(at: f.weights, samples: all)
    for objective in [try f.batched(), try f.perSample()] {
      #expect(objective.parameterCount == f.reference.parameterCount)
      let (loss, gradient) = try objective.lossAndGradient(at: f.weights, samples: all)
      #expect(abs(loss - refLoss) <= 1e-5 * refLoss)
      #expect(relativeError(gradient, refGradient) <= 1e-5)
      let losses = try objective.perSampleLosses(at: f.weights, samples: batch)
      let refLosses = try f.reference.perSampleLosses(at: f.weights, samples: batch)
      for (a, b) in zip(losses, refLosses) { #expect(abs(a - b) <= 1e-5 * max(1, b)) }
      // Serial and split evaluation agree (parts summed in a fixed order).
      objective.parallel = false
      let serial = try objective.lossAndGradient(at: f.weights, samples: all)
      #expect(relativeError(serial.gradient, gradient) <= 1e-6)
    }
  }

  @Test func richardsonProductsMatchTheExactHVPAndEstimateTheirError() throws {
    let f = try AutodiffFixture()
    let objective = try f.batched()
    var rng = SeededGenerator(seed: 11)
    let all = SampleSet.all(f.data.count)
    for _ in 0..<3 {
      let v = rng.gaussianVector(count: objective.parameterCount)
      let exact = try f.reference.hessianVectorProduct(at: f.weights, samples: all, direction: v)
      let approx = try objective.hessianVectorProduct(at: f.weights, samples: all, direction: v)
      let error = relativeError(approx, exact)
      let estimate = try #require(objective.lastErrorEstimate)
      #expect(error <= 1e-3, "relative error \(error)")
      // The estimate (of the O(h²) term at step h) bounds the extrapolated product's error.
      #expect(estimate.relative >= error && estimate.relative <= 1e-2)
    }
    #expect(objective.gradientEvaluations == 12)
    #expect(objective.largestErrorEstimate > 0)
  }

  @Test func centralDifferencesAreLessAccurateAndCheaper() throws {
    let f = try AutodiffFixture()
    let objective = try f.batched(hessian: .centralDifference())
    let v = SeededGenerator(seed: 5).gaussianVectorCopy(count: objective.parameterCount)
    let all = SampleSet.all(f.data.count)
    let exact = try f.reference.hessianVectorProduct(at: f.weights, samples: all, direction: v)
    let approx = try objective.hessianVectorProduct(at: f.weights, samples: all, direction: v)
    #expect(relativeError(approx, exact) <= 1e-2)
    #expect(objective.gradientEvaluations == 2 && objective.lastErrorEstimate == nil)
    objective.estimatesError = true
    _ = try objective.hessianVectorProduct(at: f.weights, samples: all, direction: v)
    #expect(objective.lastErrorEstimate != nil && objective.gradientEvaluations == 6)
    // A zero direction costs nothing.
    let zero = try objective.hessianVectorProduct(
      at: f.weights, samples: all, direction: [Float](repeating: 0, count: v.count))
    #expect(zero.allSatisfy { $0 == 0 } && objective.gradientEvaluations == 6)
  }

  @Test func lanczosTopFiveAgreeWithTheExactHessian() throws {
    let f = try AutodiffFixture()
    let objective = try f.batched()
    let all = SampleSet.all(f.data.count)
    let lanczos = Lanczos(configuration: .init(tolerance: 1e-4, seed: 2))
    let exact = try lanczos.eigenpairs(
      of: ObjectiveHessian(objective: f.reference, at: f.weights, samples: all), count: 5)
    let approx = try lanczos.eigenpairs(
      of: ObjectiveHessian(objective: objective, at: f.weights, samples: all), count: 5)
    for (a, b) in zip(approx.eigenvalues, exact.eigenvalues) {
      #expect(abs(a - b) <= 1e-3 * abs(exact.eigenvalues[0]), "\(a) vs \(b)")
    }
  }

  @Test func declaresInexactProductsAndTheTrackerAdaptsToThem() throws {
    let f = try AutodiffFixture()
    #expect(try f.batched().hessianProductAccuracy == .finiteDifference(relativeError: 1e-4))
    let central = try f.batched(hessian: .centralDifference())
    #expect(central.hessianProductAccuracy == .finiteDifference(relativeError: 1e-3))
    central.hessianProductAccuracy = .finiteDifference(relativeError: 1e-2)
    #expect(central.copy().hessianProductAccuracy == .finiteDifference(relativeError: 1e-2))
    // The tracker's default configuration asks for exact-product tolerances; on difference
    // products it caps the refresh and still finds the exact top eigenvalues.
    let objective = try f.batched()
    let all = SampleSet.all(f.data.count)
    let tracker = try DominantSubspaceTracker(
      objective: objective, configuration: .init(k: 3, hessianBatch: .full, refresh: .every(1)))
    let report = try tracker.refresh(parameters: f.weights)
    #expect(report.productCount <= HessianProductAccuracy.finiteDifferenceProductCap(k: 3))
    let exact = try Lanczos(configuration: .init(tolerance: 1e-6, seed: 1)).eigenpairs(
      of: ObjectiveHessian(objective: f.reference, at: f.weights, samples: all), count: 3)
    for (a, b) in zip(report.eigenvalues, exact.eigenvalues) {
      #expect(abs(a - b) <= 1e-3 * exact.eigenvalues[0], "\(a) vs \(b)")
    }
  }

  @Test func copiesComputeTheSame() throws {
    let f = try AutodiffFixture()
    let objective = try f.perSample()
    let copy = objective.copy()
    let batch = SampleSet.range(3..<40)
    #expect(
      try objective.lossAndGradient(at: f.weights, samples: batch).gradient
        == copy.lossAndGradient(at: f.weights, samples: batch).gradient)
    #expect(copy.gradientEvaluations == 1)
  }

  @Test func nonFiniteLossNamesTheSample() throws {
    let objective = try AutodiffObjective(
      parameters: [Float](repeating: 1, count: 3), sampleCount: 10,
      loss: { w, i in i == 7 ? w[0] / 0 : w[0] * w[1] })
    #expect(throws: CurvatureError.nonFinite(name: "loss of sample", index: 7)) {
      try objective.loss(at: [1, 2, 3], samples: .all(10))
    }
    #expect(throws: CurvatureError.nonFinite(name: "loss of sample", index: 7)) {
      try objective.lossAndGradient(at: [1, 2, 3], samples: .range(5..<10))
    }
    // Other samples are fine, and the objective still works after the error.
    #expect(try objective.loss(at: [1, 2, 3], samples: .range(0..<7)) == 2)
    let batched = try AutodiffObjective(
      parameters: [Float](repeating: 1, count: 3), sampleCount: 40,
      batchLosses: { w, indices in
        var out: [Float] = []
        for i in indices { out.append(i == 33 ? w[0] * .infinity : w[0]) }
        return out
      })
    #expect(throws: CurvatureError.nonFinite(name: "loss of sample", index: 33)) {
      try batched.lossAndGradient(at: [1, 2, 3], samples: .all(40))
    }
  }

  @Test func tangentOfTheWrongSizeThrows() throws {
    let objective = try AutodiffObjective(
      parameters: [Float](repeating: 1, count: 4), sampleCount: 2,
      loss: { w, _ in wrongTangent(w) })
    #expect(
      throws: CurvatureError.dimensionMismatch(name: "gradient of sample 0", expected: 4, actual: 5)
    ) {
      try objective.lossAndGradient(at: [1, 2, 3, 4], samples: .all(2))
    }
    // The loss alone does not differentiate, so it works.
    #expect(try objective.loss(at: [1, 2, 3, 4], samples: .all(2)) == 1)
  }

  @Test func rebuiltValueOfTheWrongLengthThrows() throws {
    let shrinking = Shrinking(values: [1, 2, 3])
    #expect(
      throws: CurvatureError.dimensionMismatch(name: "rebuilt parameters", expected: 3, actual: 2)
    ) {
      try AutodiffObjective(parameters: shrinking, sampleCount: 1, loss: { p, _ in p.values[0] })
    }
    #expect(
      throws: CurvatureError.dimensionMismatch(name: "rebuilt parameters", expected: 3, actual: 2)
    ) {
      try shrinking.rebuilt(from: [4, 5, 6])
    }
    #expect(throws: CurvatureError.dimensionMismatch(name: "parameters", expected: 3, actual: 4)) {
      try shrinking.rebuilt(from: [4, 5, 6, 7])
    }
    let plain = try AutodiffObjective(
      parameters: [Float](repeating: 0, count: 2), sampleCount: 1, loss: { w, _ in w[0] })
    #expect(throws: CurvatureError.dimensionMismatch(name: "parameters", expected: 2, actual: 3)) {
      try plain.lossAndGradient(at: [1, 2, 3], samples: .all(1))
    }
    #expect(throws: CurvatureError.dimensionMismatch(name: "direction", expected: 2, actual: 1)) {
      try plain.hessianVectorProduct(at: [1, 2], samples: .all(1), direction: [1])
    }
    #expect(throws: CurvatureError.nonFinite(name: "direction", index: 1)) {
      try plain.hessianVectorProduct(at: [1, 2], samples: .all(1), direction: [1, .nan])
    }
  }

  @Test func constructionIsValidated() {
    #expect(throws: CurvatureError.self) {
      try AutodiffObjective(parameters: [Float](), sampleCount: 1, loss: { _, _ in 0 })
    }
    #expect(throws: CurvatureError.self) {
      try AutodiffObjective(
        parameters: [Float](repeating: 0, count: 2), sampleCount: 0, loss: { w, _ in w[0] })
    }
    #expect(throws: CurvatureError.nonFinite(name: "parameters", index: 1)) {
      try AutodiffObjective(
        parameters: [Float](arrayLiteral: 0, .nan), sampleCount: 1, loss: { w, _ in w[0] })
    }
    #expect(throws: CurvatureError.self) {
      try AutodiffObjective(
        parameters: [Float](repeating: 0, count: 2), sampleCount: 1,
        hessian: .richardson(step: 0), loss: { w, _ in w[0] })
    }
  }
}

/// A value whose `rebuild` drops its last scalar (a broken conformance).
struct Shrinking: Differentiable, ParameterLayout {
  var values: [Float]
  var scalarCount: Int { values.count }
  func flatten(into buffer: UnsafeMutableBufferPointer<Float>) { values.flatten(into: buffer) }
  mutating func rebuild(from buffer: UnsafeBufferPointer<Float>) {
    values = Array(buffer.dropLast())
  }
}

/// w₀ with a derivative whose tangent has one element too many (a broken custom derivative).
func wrongTangent(_ w: [Float]) -> Float { w[0] }

@derivative(of: wrongTangent)
func wrongTangentVJP(_ w: [Float]) -> (
  value: Float, pullback: (Float) -> [Float].TangentVector
) {
  let n = w.count
  return (w[0], { _ in .init([Float](repeating: 1, count: n + 1)) })
}

extension SeededGenerator {
  /// A Gaussian vector from a copy of the generator.
  func gaussianVectorCopy(count: Int) -> [Float] {
    var copy = self
    return copy.gaussianVector(count: count)
  }
}
