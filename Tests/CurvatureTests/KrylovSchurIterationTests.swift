import Foundation
import Testing

@testable import Curvature

@Suite struct KrylovSchurIterationTests {
  typealias S = SpectrumTestSupport

  @Test func scheduleTestsEveryStepUntilTheRatioFallsAndNearConvergence() {
    var s = ConvergenceSchedule()
    #expect(s.gap == 1)
    s.record(worst: 1e4, after: 3)
    #expect(s.gap == 1)  // no history yet
    s.record(worst: 2e4, after: 1)
    #expect(s.gap == 1)  // rising
    // Falling by a factor e per step to 2e4 / e: ln(2e4 / e / 3) ≈ 7.8 steps left; half is 3.
    s.record(worst: 2e4 / M_E, after: 1)
    #expect(s.gap == 3)
    // Falling slowly from far away: capped.
    s.record(worst: 2e4 / M_E / 1.1, after: 1)
    #expect(s.gap == ConvergenceSchedule.maximumGap)
    s.record(worst: 2.5, after: 6)
    #expect(s.gap == 1)  // near the tolerance
    s.record(worst: .infinity, after: 1)
    #expect(s.gap == 1)
  }

  /// A dense operator with a known spectrum: twelve eigenvalues in (1.1, 1.6] above a bulk in
  /// [0, 1) (mirrored for the smallest), close enough that the solver restarts.
  private static func operatorWithKnownSpectrum(n: Int, seed: UInt64, target: EigenTarget)
    throws -> (DenseSymmetricOperator, [Double], [Float])
  {
    var rng = SeededGenerator(seed: seed)
    var lambda = (0..<n).map { _ in rng.nextUniform() }
    for i in 0..<12 { lambda[i] = 1.1 + 0.5 * pow(0.85, Double(i)) }
    if target == .smallest { lambda = lambda.map { -$0 } }
    let (a, _) = S.rotated(lambda, seed: seed + 1)
    let sorted = target == .largest ? lambda.sorted(by: >) : lambda.sorted()
    return (try DenseSymmetricOperator(matrix: a, order: n), sorted, a)
  }

  @Test(arguments: [
    (1e-3, EigenTarget.largest, UInt64(1)), (1e-5, .largest, 2), (1e-3, .smallest, 3),
    (1e-6, .smallest, 4), (1e-4, .largest, 5),
  ])
  func scheduledTestsMeetTheToleranceWithAtMostTwoExtraProducts(
    tolerance: Double, target: EigenTarget, seed: UInt64
  ) throws {
    let n = 300
    let k = 10
    let (op, exact, a) = try Self.operatorWithKnownSpectrum(n: n, seed: seed, target: target)
    let m = try LanczosConfiguration().validatedSubspaceSize(k: k, dimension: n, blockSize: 1)
    var iteration = KrylovSchurIteration(
      k: k, target: target, tolerance: tolerance, maxProducts: 2000, capacity: m, blockSize: 1,
      keep: k + (m - k) / 2, seed: seed)
    let scheduled = try iteration.run(on: op, warmStart: nil)
    iteration.adaptiveTests = false
    let everyStep = try iteration.run(on: op, warmStart: nil)
    #expect(everyStep.allConverged)
    #expect(scheduled.allConverged)
    // The Krylov spaces are the same; only the step at which convergence is seen may differ.
    #expect(scheduled.productCount >= everyStep.productCount)
    #expect(scheduled.productCount <= everyStep.productCount + 2)
    for i in 0..<k {
      // Explicit residual ‖A u − θ u‖ in Double from the matrix itself.
      let u = scheduled.vectors.column(i).map(Double.init)
      let theta = scheduled.eigenvalues[i]
      var r2 = 0.0
      for row in 0..<n {
        var s = 0.0
        for j in 0..<n { s += Double(a[row * n + j]) * u[j] }
        r2 += (s - theta * u[row]) * (s - theta * u[row])
      }
      #expect(r2.squareRoot() <= tolerance * abs(theta) + 1e-5)
      // Some eigenvalue lies within the residual norm of θ; the gaps (> 0.01) make it λᵢ.
      #expect(abs(theta - exact[i]) <= tolerance * abs(theta) + 1e-5)
    }
  }
}
