import Foundation
import Testing

@testable import CurvatureCLI

#if canImport(FoundationXML)
  import FoundationXML
#endif

@Suite struct ReportWriterTests {
  /// Parses XML, collecting errors, SVG ids and every numeric attribute.
  final class Checker: NSObject, XMLParserDelegate {
    var svgIDs: [String] = []
    var elements: [String: Int] = [:]
    var badNumbers: [String] = []
    var scripts = 0
    static let numeric: Set<String> = [
      "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height",
    ]

    func parser(
      _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
      qualifiedName: String?,
      attributes: [String: String]
    ) {
      elements[name, default: 0] += 1
      if name == "script" { scripts += 1 }
      if name == "svg", let id = attributes["id"] { svgIDs.append(id) }
      for (key, value) in attributes {
        if Self.numeric.contains(key) {
          if Double(value)?.isFinite != true { badNumbers.append("\(name).\(key)=\(value)") }
        } else if key == "points" || key == "viewBox" {
          for token in value.split(whereSeparator: { $0 == " " || $0 == "," })
          where Double(token)?.isFinite != true {
            badNumbers.append("\(name).\(key) token \(token)")
          }
        }
      }
    }
  }

  static func check(_ text: String) throws -> Checker {
    let parser = XMLParser(data: Data(text.utf8))
    let checker = Checker()
    parser.delegate = checker
    let ok = parser.parse()
    #expect(ok, "not well-formed: \(String(describing: parser.parserError))")
    return checker
  }

  /// CSV fields of one line (quotes respected).
  static func fields(_ line: String) -> [String] {
    var out: [String] = [""]
    var quoted = false
    for c in line {
      if c == "\"" {
        quoted.toggle()
      } else if c == "," && !quoted {
        out.append("")
      } else {
        out[out.count - 1].append(c)
      }
    }
    return out
  }

  func temporaryDirectory() -> String {
    let dir = NSTemporaryDirectory() + "curvature-report-test-\(UUID().uuidString)"
    return dir
  }

  @Test func reportContainsEveryPlotWithFiniteNumbersAndIsWellFormed() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try ReportWriter.write(ReportFixture.make(), to: dir)
    let html = try String(contentsOfFile: path, encoding: .utf8)
    let checker = try Self.check(html)
    #expect(checker.svgIDs == ReportWriter.plotIDs)
    #expect(checker.badNumbers.isEmpty, "\(checker.badNumbers.prefix(5))")
    #expect(checker.scripts == 0)
    #expect(!html.contains("<script"))
    #expect(html.range(of: #"(?i)\b(nan|[+-]?inf(inity)?)\b"#, options: .regularExpression) == nil)
    #expect(
      !html.contains("http://")
        || html.components(separatedBy: "http://").count - 1 == ReportWriter.plotIDs.count)
    #expect((checker.elements["polyline"] ?? 0) > 10)
    #expect((checker.elements["circle"] ?? 0) > 20)
    // λ₁'s confidence band: one polygon on the sharpness plot, for the run that has one.
    #expect(checker.elements["polygon"] == 1)
    let sharpness = try #require(html.components(separatedBy: "id=\"sharpness\"").last)
    #expect(sharpness.components(separatedBy: "<svg").first!.contains("class=\"band\""))
    #expect(!html.contains("class=\"empty\""))
    // Title escaped, summary rows present, diverged loss shown as a dash.
    #expect(html.contains("Curvature report &lt;test &amp; check&gt;"))
    for name in ["SGD", "Dom-SGD", "Bulk-SGD", "interpolated(1, 0.5)"] {
      #expect(html.contains("<td>\(name)</td>"))
    }
    #expect(html.contains("<td>—</td>"))
    // Every caption and the fitted slope are shown.
    #expect(html.contains("fit: slope −2"))
    #expect(html.contains("2/η = 20<"))
    #expect(html.contains("chance k/P"))
    #expect(html.contains("Measured gap: λ₁₀/λ₁₁ = 44 at step 100; λ₁₀/λ₁₁ = 44 at step 300."))
  }

  @Test func dataFilesAreConsistent() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try ReportWriter.write(ReportFixture.make(), to: dir)
    for name in ReportWriter.dataFiles {
      #expect(FileManager.default.fileExists(atPath: dir + "/" + name), "\(name) missing")
    }
    let json = try Data(contentsOf: URL(fileURLWithPath: dir + "/report.json"))
    let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
    let runs = object?["runs"] as? [[String: Any]]
    #expect(runs?.count == 4)
    #expect(runs?[1]["final_train_loss"] is NSNull)
    #expect((runs?[0]["losses"] as? [Double])?.count == 61)
    let stab = object?["stabilization"] as? [String: Any]
    #expect((stab?["curves"] as? [Any])?.count == 3)
    for name in ReportWriter.dataFiles where name.hasSuffix(".csv") {
      let text = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
      #expect(lines.count >= 2, "\(name) has no rows")
      let columns = lines.first!.split(separator: ",").count
      for line in lines {
        #expect(Self.fields(String(line)).count == columns, "\(name): \(line)")
        #expect(
          line.range(of: #"(?i)\b(nan|inf)"#, options: .regularExpression) == nil,
          "\(name): \(line)")
      }
    }
    let losses = try String(contentsOfFile: dir + "/losses.csv", encoding: .utf8)
    #expect(losses.contains("\nSGD,0,2.3"))
    #expect(losses.contains("Dom-SGD,300,\n"))
  }

  @Test func emptyReportStillHasEveryPlotWithANote() throws {
    let html = ReportWriter.html(ReportFixture.make(empty: true))
    let checker = try Self.check(html)
    #expect(checker.svgIDs == ReportWriter.plotIDs)
    #expect(checker.badNumbers.isEmpty)
    #expect(html.contains("stabilisation not measured"))
    #expect(html.components(separatedBy: "class=\"empty\"").count - 1 == ReportWriter.plotIDs.count)
  }

  @Test func unwritableDirectoryThrows() {
    #expect(throws: (any Error).self) {
      _ = try ReportWriter.write(
        ReportFixture.make(empty: true), to: "/proc/curvature-cannot-write-here")
    }
  }

  @Test func numberFormatting() {
    #expect(ReportWriter.number(0.123456, digits: 3) == "0.123")
    #expect(ReportWriter.number(20, digits: 3) == "20.0")
    #expect(ReportWriter.number(.nan, digits: 3) == "—")
    #expect(ReportWriter.number(4.1e-6, digits: 2) == "4.1e-06")
    #expect(ReportWriter.percent(0.9312) == "93.1 %")
    #expect(ReportWriter.short(1e-3) == "0.001")
    #expect(ReportWriter.short(1e-6) == "10⁻⁶")
    #expect(ReportWriter.short(4.15e-3) == "0.00415")
    #expect(ReportWriter.short(20) == "20")
    #expect(ReportWriter.short(0.1234) == "0.123")
    #expect(ReportWriter.cell(.infinity) == "")
    #expect(ReportWriter.csvField("a,b") == "\"a,b\"")
    #expect(ReportWriter.subscriptDigits(10) == "₁₀")
    #expect(ReportWriter.gray(0) == "#000000")
  }
}
