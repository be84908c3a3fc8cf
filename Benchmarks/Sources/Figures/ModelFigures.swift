import Curvature

/// Prints the model figures table (ratios measured side by side in one run).
func modelFigures(arguments: [String]) throws {
  print("model: no figures yet")
}
