import Foundation
import Testing

@testable import CurvatureCLI

@Suite struct ReproduceCommandTests {
  @Test func quickRunPrintsTheClaimsAndWritesTheReports() throws {
    let dir = NSTemporaryDirectory() + "curvature-reproduce-\(UInt32.random(in: 0...UInt32.max))"
    let o = CommandTests.run(["reproduce", "fernandez2025", "--quick", "--json", "--output", dir])
    #expect(o.status == 0)
    let obj = try #require(
      try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: Any])
    #expect(obj["paper"] as? String == "fernandez2025")
    #expect((obj["title"] as? String)?.contains("Sketched") == true)
    #expect((obj["seconds"] as? Double ?? 0) > 0)
    #expect(obj["settings"] is [String: Any])
    let claims = try #require(obj["claims"] as? [[String: Any]])
    #expect(claims.count == 5)
    for c in claims {
      for key in ["id", "statement", "paper_value", "measured", "threshold", "holds"] {
        #expect(c[key] != nil, "missing \(key)")
      }
    }
    // The page's table says what the JSON says.
    let page = try String(contentsOfFile: "\(dir)/fernandez2025/index.html", encoding: .utf8)
    for c in claims {
      let id = c["id"] as! String
      #expect(page.contains("<code>\(id)</code>"))
    }
    let holding = claims.filter { $0["holds"] as? Bool == true }.count
    #expect(page.contains("\(holding) of \(claims.count) claims hold"))
    #expect(page.contains("<svg") && page.contains("id=\"overlap\""))
    let index = try String(contentsOfFile: "\(dir)/index.html", encoding: .utf8)
    #expect(
      index.contains("fernandez2025/index.html") && index.contains("\(holding)/\(claims.count)"))
    #expect(index.contains("not run yet: <code>curvature reproduce kiselev2026</code>"))
  }

  @Test func badPaperIsAUsageError() {
    let o = CommandTests.run(["reproduce", "nobody2030"])
    #expect(o.status == 2)
    #expect(o.stderr.contains("--paper"))
  }
}
