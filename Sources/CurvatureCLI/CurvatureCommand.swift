import Curvature
import CurvatureModels
import Foundation

/// The `curvature` command-line tool: entry point shared by the executable and the tests.
public enum CurvatureCommand {
  /// Runs the tool with `arguments` (without the program name) and returns the exit status.
  public static func run(_ arguments: [String]) -> Int32 {
    guard let first = arguments.first else { return selfCheck() }
    switch first {
    case "help", "--help", "-h":
      print(usage)
      return 0
    case "selfcheck":
      return selfCheck()
    default:
      printError("unknown subcommand '\(first)'; run 'curvature help'")
      return 2
    }
  }

  static let usage = """
    curvature \(CurvatureLibrary.version) — curvature-aware training

    USAGE: curvature [SUBCOMMAND] [OPTIONS]

    SUBCOMMANDS:
      selfcheck   run a quick built-in numerical self-check
      help        show this help
    """

  static func selfCheck() -> Int32 {
    print("curvature \(CurvatureLibrary.version), compute path: \(CurvatureLibrary.instructionSet)")
    do {
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
      print("Lanczos on the 1-D Laplacian (n = 50): top-3 relative error \(worst), \(r.productCount) products")
      print("bundled digits: \(count) samples, \(Set(labels).count) classes")
      return worst < 1e-4 && count == 1797 ? 0 : 1
    } catch {
      printError("\(error)")
      return 1
    }
  }
}

import Foundation

/// Writes one line to standard error.
func printError(_ message: String) {
  FileHandle.standardError.write(Data("curvature: error: \(message)\n".utf8))
}
