/// A stochastic estimate with its standard error.
public struct TraceEstimate: Sendable, Equatable {
  /// The estimate.
  public var value: Double
  /// The estimated standard error of `value` (sample standard deviation over √probes of the
  /// stochastic part; 0 when the estimate is exact).
  public var standardError: Double
  /// Operator products spent.
  public var productCount: Int
}

/// Stochastic trace estimators from operator products.
///
/// Hutchinson: tr(H) = E[zᵀHz] for Rademacher z, with variance 2(‖H‖²_F − Σᵢ Hᵢᵢ²) per probe.
/// Hutch++ (Meyer, Musco, Musco, Woodruff 2021) spends a third of its products on a sketch
/// S, a third on H·Q for Q = orth(HS), computing tr(QᵀHQ) exactly, and the rest on Hutchinson
/// for the deflated remainder (I − QQᵀ)H(I − QQᵀ): for a decaying spectrum its error falls like
/// 1/m instead of 1/√m. ‖H‖²_F = tr(H²) = E‖Hz‖².
public enum TraceEstimator {
  /// Hutchinson's estimate of tr(H) with `probes` Rademacher vectors.
  /// - Throws: `CurvatureError` if `probes < 2` or the operator returns NaN/Inf.
  /// - Complexity: `probes` products (in blocks of `blockSize`), O(P · probes).
  public static func hutchinson(
    of op: some HessianOperator, probes: Int, seed: UInt64 = 0, blockSize: Int = 16
  ) throws -> TraceEstimate {
    try checkProbes(probes, blockSize)
    var rng = SeededGenerator(seed: seed)
    let p = op.dimension
    var samples: [Double] = []
    try forEachProduct(op, count: probes, blockSize: blockSize, rng: &rng) { z, hz in
      samples.append(Kernels.dot(z, hz))
    }
    let (mean, se) = meanAndError(samples)
    _ = p
    return TraceEstimate(value: mean, standardError: se, productCount: probes)
  }

  /// The Hutch++ estimate of tr(H) with a total budget of `products` products (≥ 3).
  /// - Throws: `CurvatureError` if `products < 6` or the operator returns NaN/Inf.
  /// - Complexity: `products` products, O(P · products²) vector work.
  public static func hutchPlusPlus(
    of op: some HessianOperator, products: Int, seed: UInt64 = 0, blockSize: Int = 16
  ) throws -> TraceEstimate {
    if products < 6 {
      throw CurvatureError.outOfRange(name: "products", value: Double(products), range: "[6, ∞)")
    }
    if blockSize < 1 {
      throw CurvatureError.outOfRange(name: "blockSize", value: Double(blockSize), range: "[1, ∞)")
    }
    let p = op.dimension
    var rng = SeededGenerator(seed: seed)
    let s = min(products / 3, p)
    let g = products - 2 * s
    // Sketch: Q = orth(H S) for Rademacher S.
    var q = try Basis(dimension: p)
    try forEachProduct(op, count: s, blockSize: blockSize, rng: &rng) { _, hz in
      q.append(orthogonalizing: Array(hz))
    }
    // Exact part tr(QᵀHQ).
    var exact = 0.0
    let k = q.count
    if k > 0 {
      var out = [Float](repeating: 0, count: p * k)
      try q.storage.withUnsafeBufferPointer { qs in
        try out.withUnsafeMutableBufferPointer {
          try applyBlocks(op, qs, count: k, blockSize: blockSize, into: $0)
        }
      }
      for j in 0..<k {
        exact += q.withColumn(j) { col in
          out.withUnsafeBufferPointer {
            Kernels.dot(col, UnsafeBufferPointer(rebasing: $0[(j * p)..<((j + 1) * p)]))
          }
        }
      }
    }
    // Remainder: Hutchinson on (I − QQᵀ) H (I − QQᵀ).
    var samples: [Double] = []
    var used = 0
    var batch: [[Float]] = []
    func flush() throws {
      if batch.isEmpty { return }
      let b = batch.count
      var input = [Float]()
      input.reserveCapacity(p * b)
      for z in batch { input.append(contentsOf: z) }
      var out = [Float](repeating: 0, count: p * b)
      try input.withUnsafeBufferPointer { ip in
        try out.withUnsafeMutableBufferPointer {
          try applyBlocks(op, ip, count: b, blockSize: b, into: $0)
        }
      }
      for j in 0..<b {
        samples.append(Kernels.dot(batch[j], Array(out[(j * p)..<((j + 1) * p)])))
      }
      used += b
      batch.removeAll()
    }
    for _ in 0..<g {
      batch.append(q.projectBulk(rng.rademacherVector(count: p)))
      if batch.count == blockSize { try flush() }
    }
    try flush()
    let (mean, se) = meanAndError(samples)
    return TraceEstimate(value: exact + mean, standardError: se, productCount: s + k + used)
  }

  /// ‖H‖²_F = tr(H²) = E‖Hz‖² with `probes` Rademacher vectors.
  /// - Throws: `CurvatureError` if `probes < 2` or the operator returns NaN/Inf.
  /// - Complexity: `probes` products, O(P · probes).
  public static func frobeniusNormSquared(
    of op: some HessianOperator, probes: Int, seed: UInt64 = 0, blockSize: Int = 16
  ) throws -> TraceEstimate {
    try checkProbes(probes, blockSize)
    var rng = SeededGenerator(seed: seed)
    var samples: [Double] = []
    try forEachProduct(op, count: probes, blockSize: blockSize, rng: &rng) { _, hz in
      samples.append(Kernels.dot(hz, hz))
    }
    let (mean, se) = meanAndError(samples)
    return TraceEstimate(value: mean, standardError: se, productCount: probes)
  }

  static func checkProbes(_ probes: Int, _ blockSize: Int) throws(CurvatureError) {
    if probes < 2 {
      throw .outOfRange(name: "probes", value: Double(probes), range: "[2, ∞)")
    }
    if blockSize < 1 {
      throw .outOfRange(name: "blockSize", value: Double(blockSize), range: "[1, ∞)")
    }
  }

  static func meanAndError(_ x: [Double]) -> (Double, Double) {
    let n = Double(x.count)
    if x.isEmpty { return (0, 0) }
    let mean = x.reduce(0, +) / n
    if x.count < 2 { return (mean, 0) }
    let v = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
    return (mean, (v / n).squareRoot())
  }

  /// Multiplies `count` Rademacher probes by H in blocks and calls `body(z, Hz)` for each.
  static func forEachProduct(
    _ op: some HessianOperator, count: Int, blockSize: Int, rng: inout SeededGenerator,
    _ body: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void
  ) throws {
    let p = op.dimension
    var done = 0
    while done < count {
      let b = min(blockSize, count - done)
      var z = [Float]()
      z.reserveCapacity(p * b)
      for _ in 0..<b { z.append(contentsOf: rng.rademacherVector(count: p)) }
      var hz = [Float](repeating: 0, count: p * b)
      try z.withUnsafeBufferPointer { zp in
        try hz.withUnsafeMutableBufferPointer {
          try applyBlocks(op, zp, count: b, blockSize: b, into: $0)
        }
      }
      z.withUnsafeBufferPointer { zp in
        hz.withUnsafeBufferPointer { hp in
          for j in 0..<b {
            body(
              UnsafeBufferPointer(rebasing: zp[(j * p)..<((j + 1) * p)]),
              UnsafeBufferPointer(rebasing: hp[(j * p)..<((j + 1) * p)]))
          }
        }
      }
      done += b
    }
  }

  /// out ← H V in blocks of at most `blockSize`, checking the output is finite.
  static func applyBlocks(
    _ op: some HessianOperator, _ v: UnsafeBufferPointer<Float>, count: Int, blockSize: Int,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    let p = op.dimension
    var start = 0
    while start < count {
      let b = min(blockSize, count - start)
      let input = UnsafeBufferPointer(rebasing: v[(start * p)..<((start + b) * p)])
      let dst = UnsafeMutableBufferPointer(rebasing: out[(start * p)..<((start + b) * p)])
      if b == 1 {
        try op.apply(input, into: dst)
      } else {
        try op.apply(block: input, count: b, into: dst)
      }
      if let bad = dst.firstIndex(where: { !$0.isFinite }) {
        throw CurvatureError.nonFinite(name: "operator output", index: bad % p)
      }
      start += b
    }
  }
}
