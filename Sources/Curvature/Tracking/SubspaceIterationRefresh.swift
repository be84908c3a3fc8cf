extension DominantSubspaceTracker {
  /// One subspace-iteration step from `start` (see ``RefreshMethod/subspaceIteration``):
  /// eigenvalues and residuals of the Ritz pairs of span(`start`), vectors orth(H X).
  /// With `averaging` β > 0 and the previous eigenvalues Λ (one per column of `start`), the
  /// products are mixed with the previous estimate, Y = (1 − β) H U + β U Λ: the step is a
  /// power step on (1 − β) H + β U Λ Uᵀ, an exponentially weighted average of the Hessians
  /// seen by past refreshes (useful when each refresh sees a small, noisy Hessian batch).
  ///
  /// The vector work is a fixed number of passes over P × k blocks: T = UᵀY in one pass, HX =
  /// Y S, the residuals ‖HXᵢ − θᵢ U sᵢ‖ without storing X = U S, and HX orthonormalised in
  /// place by Cholesky QR twice; the only P × k arrays are Y and the new basis, taken from
  /// `buffers` when given (a tracker's scratch and the basis it retired last time). Should
  /// HX be numerically dependent (H annihilates a direction of span(U)), the basis is built by
  /// Gram–Schmidt with the Ritz vectors filling it back up to k columns.
  /// - Complexity: k HVPs (one block product) plus O(P k²) in about eight passes over P × k.
  static func subspaceIteration(
    op: some HessianOperator, start: Basis, k: Int, tolerance: Double,
    previousEigenvalues: [Double] = [], averaging: Double = 0, buffers: RefreshBuffers? = nil
  ) throws -> EigenResult {
    let p = op.dimension
    let before = op.productCount
    let u = start.count > k ? start.prefix(k) : start
    let m = u.count
    // Y = HU.
    var y = try u.storage.withUnsafeBufferPointer {
      try Self.products(op, $0, count: m, reusing: buffers?.takeProducts(count: p * m) ?? [])
    }
    defer { buffers?.returnProducts(y) }
    if averaging > 0, previousEigenvalues.count >= m {
      let a = Float(1 - averaging)
      u.storage.withUnsafeBufferPointer { us in
        y.withUnsafeMutableBufferPointer { ys in
          // Column by column, on all cores for large P (element-wise: the same bits either way).
          let (ub, yb) = (us.baseAddress!, ys.baseAddress!)
          let column = { (j: Int) in
            let b = Float(averaging * previousEigenvalues[j])
            for l in (j * p)..<((j + 1) * p) { yb[l] = a * yb[l] + b * ub[l] }
          }
          if p * m >= ProjectionKernels.parallelWork {
            Parallel.forEach(m, column)
          } else {
            for j in 0..<m { column(j) }
          }
        }
      }
    }
    // T = UᵀY (column j = Uᵀy_j) and its eigenpairs, descending (`decompose` symmetrises T).
    var t = [Double](repeating: 0, count: m * m)
    u.storage.withUnsafeBufferPointer { us in
      y.withUnsafeBufferPointer { ys in
        t.withUnsafeMutableBufferPointer {
          ProjectionKernels.crossProduct(
            us.baseAddress!, columns: m, ys.baseAddress!, columns: m, rows: p,
            into: $0.baseAddress!)
        }
      }
    }
    let eig = try SymmetricEigensolver.decompose(t, order: m)
    // HX = Y S (S: column i = eigenvector i) and the residuals ‖HXᵢ − θᵢ Xᵢ‖ with X = U S.
    var hx = buffers?.takeRetiredColumns(count: p * m) ?? []
    eig.vectors.withUnsafeBufferPointer { s in
      y.withUnsafeBufferPointer { ys in
        let product = { (out: UnsafeMutablePointer<Float>) in
          ColumnBlock.times(
            ys.baseAddress!, rows: p, columns: m, s.baseAddress!, columns: m, into: out)
        }
        if hx.count == p * m {
          hx.withUnsafeMutableBufferPointer { product($0.baseAddress!) }
        } else {
          // Every element is written by the product (no zero fill of P × k floats first).
          hx = LargeBuffer.uninitialized(count: p * m, product)
        }
      }
    }
    let residuals = eig.vectors.withUnsafeBufferPointer { s in
      u.storage.withUnsafeBufferPointer { us in
        hx.withUnsafeBufferPointer { hs in
          ColumnBlock.residualNorms(
            hs.baseAddress!, us.baseAddress!, rows: p, columns: m, s.baseAddress!, columns: m,
            values: eig.values)
        }
      }
    }
    // The next basis: orth(HX) in the order of Θ.
    let orthonormal = hx.withUnsafeMutableBufferPointer {
      ColumnBlock.choleskyOrthonormalize($0.baseAddress!, rows: p, columns: m)
    }
    let next =
      orthonormal
      ? Basis(uncheckedStorage: hx, dimension: p, count: m)
      : try Self.gramSchmidtBasis(u: u, y: y, vectors: eig.vectors)
    let n = min(m, next.count)
    return EigenResult(
      eigenvalues: Array(eig.values.prefix(n)), vectors: next.prefix(n),
      residuals: Array(residuals.prefix(n)),
      converged: (0..<n).map { residuals[$0] <= tolerance * abs(eig.values[$0]) },
      productCount: op.productCount - before, iterations: 1, tolerance: tolerance)
  }

  /// orth(Y S) by Gram–Schmidt with column dropping, filled back up to m columns with the Ritz
  /// vectors U S (the rare case in which H annihilates a direction of span(U)).
  /// - Complexity: O(P m²).
  private static func gramSchmidtBasis(u: Basis, y: [Float], vectors s: [Double]) throws -> Basis {
    let (p, m) = (u.dimension, u.count)
    var x: [Float] = LargeBuffer.zeros(count: p * m)
    var hx: [Float] = LargeBuffer.zeros(count: p * m)
    s.withUnsafeBufferPointer { s in
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
    var next = try Basis(dimension: p)
    for i in 0..<m where next.count < m {
      next.append(orthogonalizing: Array(hx[(i * p)..<((i + 1) * p)]))
    }
    for i in 0..<m where next.count < m {
      next.append(orthogonalizing: Array(x[(i * p)..<((i + 1) * p)]))
    }
    return next
  }
}
