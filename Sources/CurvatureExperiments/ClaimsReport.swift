/// The outcome of reproducing one paper: its settings, the claims table, the figures and the
/// wall time.
public struct ClaimsReport: Sendable {
  /// One named setting (model, data, η, seed, ...), in the order shown.
  public struct Setting: Sendable, Equatable {
    /// The setting's name.
    public var name: String
    /// Its value, as shown.
    public var value: String
    /// Creates a setting. - Complexity: O(1).
    public init(_ name: String, _ value: String) {
      self.name = name
      self.value = value
    }
  }

  /// The paper.
  public var paper: Paper
  /// The size the experiment ran at.
  public var size: ExperimentSize
  /// The exact settings of the run.
  public var settings: [Setting]
  /// The claims table.
  public var claims: [Claim]
  /// The figures, in page order.
  public var figures: [ExperimentFigure]
  /// Free-form lines: analysis of claims that do not hold, caveats.
  public var notes: [String]
  /// Wall-clock seconds of the run.
  public var seconds: Double

  /// Creates a report. - Complexity: O(1).
  public init(
    paper: Paper, size: ExperimentSize, settings: [Setting] = [], claims: [Claim] = [],
    figures: [ExperimentFigure] = [], notes: [String] = [], seconds: Double = 0
  ) {
    self.paper = paper
    self.size = size
    self.settings = settings
    self.claims = claims
    self.figures = figures
    self.notes = notes
    self.seconds = seconds
  }

  /// The claim with identifier `id`, if any. - Complexity: O(claims).
  public func claim(_ id: String) -> Claim? { claims.first { $0.id == id } }

  /// The number of claims that hold. - Complexity: O(claims).
  public var holdingCount: Int { claims.filter(\.holds).count }
}
