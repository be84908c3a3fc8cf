import Curvature

/// Prints the spectrum figures table (ratios measured side by side in one run).
func spectrumFigures(arguments: [String]) throws {
  print("spectrum: no figures yet")
}
