import Curvature

/// How large an experiment runs.
public enum ExperimentSize: String, Sendable, CaseIterable {
  /// Seconds: small models and few steps, for the test suite and a first look.
  case quick
  /// The reproduction proper, sized to finish within about ten minutes on two cores.
  case full
}

/// The papers whose claims `curvature reproduce` checks.
public enum Paper: String, Sendable, CaseIterable {
  case song2024, zakarin2025, kiselev2026, fernandez2025, fort2019, gilmer2022

  /// The paper's title.
  public var title: String {
    switch self {
    case .song2024: return "Does SGD really happen in tiny subspaces?"
    case .zakarin2025: return "Accelerating Neural Network Training Along Sharp and Flat Directions"
    case .kiselev2026: return "Curvature-Aligned Probing for Local Loss-Landscape Stabilization"
    case .fernandez2025:
      return
        "Connecting Parameter Magnitudes and Hessian Eigenspaces at Scale using Sketched Methods"
    case .fort2019: return "Emergent properties of the local geometry of neural loss landscapes"
    case .gilmer2022:
      return "A Loss Curvature Perspective on Training Instabilities of Deep Learning Models"
    }
  }

  /// Authors, venue and year.
  public var citation: String {
    switch self {
    case .song2024: return "Song, Ahn & Yun, ICLR 2025 (arXiv 2405.16002, 2024)"
    case .zakarin2025: return "Zakarin & Singh, arXiv 2505.11972 (2025)"
    case .kiselev2026: return "Kiselev & Grabovoy, arXiv 2604.14870 (2026)"
    case .fernandez2025:
      return "Fernandez, Schneider, Mahsereci & Hennig, TMLR 2025 (arXiv 2504.14701)"
    case .fort2019: return "Fort & Ganguli, arXiv 1910.05929 (2019); Fort & Scherlis, AAAI 2019"
    case .gilmer2022: return "Gilmer, Ghorbani, Garg, et al., ICLR 2022 (arXiv 2110.04369)"
    }
  }

  /// Runs the experiment at `size` and checks the paper's claims.
  /// - Parameter progress: receives one line per stage (for a progress display).
  /// - Throws: `CurvatureError` if a model, solver or dataset fails; a claim that does not
  ///   hold is not an error.
  /// - Complexity: seconds at ``ExperimentSize/quick``, minutes at ``ExperimentSize/full``.
  public func reproduce(
    _ size: ExperimentSize, progress: @escaping (String) -> Void = { _ in }
  ) throws -> ClaimsReport {
    let clock = ContinuousClock()
    let start = clock.now
    var report: ClaimsReport
    switch self {
    case .song2024: report = try Song2024.run(size, progress: progress)
    case .zakarin2025: report = try Zakarin2025.run(size, progress: progress)
    case .kiselev2026: report = try Kiselev2026.run(size, progress: progress)
    case .fernandez2025: report = try Fernandez2025.run(size, progress: progress)
    case .fort2019: report = try Fort2019.run(size, progress: progress)
    case .gilmer2022: report = try Gilmer2022.run(size, progress: progress)
    }
    report.seconds = Lab.seconds(since: start, clock)
    return report
  }
}
