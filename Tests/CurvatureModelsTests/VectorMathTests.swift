import Foundation
import Testing

@testable import CurvatureModels

@Suite struct VectorMathTests {
  @Test func tanhIsAccurateEverywhere() {
    var worst = 0.0
    var x = -20.0
    while x < 20 {
      var v = SIMD16<Float>()
      for i in 0..<16 { v[i] = Float(x + Double(i) * 1.3e-3) }
      let t = VectorMath.tanh(v)
      for i in 0..<16 { worst = max(worst, abs(Double(t[i]) - Foundation.tanh(Double(v[i])))) }
      x += 0.0208
    }
    #expect(worst < 6e-7, "max abs error \(worst)")
    let tiny = VectorMath.tanh(SIMD16<Float>(repeating: 1e-6))
    #expect(tiny[0] == 1e-6)
  }

  @Test func expIsAccurateForNonPositiveArguments() {
    var worst = 0.0
    var x = -87.0
    while x <= 0 {
      var v = SIMD16<Float>()
      for i in 0..<16 { v[i] = Float(min(0, x + Double(i) * 7e-4)) }
      let e = VectorMath.expNonPositive(v)
      for i in 0..<16 {
        let ref = Foundation.exp(Double(v[i]))
        worst = max(worst, abs(Double(e[i]) - ref) / ref)
      }
      x += 0.011
    }
    #expect(worst < 3e-7, "max relative error \(worst)")
    let under = VectorMath.expNonPositive(SIMD16<Float>(repeating: -200))
    #expect(under[0] == 0)
    #expect(VectorMath.expNonPositive(SIMD16<Float>(repeating: 0))[0] == 1)
  }

  @Test func logMatchesFoundation() {
    for x in [1e-300, 1e-8, 0.3, 1, 1.5, 2, 10, 12345.678, 1e300] {
      #expect(abs(_logDouble(x) - Foundation.log(x)) <= 4e-16 * max(1, abs(Foundation.log(x))))
    }
  }
}
