import Foundation

/// One data series of a plot.
struct PlotSeries {
  /// How the points are drawn.
  enum Style: Equatable {
    case line
    case dashedLine
    case markers
    case lineAndMarkers
  }

  var name: String
  var x: [Double]
  var y: [Double]
  var style: Style = .line
  /// CSS colour; nil picks the next palette colour.
  var color: String? = nil
  /// Whether the series gets a legend entry.
  var inLegend = true
  var lineWidth = 2.0
  /// An optional band drawn under the series (e.g. a confidence interval), one lower and one
  /// upper value per point.
  var band: (lower: [Double], upper: [Double])? = nil
}

/// A horizontal or vertical reference line with a label (e.g. 2/η, the chance level k/P).
struct ReferenceLine {
  enum Orientation: Equatable {
    case horizontal
    case vertical
  }

  var orientation: Orientation
  var value: Double
  var label: String
  var color = "#444444"
}

/// A small self-contained SVG chart: line and scatter series on linear or log axes, with nice
/// ticks, grid, axis labels, a legend placed in the emptiest corner, and reference lines.
///
/// Non-finite points (and non-positive ones on a log axis) are skipped and break lines; the
/// output never contains a non-finite number.
struct SVGPlot {
  /// Colour-blind-safe palette (Okabe–Ito).
  static let palette = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
  ]

  var id: String
  var title: String
  var xLabel: String
  var yLabel: String
  var xLog = false
  var yLog = false
  var series: [PlotSeries] = []
  var references: [ReferenceLine] = []
  /// Text shown instead of the data when nothing is drawable.
  var emptyNote = "no data"
  var width = 560.0
  var height = 360.0

  static let margin = (left: 74.0, right: 20.0, top: 36.0, bottom: 50.0)

  /// Whether at least one point can be drawn.
  var hasData: Bool {
    return series.contains { s in
      zip(s.x, s.y).contains { x, y in
        x.isFinite && y.isFinite && (!xLog || x > 0) && (!yLog || y > 0)
      }
    }
  }

  /// The `<svg>` element.
  func render() -> String {
    let m = SVGPlot.margin
    let plotWidth = width - m.left - m.right
    let plotHeight = height - m.top - m.bottom
    var drawable: [(x: [Double], y: [Double])] = []
    for s in series {
      var xs: [Double] = []
      var ys: [Double] = []
      for (x, y) in zip(s.x, s.y)
      where x.isFinite && y.isFinite && (!xLog || x > 0) && (!yLog || y > 0) {
        xs.append(x)
        ys.append(y)
      }
      drawable.append((xs, ys))
    }
    let xRefs = references.filter { $0.orientation == .vertical }.map(\.value)
    let yRefs = references.filter { $0.orientation == .horizontal }.map(\.value)
    let xScale = AxisScale.fitting(
      drawable.flatMap(\.x), logarithmic: xLog, include: xRefs, targetTicks: 6)
    let yScale = AxisScale.fitting(
      drawable.flatMap(\.y), logarithmic: yLog, include: yRefs, targetTicks: 5)
    func px(_ x: Double) -> Double { m.left + xScale.fraction(x) * plotWidth }
    func py(_ y: Double) -> Double { m.top + (1 - yScale.fraction(y)) * plotHeight }
    // Pixel positions of the points and of samples along the drawn lines, to keep labels and the
    // legend off the data.
    var ink: [(Double, Double)] = []
    for (index, d) in drawable.enumerated() {
      let points = zip(d.x, d.y).map { (px($0), py($1)) }
      ink.append(contentsOf: points)
      guard series[index].style != .markers else { continue }
      for (a, b) in zip(points, points.dropFirst()) {
        let n = min(40, Int(max(abs(b.0 - a.0), abs(b.1 - a.1)) / 4))
        for t in stride(from: 1, to: n, by: 1) {
          let u = Double(t) / Double(n)
          ink.append((a.0 + u * (b.0 - a.0), a.1 + u * (b.1 - a.1)))
        }
      }
    }
    func inkCount(x: Double, y: Double, width: Double, height: Double) -> Int {
      ink.reduce(0) { n, p in
        n + (p.0 >= x - 3 && p.0 <= x + width + 3 && p.1 >= y - 3 && p.1 <= y + height + 3 ? 1 : 0)
      }
    }

    var svg = ""
    svg +=
      "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(esc(id))\" class=\"plot\" width=\"\(f(width))\" "
      + "height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" "
      + "aria-label=\"\(esc(title))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
    svg += "<title>\(esc(title))</title>\n"
    svg +=
      "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"#ffffff\"/>\n"
    svg +=
      "<text x=\"\(f(m.left))\" y=\"22\" font-size=\"15\" font-weight=\"bold\" fill=\"#222\">\(esc(title))</text>\n"
    let clipID = "\(id)-clip"
    svg +=
      "<defs><clipPath id=\"\(esc(clipID))\"><rect x=\"\(f(m.left))\" y=\"\(f(m.top))\" "
      + "width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\"/></clipPath></defs>\n"

    // Grid and ticks.
    svg += "<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">\n"
    for t in xScale.ticks {
      svg +=
        "<line x1=\"\(f(px(t)))\" y1=\"\(f(m.top))\" x2=\"\(f(px(t)))\" y2=\"\(f(m.top + plotHeight))\"/>\n"
    }
    for t in yScale.ticks {
      svg +=
        "<line x1=\"\(f(m.left))\" y1=\"\(f(py(t)))\" x2=\"\(f(m.left + plotWidth))\" y2=\"\(f(py(t)))\"/>\n"
    }
    svg += "</g>\n"
    svg +=
      "<rect x=\"\(f(m.left))\" y=\"\(f(m.top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" "
      + "fill=\"none\" stroke=\"#888\" stroke-width=\"1\"/>\n"
    svg += "<g class=\"ticks\" font-size=\"12\" fill=\"#333\">\n"
    for (t, label) in zip(xScale.ticks, xScale.labels) {
      svg +=
        "<line x1=\"\(f(px(t)))\" y1=\"\(f(m.top + plotHeight))\" x2=\"\(f(px(t)))\" "
        + "y2=\"\(f(m.top + plotHeight + 5))\" stroke=\"#888\"/>"
      svg +=
        "<text x=\"\(f(px(t)))\" y=\"\(f(m.top + plotHeight + 18))\" text-anchor=\"middle\">\(esc(label))</text>\n"
    }
    for (t, label) in zip(yScale.ticks, yScale.labels) {
      svg +=
        "<line x1=\"\(f(m.left - 5))\" y1=\"\(f(py(t)))\" x2=\"\(f(m.left))\" y2=\"\(f(py(t)))\" stroke=\"#888\"/>"
      svg +=
        "<text x=\"\(f(m.left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(esc(label))</text>\n"
    }
    svg += "</g>\n"
    svg +=
      "<text x=\"\(f(m.left + plotWidth / 2))\" y=\"\(f(height - 10))\" font-size=\"13\" "
      + "text-anchor=\"middle\" fill=\"#222\">\(esc(xLabel))</text>\n"
    let yMid = m.top + plotHeight / 2
    svg +=
      "<text x=\"16\" y=\"\(f(yMid))\" font-size=\"13\" text-anchor=\"middle\" fill=\"#222\" "
      + "transform=\"rotate(-90 16 \(f(yMid)))\">\(esc(yLabel))</text>\n"

    if !hasData {
      svg +=
        "<text class=\"empty\" x=\"\(f(m.left + plotWidth / 2))\" y=\"\(f(yMid))\" font-size=\"14\" "
        + "text-anchor=\"middle\" fill=\"#888\">\(esc(emptyNote))</text>\n"
    }

    // Reference lines.
    var referenceSVG = ""
    var referenceBoxes: [(x: Double, y: Double, width: Double, height: Double)] = []
    for r in references where (r.orientation == .horizontal ? yScale : xScale).accepts(r.value) {
      if r.orientation == .horizontal {
        let y = py(r.value)
        referenceSVG +=
          "<line x1=\"\(f(m.left))\" y1=\"\(f(y))\" x2=\"\(f(m.left + plotWidth))\" y2=\"\(f(y))\" "
          + "stroke=\"\(r.color)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
        // Put the label at the end of the line with fewer data points near it.
        let labelWidth = 7.0 * Double(r.label.count) + 10
        let labelY = y - 5 < m.top + 12 ? y + 15 : y - 5
        let rightCount = inkCount(
          x: m.left + plotWidth - 6 - labelWidth, y: labelY - 12, width: labelWidth, height: 16)
        let leftCount = inkCount(x: m.left + 6, y: labelY - 12, width: labelWidth, height: 16)
        let onLeft = leftCount < rightCount
        referenceSVG +=
          "<text x=\"\(f(onLeft ? m.left + 6 : m.left + plotWidth - 6))\" y=\"\(f(labelY))\" font-size=\"12\" "
          + "text-anchor=\"\(onLeft ? "start" : "end")\" "
          + "fill=\"\(r.color)\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">\(esc(r.label))</text>\n"
        referenceBoxes.append(
          (onLeft ? m.left + 6 : m.left + plotWidth - 6 - labelWidth, labelY - 12, labelWidth, 16))
      } else {
        let x = px(r.value)
        referenceSVG +=
          "<line x1=\"\(f(x))\" y1=\"\(f(m.top))\" x2=\"\(f(x))\" y2=\"\(f(m.top + plotHeight))\" "
          + "stroke=\"\(r.color)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
        referenceBoxes.append((x + 5, m.top + plotHeight - 20, 7.0 * Double(r.label.count), 16))
        referenceSVG +=
          "<text x=\"\(f(x + 5))\" y=\"\(f(m.top + plotHeight - 8))\" font-size=\"12\" "
          + "fill=\"\(r.color)\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">\(esc(r.label))</text>\n"
      }
    }

    // Data.
    svg += "<g clip-path=\"url(#\(esc(clipID)))\">\n"
    var colors: [String] = []
    var next = 0
    for s in series {
      if let c = s.color {
        colors.append(c)
      } else {
        colors.append(SVGPlot.palette[next % SVGPlot.palette.count])
        next += 1
      }
    }
    for (index, s) in series.enumerated() {
      let color = colors[index]
      svg += "<g class=\"series\" data-name=\"\(esc(s.name))\">"
      if let band = s.band, band.lower.count == s.x.count, band.upper.count == s.x.count {
        let usable = s.x.indices.filter { i in
          s.x[i].isFinite && band.lower[i].isFinite && band.upper[i].isFinite
            && (!xLog || s.x[i] > 0) && (!yLog || band.lower[i] > 0)
        }
        if usable.count >= 2 {
          let top = usable.map { "\(f(px(s.x[$0]))),\(f(py(band.upper[$0])))" }
          let bottom = usable.reversed().map { "\(f(px(s.x[$0]))),\(f(py(band.lower[$0])))" }
          svg +=
            "<polygon class=\"band\" points=\"\((top + bottom).joined(separator: " "))\" "
            + "fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\"/>"
        }
      }
      if s.style != .markers {
        // Break the polyline at undrawable points.
        var runs: [[(Double, Double)]] = [[]]
        for (x, y) in zip(s.x, s.y) {
          if x.isFinite && y.isFinite && (!xLog || x > 0) && (!yLog || y > 0) {
            runs[runs.count - 1].append((px(x), py(y)))
          } else if !runs[runs.count - 1].isEmpty {
            runs.append([])
          }
        }
        let dash = s.style == .dashedLine ? " stroke-dasharray=\"7 4\"" : ""
        for run in runs where run.count >= 2 {
          let points = run.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
          svg +=
            "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(color)\" "
            + "stroke-width=\"\(f(s.lineWidth))\" stroke-linejoin=\"round\"\(dash)/>"
        }
      }
      if s.style == .markers || s.style == .lineAndMarkers {
        for (x, y) in zip(drawable[index].x, drawable[index].y) {
          svg += "<circle cx=\"\(f(px(x)))\" cy=\"\(f(py(y)))\" r=\"3.2\" fill=\"\(color)\"/>"
        }
      }
      svg += "</g>\n"
    }
    svg += "</g>\n"
    svg += referenceSVG

    // Legend in the corner with the fewest points.
    let entries = series.enumerated().filter { $0.element.inLegend }
    if !entries.isEmpty && hasData {
      let rowHeight = 17.0
      let boxWidth = min(
        plotWidth - 12, 34 + 7.0 * Double(entries.map { $0.element.name.count }.max() ?? 0))
      let boxHeight = 8 + rowHeight * Double(entries.count)
      let corners = [
        (m.left + plotWidth - boxWidth - 6, m.top + 6),  // top right
        (m.left + 6, m.top + 6),  // top left
        (m.left + plotWidth - boxWidth - 6, m.top + plotHeight - boxHeight - 6),  // bottom right
        (m.left + 6, m.top + plotHeight - boxHeight - 6),  // bottom left
      ]
      func crowding(_ corner: (Double, Double)) -> Int {
        var count = inkCount(x: corner.0, y: corner.1, width: boxWidth, height: boxHeight)
        for b in referenceBoxes
        where b.x < corner.0 + boxWidth && b.x + b.width > corner.0 && b.y < corner.1 + boxHeight
          && b.y + b.height > corner.1
        {
          count += 1000
        }
        return count
      }
      var best = corners[0]
      var bestCount = Int.max
      for c in corners {
        let n = crowding(c)
        if n < bestCount {
          best = c
          bestCount = n
        }
      }
      svg += "<g class=\"legend\" font-size=\"12\">"
      svg +=
        "<rect x=\"\(f(best.0))\" y=\"\(f(best.1))\" width=\"\(f(boxWidth))\" height=\"\(f(boxHeight))\" "
        + "fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#cccccc\"/>"
      for (row, entry) in entries.enumerated() {
        let y = best.1 + 4 + rowHeight * (Double(row) + 0.5)
        let color = colors[entry.offset]
        let x0 = best.0 + 8
        if entry.element.style == .markers {
          svg += "<circle cx=\"\(f(x0 + 9))\" cy=\"\(f(y))\" r=\"3.2\" fill=\"\(color)\"/>"
        } else {
          let dash = entry.element.style == .dashedLine ? " stroke-dasharray=\"5 3\"" : ""
          svg +=
            "<line x1=\"\(f(x0))\" y1=\"\(f(y))\" x2=\"\(f(x0 + 18))\" y2=\"\(f(y))\" stroke=\"\(color)\" "
            + "stroke-width=\"2.5\"\(dash)/>"
        }
        svg +=
          "<text x=\"\(f(x0 + 24))\" y=\"\(f(y + 4))\" fill=\"#222\">\(esc(entry.element.name))</text>"
      }
      svg += "</g>\n"
    }
    svg += "</svg>"
    return svg
  }

  /// A coordinate with one decimal (finite by construction; a non-finite value becomes 0).
  func f(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let r = (v * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
  }
}

/// Escapes text for XML/HTML content and attribute values.
func esc(_ s: String) -> String {
  var out = ""
  out.reserveCapacity(s.count)
  for c in s {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.append(c)
    }
  }
  return out
}
