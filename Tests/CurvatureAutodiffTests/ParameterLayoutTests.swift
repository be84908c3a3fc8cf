import Curvature
import Testing
import _Differentiation

@testable import CurvatureAutodiff

@Suite struct ParameterLayoutTests {
  @Test func arraysAndScalarsFlattenInOrder() throws {
    let a: [Float] = [1, 2, 3]
    #expect(a.flattened == [1, 2, 3] && a.scalarCount == 3)
    #expect(try a.rebuilt(from: [4, 5, 6]) == [4, 5, 6])
    #expect(throws: CurvatureError.dimensionMismatch(name: "parameters", expected: 3, actual: 2)) {
      try a.rebuilt(from: [4, 5])
    }
    let t = [Float].DifferentiableView([7, 8])
    #expect(t.flattened == [7, 8])
    #expect(Float(2.5).flattened == [2.5])
    #expect(try Float(0).rebuilt(from: [3]) == 3)
  }

  @Test func fieldsConcatenateInDeclarationOrderAndRebuildInPlace() throws {
    var net = AutodiffMLP(sizes: [2, 3, 2])
    #expect(net.scalarCount == 6 + 3 + 6 + 2)
    let flat = (0..<17).map(Float.init)
    net = try net.rebuilt(from: flat)
    #expect(net.w1 == [0, 1, 2, 3, 4, 5] && net.b1 == [6, 7, 8] && net.b2 == [15, 16])
    #expect(net.flattened == flat)
  }

  @Test func untouchedTangentFieldsCountAsZeros() throws {
    // Only b2 enters the loss: the other tangent fields come back empty.
    let template = AutodiffMLP(sizes: [2, 3, 2])
    let objective = try AutodiffObjective(
      parameters: template, sampleCount: 2, loss: { net, i in net.b2[i] * net.b2[i] })
    var w = [Float](repeating: 0, count: 17)
    w[15] = 1
    w[16] = 2
    let (loss, g) = try objective.lossAndGradient(at: w, samples: .all(2))
    #expect(loss == 2.5)
    var expected = [Float](repeating: 0, count: 17)
    expected[15] = 1
    expected[16] = 2
    #expect(g == expected)
    // A loss that ignores the parameters: an all-empty tangent, a zero gradient.
    let constant = try AutodiffObjective(
      parameters: template, sampleCount: 1, loss: { _, _ in 1 })
    #expect(
      try constant.lossAndGradient(at: w, samples: .all(1)).gradient
        == [Float](repeating: 0, count: 17))
  }
}
