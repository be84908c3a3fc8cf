import Foundation
import Testing

@testable import Curvature

@Suite struct LanczosTests {
  @Test func laplacianTopEigenvalues() throws {
    let n = 200
    var a = [Float](repeating: 0, count: n * n)
    for i in 0..<n {
      a[i * n + i] = 2
      if i + 1 < n {
        a[i * n + i + 1] = -1
        a[(i + 1) * n + i] = -1
      }
    }
    let op = try DenseSymmetricOperator(matrix: a, order: n)
    let r = try Lanczos(configuration: .init(tolerance: 1e-5)).eigenpairs(of: op, count: 4)
    for j in 1...4 {
      let exact = 2 - 2 * cos(Double(n + 1 - j) * Double.pi / Double(n + 1))
      #expect(abs(r.eigenvalues[j - 1] - exact) <= 1e-4 * exact)
    }
  }
}
