import Foundation
import Testing

/// README's autodiff sections: the client `main.swift` (the `AutodiffExample` executable) and
/// the Swift Testing comparison example are verbatim the compiled copies, and the client runs.
@Suite struct ReadmeAutodiffTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The lines between the `begin` and `end` marker lines.
  static func block(in text: String, begin: String, end: String) -> String? {
    let lines = text.components(separatedBy: "\n")
    guard let b = lines.firstIndex(where: { $0.contains(begin) }),
      let e = lines[(b + 1)...].firstIndex(where: { $0.contains(end) })
    else { return nil }
    return lines[(b + 1)..<e].joined(separator: "\n")
  }

  static func read(_ path: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
  }

  @Test func readmeBlocksAreVerbatimTheCompiledOnes() throws {
    let readme = try Self.read("README.md")
    let client = try Self.read("Tests/AutodiffExample/main.swift")
    let documentedClient = try #require(
      Self.block(
        in: readme, begin: "<!-- autodiff example begin -->", end: "<!-- autodiff example end -->"))
    #expect(documentedClient == "```swift\n" + client.dropLast() + "\n```")
    let test = try Self.read("Tests/CurvatureAutodiffTests/Readme/ReadmeComparisonExample.swift")
    let compiled = try #require(
      Self.block(
        in: test, begin: "// README comparison example begin",
        end: "// README comparison example end"))
    let documented = try #require(
      Self.block(
        in: readme, begin: "<!-- comparison example begin -->",
        end: "<!-- comparison example end -->"))
    #expect(documented == "```swift\n" + compiled + "\n```")
  }

  /// The built client, next to the test bundle.
  static var executable: URL? {
    var candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
    candidates += [root.appendingPathComponent(".build/debug")]
    return candidates.map { $0.appendingPathComponent("AutodiffExample") }
      .first { FileManager.default.isExecutableFile(atPath: $0.path) }
  }

  @Test func clientTrainsSGDAndBulkSGDAndPrintsTheirFinalLosses() throws {
    let url = try #require(Self.executable, "the AutodiffExample executable was not built")
    let process = Process()
    process.executableURL = url
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let lines = output.split(separator: "\n").map(String.init)
    #expect(lines.count == 2)
    for (line, name) in zip(lines, ["sgd", "bulk-sgd"]) {
      let prefix = "\(name) final loss "
      #expect(line.hasPrefix(prefix), "\(line)")
      let loss = try #require(Double(line.dropFirst(prefix.count)), "\(line)")
      // From ln 3 ≈ 1.1 (chance on three classes) to well below it.
      #expect(loss > 0 && loss < 0.5, "\(line)")
    }
  }
}
