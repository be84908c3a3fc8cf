import Curvature
import Foundation

/// The UCI optical-recognition handwritten digits (1,797 8×8 images, 10 classes), bundled.
///
/// Credit: E. Alpaydin and C. Kaynak, UCI Machine Learning Repository, 1998 (CC BY 4.0).
/// Pixels are scaled to [0, 1] (value / 16).
public enum Digits {
  /// Loads all 1,797 samples: inputs row-major (N × 64) and labels in 0…9.
  /// - Throws: `CurvatureError.malformedFile` if the bundled resource is missing or corrupt.
  /// - Complexity: O(N · 64).
  public static func load() throws -> (inputs: [Float], labels: [Int], count: Int) {
    guard let url = Bundle.module.url(forResource: "digits", withExtension: "csv") else {
      throw CurvatureError.malformedFile(path: "digits.csv", reason: "bundled resource not found")
    }
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
      throw CurvatureError.fileSystem(path: url.path, reason: "\(error)")
    }
    var inputs: [Float] = []
    var labels: [Int] = []
    inputs.reserveCapacity(1797 * 64)
    for (lineNumber, line) in text.split(separator: "\n").enumerated() {
      let fields = line.split(separator: ",")
      guard fields.count == 65 else {
        throw CurvatureError.malformedFile(
          path: "digits.csv",
          reason: "line \(lineNumber + 1) has \(fields.count) fields, expected 65")
      }
      for f in fields.prefix(64) {
        guard let v = Int(f), (0...16).contains(v) else {
          throw CurvatureError.malformedFile(
            path: "digits.csv", reason: "bad pixel on line \(lineNumber + 1)")
        }
        inputs.append(Float(v) / 16)
      }
      guard let y = Int(fields[64]), (0...9).contains(y) else {
        throw CurvatureError.malformedFile(
          path: "digits.csv", reason: "bad label on line \(lineNumber + 1)")
      }
      labels.append(y)
    }
    return (inputs, labels, labels.count)
  }
}
