import Testing

@testable import Curvature

@Suite struct ParallelTests {
  @Test func serialScopeKeepsLoopsOnTheCallingThreadAndNests() throws {
    #expect(!SerialScope.isActive)
    let flags = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 16)
    defer { flags.deallocate() }
    flags.initialize(repeating: false)
    SerialScope.run {
      #expect(SerialScope.isActive)
      SerialScope.run { #expect(SerialScope.isActive) }
      #expect(SerialScope.isActive)
      // Every part sees the scope: it ran on this thread, not on a worker.
      Parallel.forEach(16) { flags[$0] = SerialScope.isActive }
    }
    #expect(flags.allSatisfy { $0 })
    #expect(!SerialScope.isActive)
    // Results do not depend on the scope (fixed parts either way): a product long enough to
    // use all cores outside it.
    var rng = SeededGenerator(seed: 4)
    let p = 1 << 17
    let u = rng.gaussianVector(count: p * 8)
    let x = rng.gaussianVector(count: p)
    var outside = [Double](repeating: 0, count: 8)
    var inside = outside
    x.withUnsafeBufferPointer { xp in
      u.withUnsafeBufferPointer { up in
        outside.withUnsafeMutableBufferPointer {
          ProjectionKernels.coefficients(of: xp, basis: up, dimension: p, into: $0)
        }
        SerialScope.run {
          inside.withUnsafeMutableBufferPointer {
            ProjectionKernels.coefficients(of: xp, basis: up, dimension: p, into: $0)
          }
        }
      }
    }
    #expect(inside == outside)
    // Against a plain Double sum.
    for j in 0..<8 {
      var s = 0.0
      for i in 0..<p { s += Double(u[j * p + i]) * Double(x[i]) }
      #expect(abs(inside[j] - s) <= 1e-4 * max(1, abs(s)))
    }
  }
}
