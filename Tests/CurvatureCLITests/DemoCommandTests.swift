import Foundation
import Testing

@testable import CurvatureCLI

@Suite struct DemoCommandTests {
  static let small = [
    "--steps", "40", "--hidden", "8", "--k", "3", "--refresh-every", "10", "--stabilization-every",
    "15",
    "--k-grid", "4,8,16", "--D", "2", "--hessian-batch", "64", "--quiet",
  ]

  @Test func smallDemoWritesTheReportAndOneJSONObject() throws {
    let dir = NSTemporaryDirectory() + "curvature-demo-test-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let o = CommandTests.run(["demo", "--output", dir, "--json"] + Self.small)
    #expect(o.status == 0, "\(o.stderr)")
    #expect(o.stderr.isEmpty)
    let object = try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: Any]
    let runs = try #require(object?["runs"] as? [[String: Any]])
    #expect(
      runs.map { $0["optimizer"] as? String } == [
        "SGD", "Dom-SGD", "Bulk-SGD", "interpolated(0.5, 1)",
      ])
    // Every optimizer runs as many steps as the reference run.
    let steps = runs.compactMap { $0["steps"] as? Int }
    #expect(steps.count == 4 && Set(steps).count == 1 && steps[0] > 0)
    for run in runs {
      #expect((run["hvps"] as? Int ?? 0) > 0)
      #expect((run["final_loss"] as? Double)?.isFinite == true)
    }
    let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
    let checker = try ReportWriterTests.check(html)
    #expect(checker.svgIDs == ReportWriter.plotIDs)
    #expect(checker.badNumbers.isEmpty)
    let report =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json")))
      as? [String: Any]
    #expect(((report?["refreshes"] as? [Any])?.count ?? 0) >= 2)
    // --k 3 reaches the tracker: every refresh has three eigenvalues.
    #expect(report?["k"] as? Int == 3)
    let refreshes = try #require(report?["refreshes"] as? [[String: Any]])
    #expect(refreshes.allSatisfy { ($0["eigenvalues"] as? [Double])?.count == 3 })
    #expect(((report?["stabilization"] as? [String: Any])?["curves"] as? [Any])?.isEmpty == false)
    let spectra = try #require(report?["spectra"] as? [[String: Any]])
    #expect(spectra.count >= 2)
    #expect((spectra.last?["eigenvalues"] as? [Double])?.count == 6)
  }

  @Test func summaryTableIsAligned() {
    var report = ReportFixture.make()
    report.runs[0].stepsTaken = 1200
    let lines = DemoCommand.summaryTable(report).split(separator: "\n")
    #expect(lines.count == 2 + report.runs.count)
    #expect(Set(lines.map(\.count)).count == 1)
    #expect(lines[0].hasPrefix("optimizer"))
  }

  @Test func badGridIsAUsageError() {
    let o = CommandTests.run(["demo", "--k-grid", "16,8"])
    #expect(o.status == 2)
    #expect(o.stderr.contains("--k-grid must increase"))
  }
}
