extension DominantSubspaceTracker {
  /// One subspace-iteration step from `start` (see ``RefreshMethod/subspaceIteration``):
  /// eigenvalues and residuals of the Ritz pairs of span(`start`), vectors orth(H X).
  /// With `averaging` β > 0 and the previous eigenvalues Λ (one per column of `start`), the
  /// products are mixed with the previous estimate, Y = (1 − β) H U + β U Λ: the step is a
  /// power step on (1 − β) H + β U Λ Uᵀ, an exponentially weighted average of the Hessians
  /// seen by past refreshes (useful when each refresh sees a small, noisy Hessian batch).
  /// - Complexity: k HVPs (one block product) plus O(P k²).
  static func subspaceIteration(
    op: some HessianOperator, start: Basis, k: Int, tolerance: Double,
    previousEigenvalues: [Double] = [], averaging: Double = 0
  ) throws -> EigenResult {
    let p = op.dimension
    let before = op.productCount
    let u = start.count > k ? start.prefix(k) : start
    let m = u.count
    // Y = HU.
    var y = try u.storage.withUnsafeBufferPointer { try Self.products(op, $0, count: m) }
    if averaging > 0, previousEigenvalues.count >= m {
      let a = Float(1 - averaging)
      u.storage.withUnsafeBufferPointer { us in
        y.withUnsafeMutableBufferPointer { ys in
          for j in 0..<m {
            let b = Float(averaging * previousEigenvalues[j])
            for l in (j * p)..<((j + 1) * p) { ys[l] = a * ys[l] + b * us[l] }
          }
        }
      }
    }
    // T = UᵀY (column j = Uᵀy_j) and its eigenpairs, descending (`decompose` symmetrises T).
    var t = [Double](repeating: 0, count: m * m)
    u.storage.withUnsafeBufferPointer { us in
      y.withUnsafeBufferPointer { ys in
        t.withUnsafeMutableBufferPointer { ts in
          for j in 0..<m {
            ProjectionKernels.coefficients(
              of: UnsafeBufferPointer(rebasing: ys[(j * p)..<((j + 1) * p)]), basis: us,
              dimension: p, into: UnsafeMutableBufferPointer(rebasing: ts[(j * m)..<((j + 1) * m)]))
          }
        }
      }
    }
    let eig = try SymmetricEigensolver.decompose(t, order: m)
    // Ritz vectors X = U S and HX = Y S (S: column i = eigenvector i).
    var x = [Float](repeating: 0, count: p * m)
    var hx = [Float](repeating: 0, count: p * m)
    eig.vectors.withUnsafeBufferPointer { s in
      u.storage.withUnsafeBufferPointer { us in
        x.withUnsafeMutableBufferPointer {
          ColumnBlock.times(
            us.baseAddress!, rows: p, columns: m, s.baseAddress!, columns: m, into: $0.baseAddress!)
        }
      }
      y.withUnsafeBufferPointer { ys in
        hx.withUnsafeMutableBufferPointer {
          ColumnBlock.times(
            ys.baseAddress!, rows: p, columns: m, s.baseAddress!, columns: m, into: $0.baseAddress!)
        }
      }
    }
    // Exact residuals ‖HXᵢ − θᵢ Xᵢ‖ (in Double).
    var residuals = [Double](repeating: 0, count: m)
    x.withUnsafeBufferPointer { xs in
      hx.withUnsafeBufferPointer { hs in
        for i in 0..<m {
          let theta = eig.values[i]
          var r = 0.0
          for l in (i * p)..<((i + 1) * p) {
            let d = Double(hs[l]) - theta * Double(xs[l])
            r += d * d
          }
          residuals[i] = r.squareRoot()
        }
      }
    }
    // The next basis: orth(HX) in the order of Θ; should H annihilate a direction of span(U),
    // the Ritz vectors fill the basis back up to m columns.
    var next = try Basis(dimension: p)
    for i in 0..<m where next.count < m {
      next.append(orthogonalizing: Array(hx[(i * p)..<((i + 1) * p)]))
    }
    for i in 0..<m where next.count < m {
      next.append(orthogonalizing: Array(x[(i * p)..<((i + 1) * p)]))
    }
    let n = min(m, next.count)
    return EigenResult(
      eigenvalues: Array(eig.values.prefix(n)), vectors: next.prefix(n),
      residuals: Array(residuals.prefix(n)),
      converged: (0..<n).map { residuals[$0] <= tolerance * abs(eig.values[$0]) },
      productCount: op.productCount - before, iterations: 1, tolerance: tolerance)
  }
}
