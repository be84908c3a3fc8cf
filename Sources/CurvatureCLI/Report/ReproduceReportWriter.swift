import Curvature
import CurvatureExperiments
import Foundation

/// Writes a ``ClaimsReport`` as `DIR/PAPER/index.html` (settings, claims table, notes, the
/// figures drawn with ``SVGPlot``) plus `claims.json`, and `DIR/index.html` listing every paper
/// whose `claims.json` is present.
enum ReproduceReportWriter {
  /// The JSON object of a report: `{"paper", "title", "size", "settings", "claims": [{"id",
  /// "statement", "paper_value", "measured", "threshold", "holds", ...}], "notes", "seconds"}`.
  static func json(_ r: ClaimsReport) -> JSONValue {
    func num(_ x: Double) -> JSONValue { x.isFinite ? .number(x) : .null }
    return .object([
      ("paper", .string(r.paper.rawValue)),
      ("title", .string(r.paper.title)),
      ("citation", .string(r.paper.citation)),
      ("size", .string(r.size.rawValue)),
      ("settings", .object(r.settings.map { ($0.name, .string($0.value)) })),
      (
        "claims",
        .array(
          r.claims.map { c in
            var fields: [(String, JSONValue)] = [
              ("id", .string(c.id)), ("statement", .string(c.statement)),
              ("paper_value", .string(c.paperValue)), ("measured", num(c.measured)),
              ("threshold", .string(c.threshold.description)), ("holds", .bool(c.holds)),
              ("threshold_source", .string(c.thresholdSource)),
              ("quantification", .string(c.quantification)),
            ]
            if let p = c.precondition {
              fields.append(
                (
                  "precondition",
                  .object([("statement", .string(p.description)), ("met", .bool(p.met))])
                ))
            }
            return .object(fields)
          })
      ),
      ("notes", .strings(r.notes)),
      ("seconds", .number(r.seconds)),
    ])
  }

  static func plot(_ f: ExperimentFigure) -> SVGPlot {
    var p = SVGPlot(id: f.id, title: f.title, xLabel: f.xLabel, yLabel: f.yLabel)
    p.xLog = f.xLog
    p.yLog = f.yLog
    for s in f.series {
      let style: PlotSeries.Style
      switch s.style {
      case .line: style = .line
      case .dashedLine: style = .dashedLine
      case .markers: style = .markers
      case .lineAndMarkers: style = .lineAndMarkers
      }
      p.series.append(PlotSeries(name: s.name, x: s.x, y: s.y, style: style))
    }
    for r in f.references where r.value.isFinite {
      p.references.append(
        ReferenceLine(
          orientation: r.horizontal ? .horizontal : .vertical, value: r.value, label: r.label))
    }
    return p
  }

  static let style = """
    body { font-family: Helvetica, Arial, sans-serif; margin: 0; background: #f4f5f7; color: #222; }
    main { max-width: 1180px; margin: 0 auto; padding: 20px 16px 40px; }
    h1 { font-size: 24px; margin: 4px 0 6px; } h2 { font-size: 18px; margin: 18px 0 8px; }
    .cite { color: #555; font-size: 14px; margin-bottom: 8px; }
    .settings { color: #555; font-size: 14px; margin-bottom: 14px; }
    .settings span { margin-right: 16px; white-space: nowrap; }
    table { border-collapse: collapse; background: #fff; font-size: 13px; margin-bottom: 8px; }
    th, td { padding: 6px 10px; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: top; }
    th { background: #eef0f3; }
    td.num { text-align: right; white-space: nowrap; }
    .holds { color: #0a6b2d; font-weight: bold; } .fails { color: #b00020; font-weight: bold; }
    .small { color: #555; font-size: 12px; }
    .notes { font-size: 13px; color: #444; margin: 6px 0 16px; padding-left: 18px; }
    .grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
    figure { margin: 0; background: #fff; border: 1px solid #dde0e4; border-radius: 6px; padding: 8px 8px 10px; }
    figure svg { width: 100%; height: auto; display: block; }
    figcaption { font-size: 13px; color: #444; padding: 4px 6px 0; line-height: 1.35; }
    footer { font-size: 12px; color: #777; margin-top: 18px; }
    """

  static func head(_ title: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1"/>
    <title>\(esc(title))</title>
    <style>
    \(style)
    </style>
    </head>
    <body>
    <main>

    """
  }

  static func verdict(_ holds: Bool) -> String {
    holds ? "<span class=\"holds\">holds</span>" : "<span class=\"fails\">does not hold</span>"
  }

  /// The paper page.
  static func html(_ r: ClaimsReport) -> String {
    var h = head("\(r.paper.rawValue): \(r.paper.title)")
    h += "<h1>\(esc(r.paper.title))</h1>\n"
    h +=
      "<div class=\"cite\">\(esc(r.paper.citation)) — <code>curvature reproduce \(r.paper.rawValue)\(r.size == .quick ? " --quick" : "")</code>, "
    h +=
      "\(r.holdingCount) of \(r.claims.count) claims hold, \(esc(Claim.format(r.seconds))) s</div>\n"
    h += "<div class=\"settings\">"
    for s in r.settings { h += "<span><b>\(esc(s.name))</b> \(esc(s.value))</span>" }
    h += "<span><b>size</b> \(r.size.rawValue)</span></div>\n"
    h += "<h2>Claims</h2>\n<table class=\"claims\">\n"
    h +=
      "<tr><th>id</th><th>statement</th><th>paper</th><th>measured</th><th>threshold</th><th>verdict</th><th>how it is measured; threshold source</th></tr>\n"
    for c in r.claims {
      h +=
        "<tr><td><code>\(esc(c.id))</code></td><td>\(esc(c.statement))</td><td>\(esc(c.paperValue))</td>"
      h +=
        "<td class=\"num\">\(esc(Claim.format(c.measured)))</td><td class=\"num\">\(esc(c.threshold.description))</td>"
      h += "<td>\(verdict(c.holds))"
      if let p = c.precondition {
        h +=
          "<div class=\"small\">precondition: \(esc(p.description)) — \(p.met ? "met" : "not met")</div>"
      }
      h +=
        "</td><td class=\"small\">\(esc(c.quantification)). Threshold: \(esc(c.thresholdSource)).</td></tr>\n"
    }
    h += "</table>\n"
    if !r.notes.isEmpty {
      h += "<ul class=\"notes\">\n"
      for n in r.notes { h += "<li>\(esc(n))</li>\n" }
      h += "</ul>\n"
    }
    h += "<div class=\"grid\">\n"
    for f in r.figures {
      h += "<figure>\n\(plot(f).render())\n<figcaption>\(esc(f.caption))</figcaption>\n</figure>\n"
    }
    h += "</div>\n<footer>Claims as JSON: <a href=\"claims.json\">claims.json</a>. "
    h +=
      "All papers: <a href=\"../index.html\">index</a>. Self-contained page (inline SVG, no scripts).</footer>\n"
    h += "</main>\n</body>\n</html>\n"
    return h
  }

  static func writeFile(_ text: String, _ path: String) throws {
    try AtomicFile.write(Array(text.utf8), to: path)
  }

  static func makeDirectory(_ path: String) throws {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw CurvatureError.fileSystem(
        path: path, reason: "cannot create directory: \(error.localizedDescription)")
    }
  }

  /// Writes `DIR/PAPER/index.html` and `claims.json`; returns the page's path.
  static func write(_ r: ClaimsReport, to directory: String) throws -> String {
    let dir = (directory as NSString).appendingPathComponent(r.paper.rawValue)
    try makeDirectory(dir)
    let page = (dir as NSString).appendingPathComponent("index.html")
    try writeFile(html(r), page)
    try writeFile(
      try json(r).serialized() + "\n", (dir as NSString).appendingPathComponent("claims.json"))
    return page
  }

  /// Writes `DIR/index.html` from every `DIR/PAPER/claims.json` present; returns its path.
  static func writeIndex(to directory: String) throws -> String {
    try makeDirectory(directory)
    var h = head("Reproducing the papers")
    h += "<h1>Reproducing the papers</h1>\n"
    h +=
      "<div class=\"cite\">One command per paper: <code>curvature reproduce PAPER</code>. Thresholds are fixed in the library before the run; a claim that does not hold is reported, not dropped.</div>\n"
    h +=
      "<table>\n<tr><th>paper</th><th>title</th><th>size</th><th>claims</th><th>verdicts</th><th>seconds</th></tr>\n"
    for p in Paper.allCases {
      let path = (directory as NSString).appendingPathComponent("\(p.rawValue)/claims.json")
      guard let data = FileManager.default.contents(atPath: path),
        let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let claims = obj["claims"] as? [[String: Any]]
      else {
        h +=
          "<tr><td><code>\(p.rawValue)</code></td><td>\(esc(p.title))</td><td colspan=\"4\" class=\"small\">not run yet: <code>curvature reproduce \(p.rawValue)</code></td></tr>\n"
        continue
      }
      let holding = claims.filter { ($0["holds"] as? Bool) == true }.count
      let verdicts = claims.map { c -> String in
        let id = esc(c["id"] as? String ?? "?")
        return (c["holds"] as? Bool) == true
          ? "<span class=\"holds\">✓ \(id)</span>" : "<span class=\"fails\">✗ \(id)</span>"
      }.joined(separator: "<br/>")
      let seconds = (obj["seconds"] as? Double).map(Claim.format) ?? ""
      h +=
        "<tr><td><a href=\"\(p.rawValue)/index.html\"><code>\(p.rawValue)</code></a></td><td>\(esc(p.title))<div class=\"small\">\(esc(p.citation))</div></td>"
      h +=
        "<td>\(esc(obj["size"] as? String ?? ""))</td><td class=\"num\">\(holding)/\(claims.count)</td><td>\(verdicts)</td><td class=\"num\">\(seconds)</td></tr>\n"
    }
    h += "</table>\n</main>\n</body>\n</html>\n"
    let path = (directory as NSString).appendingPathComponent("index.html")
    try writeFile(h, path)
    return path
  }
}
