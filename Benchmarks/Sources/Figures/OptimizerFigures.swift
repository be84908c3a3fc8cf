import Curvature

/// Prints the optimizer figures table (ratios measured side by side in one run).
func optimizerFigures(arguments: [String]) throws {
  print("optimizer: no figures yet")
}
