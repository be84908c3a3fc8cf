import Foundation
import Testing

@Suite struct ReadmeExampleTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The lines between `begin` and `end` marker lines.
  static func block(in text: String, begin: String, end: String) -> String? {
    let lines = text.components(separatedBy: "\n")
    guard let b = lines.firstIndex(where: { $0.contains(begin) }),
      let e = lines[(b + 1)...].firstIndex(where: { $0.contains(end) })
    else { return nil }
    return lines[(b + 1)..<e].joined(separator: "\n")
  }

  @Test func readmeExampleIsVerbatimTheCompiledOne() throws {
    let readme = try String(
      contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
    let source = try String(
      contentsOf: Self.root.appendingPathComponent(
        "Tests/CurvatureCLITests/Readme/ReadmeExample.swift"),
      encoding: .utf8)
    let compiled = try #require(
      Self.block(in: source, begin: "// README example begin", end: "// README example end"))
    let documented = try #require(
      Self.block(
        in: readme, begin: "<!-- training-loop example begin -->",
        end: "<!-- training-loop example end -->"))
    #expect(documented == "```swift\n" + compiled + "\n```")
  }

  @Test func readmeExampleTrains() throws {
    let (loss, accuracy) = try trainDigitsWithCurvature(steps: 120)
    #expect(loss.isFinite && loss < 1.0)
    #expect(accuracy > 0.8)
  }
}
