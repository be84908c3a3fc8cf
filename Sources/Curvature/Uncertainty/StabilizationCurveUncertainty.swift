extension StabilizationCurve {
  /// Intervals for Δ(k) at each grid point, with the sampling error (which samples the orders
  /// add) kept apart from the Monte Carlo probe error.
  ///
  /// The spread of the per-order values across R orders estimates sampling plus probe variance;
  /// the mean squared within-order Monte Carlo error estimates the probe part. So the probe
  /// standard error of the mean is √(mean_r mc²/R) and the sampling one
  /// √(max(0, s²_orders − mean_r mc²)/R), with Student's t at R − 1 degrees of freedom. Δ(k) is
  /// an average over sample orders, so no finite-population correction applies.
  /// - Returns: one interval per grid point, or `nil` with fewer than two orders (the sampling
  ///   error cannot be estimated from one order).
  /// - Throws: `CurvatureError.outOfRange` for a confidence outside (0, 1).
  /// - Complexity: O(R · grid size).
  public func uncertainty(confidence: Double = 0.95) throws(CurvatureError) -> [UncertainValue]? {
    if !(confidence > 0 && confidence < 1) {
      throw .outOfRange(name: "confidence", value: confidence, range: "(0, 1)")
    }
    let r = perOrder.count
    guard r >= 2 else { return nil }
    return sampleCounts.indices.map { i in
      let values = perOrder.map { $0[i] }
      let mean = values.reduce(0, +) / Double(r)
      var ss = 0.0
      for v in values { ss += (v - mean) * (v - mean) }
      let between = ss / Double(r - 1)
      var mc2 = 0.0
      if monteCarloStandardError.count == r {
        for row in monteCarloStandardError where i < row.count { mc2 += row[i] * row[i] }
        mc2 /= Double(r)
      }
      return UncertainValue(
        estimate: mean, raw: mean,
        samplingStandardError: (max(0, between - mc2) / Double(r)).squareRoot(),
        probeStandardError: (mc2 / Double(r)).squareRoot(), confidence: confidence,
        degreesOfFreedom: r - 1)
    }
  }
}
