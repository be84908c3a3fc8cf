@testable import CurvatureExperiments

/// Checks shared by every paper's quick run: ids present, finite numbers where the claim was
/// measured, figures with data, and `holds` consistent with the threshold.
func checkShape(_ r: ClaimsReport, ids: [String], figures: [String]) -> Bool {
  let claimIDs = r.claims.map(\.id)
  let figureIDs = r.figures.map(\.id)
  let consistent = r.claims.allSatisfy {
    $0.holds == ($0.threshold.accepts($0.measured) && ($0.precondition?.met ?? true))
  }
  let drawn = r.figures.allSatisfy { f in
    f.series.contains { s in s.y.contains { $0.isFinite } }
      && f.series.allSatisfy { $0.x.count == $0.y.count }
  }
  return ids.allSatisfy(claimIDs.contains) && figures.allSatisfy(figureIDs.contains) && consistent
    && drawn && !r.settings.isEmpty && r.seconds > 0
}
