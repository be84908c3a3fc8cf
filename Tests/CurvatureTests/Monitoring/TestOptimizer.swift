@testable import Curvature

/// Plain gradient descent for tests: w ← w − η g (Float arithmetic).
struct TestGradientDescent: Optimizer {
  var learningRate: Float

  mutating func step(parameters: inout [Float], gradient: [Float]) throws {
    try Validate.count("gradient", gradient.count, parameters.count)
    try Validate.finite("gradient", gradient)
    for i in parameters.indices { parameters[i] -= learningRate * gradient[i] }
  }
}
