import Curvature

/// Prints the kernel figures table (ratios measured side by side in one run).
func kernelFigures(arguments: [String]) throws {
  print("kernel: no figures yet")
}
