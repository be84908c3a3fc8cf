import Foundation
import Testing

@testable import CurvatureCLI

@Suite struct SVGPlotTests {
  @Test func nonFinitePointsBreakTheLineAndNeverReachTheOutput() throws {
    var plot = SVGPlot(id: "p", title: "t", xLabel: "x", yLabel: "y", yLog: true)
    plot.series = [PlotSeries(name: "a", x: [1, 2, 3, 4, 5], y: [1, 2, .nan, 4, 5])]
    let svg = plot.render()
    #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
    #expect(!svg.lowercased().contains("nan"))
    let checker = try ReportWriterTests.check(svg)
    #expect(checker.badNumbers.isEmpty)
  }

  @Test func nonPositiveValuesAreSkippedOnLogAxes() throws {
    var plot = SVGPlot(id: "p", title: "t", xLabel: "x", yLabel: "y", yLog: true)
    plot.series = [PlotSeries(name: "a", x: [1, 2, 3], y: [-1, 0, 5], style: .markers)]
    let svg = plot.render()
    #expect(svg.components(separatedBy: "<circle").count - 1 == 2)  // one data point + legend marker
    #expect(try ReportWriterTests.check(svg).badNumbers.isEmpty)
  }

  @Test func referenceLinesLegendsAndLabels() throws {
    var plot = SVGPlot(id: "p", title: "Sharpness", xLabel: "training step", yLabel: "λ₁")
    plot.series = [
      PlotSeries(name: "SGD", x: [0, 10, 20], y: [1, 5, 9]),
      PlotSeries(name: "hidden", x: [0, 20], y: [2, 3], inLegend: false),
    ]
    plot.references = [ReferenceLine(orientation: .horizontal, value: 20, label: "2/η = 20")]
    let svg = plot.render()
    #expect(svg.contains(">2/η = 20</text>"))
    #expect(svg.contains(">SGD</text>"))
    #expect(!svg.contains(">hidden</text>"))
    #expect(svg.contains(">training step</text>"))
    #expect(svg.contains("rotate(-90"))
    // The axis reaches the reference line.
    #expect(svg.contains(">20</text>"))
  }

  @Test func legendAvoidsTheData() {
    // Data rising to the top right: the legend goes elsewhere.
    var plot = SVGPlot(id: "p", title: "t", xLabel: "x", yLabel: "y")
    let xs = (0..<100).map(Double.init)
    plot.series = [PlotSeries(name: "rising", x: xs, y: xs.map { $0 * $0 })]
    let svg = plot.render()
    let legend = svg.range(of: "<g class=\"legend\"")!
    let rect = svg[legend.upperBound...].prefix(80)
    #expect(rect.contains("x=\"\(Int(SVGPlot.margin.left) + 6)\""))
  }
}
