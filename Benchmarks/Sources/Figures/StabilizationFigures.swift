import Curvature

/// Prints the stabilization figures table (ratios measured side by side in one run).
func stabilizationFigures(arguments: [String]) throws {
  print("stabilization: no figures yet")
}
