extension DominantSubspaceTracker {
  /// H applied to `count` contiguous columns (one block product), checked for NaN/Inf.
  /// - Throws: the operator's error, or `CurvatureError.nonFinite` for a non-finite output.
  /// - Complexity: `count` HVPs.
  static func products(
    _ op: some HessianOperator, _ columns: UnsafeBufferPointer<Float>, count: Int,
    reusing spare: consuming [Float] = []
  ) throws -> [Float] {
    let n = op.dimension * count
    var out: [Float]
    if spare.count == n {
      out = consume spare
      out.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    } else {
      out = LargeBuffer.zeros(count: n)
    }
    try out.withUnsafeMutableBufferPointer { try op.apply(block: columns, count: count, into: $0) }
    if let bad = out.withUnsafeBufferPointer(Kernels.firstNonFinite) {
      throw CurvatureError.nonFinite(name: "operator output", index: bad)
    }
    return out
  }

  /// Block Rayleigh–Ritz steps from `start` (see ``RefreshMethod/blockRitz(iterations:)``).
  static func blockRitz(
    op: some HessianOperator, start: Basis, k: Int, iterations: Int, tolerance: Double
  ) throws -> EigenResult {
    let p = op.dimension
    let before = op.productCount
    var u = start.count > k ? start.prefix(k) : start
    var values: [Double] = []
    var residuals: [Double] = []
    for _ in 0..<max(1, iterations) {
      let ku = u.count
      let hu = try u.storage.withUnsafeBufferPointer { try Self.products(op, $0, count: ku) }
      // Q = [U, orth(HU)]: CGS2 against U removes U UᵀHU.
      var q = u
      for j in 0..<ku where q.count < p {
        q.append(orthogonalizing: Array(hu[(j * p)..<((j + 1) * p)]))
      }
      let m = q.count
      var hq = hu
      if m > ku {
        hq += try q.storage.withUnsafeBufferPointer {
          try Self.products(
            op, UnsafeBufferPointer(rebasing: $0[(ku * p)..<(m * p)]), count: m - ku)
        }
      }
      // T = QᵀHQ (m × m), then its eigenpairs, descending.
      var t = [Double](repeating: 0, count: m * m)
      hq.withUnsafeBufferPointer { h in
        for j in 0..<m {
          let c = q.coefficients(
            of: Array(UnsafeBufferPointer(rebasing: h[(j * p)..<((j + 1) * p)])))
          for i in 0..<m { t[i * m + j] = c[i] }
        }
      }
      let eig = try SymmetricEigensolver.decompose(t, order: m)
      let keep = min(k, m)
      var x: [Float] = LargeBuffer.zeros(count: p * keep)
      var hx: [Float] = LargeBuffer.zeros(count: p * keep)
      values = Array(eig.values.prefix(keep))
      residuals = []
      q.storage.withUnsafeBufferPointer { qs in
        hq.withUnsafeBufferPointer { hs in
          x.withUnsafeMutableBufferPointer { xs in
            hx.withUnsafeMutableBufferPointer { hxs in
              for i in 0..<keep {
                let xo = UnsafeMutableBufferPointer(rebasing: xs[(i * p)..<((i + 1) * p)])
                let ho = UnsafeMutableBufferPointer(rebasing: hxs[(i * p)..<((i + 1) * p)])
                for j in 0..<m {
                  let y = Float(eig.vectors[i * m + j])
                  Kernels.axpy(y, UnsafeBufferPointer(rebasing: qs[(j * p)..<((j + 1) * p)]), xo)
                  Kernels.axpy(y, UnsafeBufferPointer(rebasing: hs[(j * p)..<((j + 1) * p)]), ho)
                }
                var r = 0.0
                let theta = eig.values[i]
                for l in 0..<p {
                  let d = Double(ho[l]) - theta * Double(xo[l])
                  r += d * d
                }
                residuals.append(r.squareRoot())
              }
            }
          }
        }
      }
      // Re-orthonormalise the Ritz vectors (round-off only) for the next step / the result.
      var next = try Basis(dimension: p)
      for i in 0..<keep { next.append(orthogonalizing: Array(x[(i * p)..<((i + 1) * p)])) }
      u = next
      if u.count < keep { break }
      let done = (0..<keep).allSatisfy { residuals[$0] <= tolerance * abs(values[$0]) }
      if done { break }
    }
    let n = min(values.count, u.count)
    return EigenResult(
      eigenvalues: Array(values.prefix(n)), vectors: u.prefix(n),
      residuals: Array(residuals.prefix(n)),
      converged: (0..<n).map { residuals[$0] <= tolerance * abs(values[$0]) },
      productCount: op.productCount - before, iterations: max(1, iterations), tolerance: tolerance)
  }
}
