/// A plot's data, independent of how it is drawn: series of (x, y) points on linear or log
/// axes, with horizontal or vertical reference lines.
public struct ExperimentFigure: Sendable {
  /// One series.
  public struct Series: Sendable {
    /// How the points are drawn.
    public enum Style: String, Sendable { case line, dashedLine, markers, lineAndMarkers }
    /// Legend name.
    public var name: String
    /// x values.
    public var x: [Double]
    /// y values (same length as `x`; non-finite points are not drawn).
    public var y: [Double]
    /// Drawing style.
    public var style: Style
    /// Creates a series. - Complexity: O(1).
    public init(_ name: String, x: [Double], y: [Double], style: Style = .line) {
      self.name = name
      self.x = x
      self.y = y
      self.style = style
    }
  }

  /// A labelled reference line (2/η, the chance level, ...).
  public struct Reference: Sendable {
    /// Whether the line is horizontal (y = value) or vertical (x = value).
    public var horizontal: Bool
    /// Its position.
    public var value: Double
    /// Its label.
    public var label: String
    /// Creates a reference line. - Complexity: O(1).
    public init(horizontal: Bool = true, value: Double, label: String) {
      self.horizontal = horizontal
      self.value = value
      self.label = label
    }
  }

  /// A short identifier (used as the SVG id and the CSV file name).
  public var id: String
  /// The title.
  public var title: String
  /// A caption: what the plot shows and what to look for.
  public var caption: String
  /// Axis labels with units.
  public var xLabel: String
  /// Axis labels with units.
  public var yLabel: String
  /// Logarithmic axes.
  public var xLog: Bool
  /// Logarithmic axes.
  public var yLog: Bool
  /// The data.
  public var series: [Series]
  /// Reference lines.
  public var references: [Reference]

  /// Creates a figure. - Complexity: O(1).
  public init(
    id: String, title: String, caption: String, xLabel: String, yLabel: String,
    xLog: Bool = false, yLog: Bool = false, series: [Series] = [], references: [Reference] = []
  ) {
    self.id = id
    self.title = title
    self.caption = caption
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.xLog = xLog
    self.yLog = yLog
    self.series = series
    self.references = references
  }
}
