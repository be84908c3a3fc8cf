import Curvature
import CurvatureModels
import Foundation

/// `curvature selfcheck`: a quick numerical check of the build (Lanczos against a closed form,
/// the bundled data set present).
enum SelfCheckCommand {
  static let command = Command(
    name: "selfcheck",
    summary: "run a quick built-in numerical self-check",
    discussion: """
      Computes the top three eigenvalues of the 1-D Laplacian (n = 50) with Lanczos and compares
      them with the closed form 2 − 2cos(jπ/(n+1)); loads the bundled digits.
      """,
    flags: [],
    examples: ["curvature selfcheck --json"],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    let n = 50
    var a = [Float](repeating: 0, count: n * n)
    for i in 0..<n {
      a[i * n + i] = 2
      if i + 1 < n {
        a[i * n + i + 1] = -1
        a[(i + 1) * n + i] = -1
      }
    }
    let op = try DenseSymmetricOperator(matrix: a, order: n)
    let r = try Lanczos().eigenpairs(of: op, count: 3)
    var worst = 0.0
    for j in 1...3 {
      let exact = 2 - 2 * cos(Double(n + 1 - j) * Double.pi / Double(n + 1))
      worst = max(worst, abs(r.eigenvalues[j - 1] - exact) / exact)
    }
    let (_, labels, count) = try Digits.load()
    let passed = worst < 1e-4 && count == 1797
    if context.json {
      try context.emit([
        "version": .string(CurvatureLibrary.version),
        "instruction_set": .string("\(CurvatureLibrary.instructionSet)"),
        "lanczos_relative_error": .number(worst),
        "lanczos_products": .int(r.productCount),
        "digits_samples": .int(count),
        "digits_classes": .int(Set(labels).count),
        "passed": .bool(passed),
      ])
    } else {
      context.write(
        "curvature \(CurvatureLibrary.version), compute path: \(CurvatureLibrary.instructionSet)")
      context.write(
        "Lanczos on the 1-D Laplacian (n = 50): top-3 relative error \(worst), \(r.productCount) products"
      )
      context.write("bundled digits: \(count) samples, \(Set(labels).count) classes")
      context.write(passed ? "self-check passed" : "self-check FAILED")
    }
    return passed ? 0 : 1
  }
}
