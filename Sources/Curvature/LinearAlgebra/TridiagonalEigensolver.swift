/// Eigenvalues and eigenvectors of a real symmetric tridiagonal matrix, in `Double`.
///
/// The method is the implicit QL iteration with Wilkinson shifts (the shift is the eigenvalue of
/// the leading 2×2 block nearer its first diagonal entry), with deflation whenever an
/// off-diagonal entry falls below one ulp of its neighbouring diagonal entries. The matrix is
/// scaled by a power of two first, so neither overflow nor underflow can occur for finite input.
/// Every eigenvalue is accurate to a small multiple of ε‖T‖ and the eigenvectors are orthonormal
/// to round-off.
public enum SymmetricTridiagonalEigensolver {
  /// Decomposes the symmetric tridiagonal matrix with the given diagonal (length n) and
  /// off-diagonal (length n − 1; `offDiagonal[i]` couples rows i and i + 1).
  ///
  /// - Parameters:
  ///   - diagonal: the n diagonal entries.
  ///   - offDiagonal: the n − 1 sub/super-diagonal entries (empty when n ≤ 1).
  ///   - computeVectors: when `false` only eigenvalues are computed and `vectors` is empty.
  /// - Returns: eigenvalues in descending order and, if requested, the matching orthonormal
  ///   eigenvectors as the columns of a column-major n×n array.
  /// - Throws: `CurvatureError.dimensionMismatch` if `offDiagonal.count != max(n − 1, 0)`,
  ///   `.nonFinite` for NaN/Inf input, `.diverged` if the iteration fails to converge (not
  ///   observed in practice: the limit is 60 iterations per eigenvalue).
  /// - Complexity: O(n²) for eigenvalues only; about 6n³ flops with eigenvectors (the rotations
  ///   are applied in cache blocks on both cores for large n).
  public static func decompose(
    diagonal: [Double], offDiagonal: [Double], computeVectors: Bool = true
  ) throws(CurvatureError) -> SymmetricEigendecomposition {
    let n = diagonal.count
    try Validate.count("offDiagonal", offDiagonal.count, Swift.max(n - 1, 0))
    try Validate.finite("diagonal", diagonal)
    try Validate.finite("offDiagonal", offDiagonal)
    if n == 0 { return SymmetricEigendecomposition(order: 0, values: [], vectors: []) }
    var d = diagonal
    var e = offDiagonal
    e.append(0)
    var z: [Double] = []
    if computeVectors {
      z = [Double](repeating: 0, count: n * n)
      for i in 0..<n { z[i * n + i] = 1 }
    }
    try implicitQL(diagonal: &d, offDiagonal: &e, vectors: &z, rows: computeVectors ? n : 0)
    return sortedDescending(values: d, vectors: z, rows: computeVectors ? n : 0)
  }

  /// Up to this many rows of z are rotated as each rotation is found; more are rotated in
  /// cache-blocked batches.
  static let immediateRows = 8

  /// Runs the implicit QL iteration in place.
  ///
  /// On return `d` holds the (unsorted) eigenvalues. `e` has length n (the last entry is
  /// workspace). If `rows > 0`, `z` is a column-major `rows`×n matrix whose columns are rotated
  /// by every plane rotation of the iteration: start from the identity to get the eigenvectors
  /// of T, or from Q to get those of A = Q T Qᵀ.
  static func implicitQL(
    diagonal d: inout [Double], offDiagonal e: inout [Double], vectors z: inout [Double], rows: Int
  ) throws(CurvatureError) {
    let n = d.count
    precondition(e.count == n && z.count == rows * n)
    if n <= 1 { return }
    // Scale by a power of two so the largest entry has magnitude in [1, 2): exact, and no
    // intermediate quantity below can overflow or lose everything to underflow.
    var largest = 0.0
    for i in 0..<n { largest = Swift.max(largest, abs(d[i]), abs(e[i])) }
    if largest == 0 { return }
    let scale = Double(sign: .plus, exponent: -largest.exponent, significand: 1)
    for i in 0..<n {
      d[i] *= scale
      e[i] *= scale
    }
    e[n - 1] = 0
    // Rotations are recorded and applied to z in batches of many sweeps: each row of z only
    // depends on its own entries, so a block of rows can take every rotation of the batch while
    // it sits in cache, and z is streamed once per batch instead of once per sweep.
    var batch = RotationBatch()
    let batchLimit = 32 * n
    let eps = Double.ulpOfOne
    var failed = false
    d.withUnsafeMutableBufferPointer { d in
      e.withUnsafeMutableBufferPointer { e in
        z.withUnsafeMutableBufferPointer { z in
          for l in 0..<n {
            var iterations = 0
            while true {
              // Find the first negligible off-diagonal entry at or after l.
              var m = l
              while m < n - 1 {
                let dd = abs(d[m]) + abs(d[m + 1])
                if abs(e[m]) <= eps * dd { break }
                m += 1
              }
              if m == l { break }
              iterations += 1
              if iterations > 60 {
                failed = true
                return
              }
              // Wilkinson shift from the leading 2×2 block of the unreduced part.
              var g = (d[l + 1] - d[l]) / (2 * e[l])
              var r = hypotenuse(g, 1)
              g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r))
              var s = 1.0
              var c = 1.0
              var p = 0.0
              var i = m - 1
              var lowest = m
              var split = false
              let start = batch.cosines.count
              while i >= l {
                let f = s * e[i]
                let b = c * e[i]
                // The entries are scaled into [1, 2), so f² + g² cannot overflow; the careful
                // form is only needed when it underflows.
                r = (f * f + g * g).squareRoot()
                if r < 1e-150 { r = hypotenuse(f, g) }
                e[i + 1] = r
                if r == 0 {
                  // The matrix split: undo the pending shift and restart from l.
                  d[i + 1] -= p
                  e[m] = 0
                  split = true
                  break
                }
                let inverse = 1 / r
                s = f * inverse
                c = g * inverse
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                if rows > 0 && rows <= Self.immediateRows {
                  // A few rows (the last components of Ritz vectors): rotate them right away.
                  for q in 0..<rows {
                    let x = z[i * rows + q]
                    let y = z[(i + 1) * rows + q]
                    z[i * rows + q] = c * x - s * y
                    z[(i + 1) * rows + q] = s * x + c * y
                  }
                } else if rows > 0 {
                  batch.cosines.append(c)
                  batch.sines.append(s)
                }
                lowest = i
                i -= 1
              }
              if rows > Self.immediateRows && lowest < m {
                batch.sweeps.append((top: m - 1, bottom: lowest, offset: start))
                if batch.cosines.count >= batchLimit { batch.apply(to: z, rows: rows) }
              }
              if split { continue }
              d[l] -= p
              e[l] = g
              e[m] = 0
            }
          }
          if rows > Self.immediateRows { batch.apply(to: z, rows: rows) }
        }
      }
    }
    if failed {
      throw .diverged(reason: "tridiagonal QL iteration did not converge in 60 sweeps")
    }
    let unscale = 1 / scale
    for i in 0..<n { d[i] *= unscale }
  }

  /// Orders eigenpairs by descending eigenvalue (ties keep their index order).
  static func sortedDescending(values: [Double], vectors: [Double], rows: Int)
    -> SymmetricEigendecomposition
  {
    let n = values.count
    let order = (0..<n).sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
    let sortedValues = order.map { values[$0] }
    var sortedVectors: [Double] = []
    if rows > 0 {
      sortedVectors = [Double](repeating: 0, count: rows * n)
      sortedVectors.withUnsafeMutableBufferPointer { out in
        vectors.withUnsafeBufferPointer { src in
          for (dst, from) in order.enumerated() {
            for k in 0..<rows { out[dst * rows + k] = src[from * rows + k] }
          }
        }
      }
    }
    return SymmetricEigendecomposition(order: n, values: sortedValues, vectors: sortedVectors)
  }
}

/// √(x² + y²) without overflow or destructive underflow.
@inline(__always)
func hypotenuse(_ x: Double, _ y: Double) -> Double {
  let a = abs(x)
  let b = abs(y)
  let big = Swift.max(a, b)
  if big == 0 { return 0 }
  let ratio = Swift.min(a, b) / big
  return big * (1 + ratio * ratio).squareRoot()
}

/// Plane rotations recorded over several QL sweeps, applied to the columns of a column-major
/// matrix in one cache-blocked pass.
private struct RotationBatch {
  /// Cosines and sines in recording order.
  var cosines: [Double] = []
  var sines: [Double] = []
  /// Each sweep rotates columns (i, i + 1) for i = top, top − 1, …, bottom; its first rotation
  /// is at `offset`.
  var sweeps: [(top: Int, bottom: Int, offset: Int)] = []

  /// Applies every recorded rotation, in order, to the column-major `rows`×n matrix z:
  /// (zᵢ, zᵢ₊₁) ← (c zᵢ − s zᵢ₊₁, s zᵢ + c zᵢ₊₁); then empties the batch.
  mutating func apply(to z: UnsafeMutableBufferPointer<Double>, rows: Int) {
    defer {
      cosines.removeAll(keepingCapacity: true)
      sines.removeAll(keepingCapacity: true)
      sweeps.removeAll(keepingCapacity: true)
    }
    guard !sweeps.isEmpty, let base = z.baseAddress else { return }
    let block = 32
    let blocks = (rows + block - 1) / block
    let sweeps = self.sweeps
    cosines.withUnsafeBufferPointer { cp in
      sines.withUnsafeBufferPointer { sp in
        let cp = cp.baseAddress!
        let sp = sp.baseAddress!
        func run(_ firstBlock: Int, _ lastBlock: Int) {
          for b in firstBlock..<lastBlock {
            let r0 = b * block
            let r1 = Swift.min(rows, r0 + block)
            for sweep in sweeps {
              var i = sweep.top
              var t = sweep.offset
              while i >= sweep.bottom {
                let c = cp[t]
                let s = sp[t]
                let lo = base + i * rows
                let hi = base + (i + 1) * rows
                let cv = SIMD4<Double>(repeating: c)
                let sv = SIMD4<Double>(repeating: s)
                var k = r0
                while k + 4 <= r1 {
                  let pl = UnsafeMutableRawPointer(lo + k)
                  let ph = UnsafeMutableRawPointer(hi + k)
                  let x = pl.loadUnaligned(as: SIMD4<Double>.self)
                  let y = ph.loadUnaligned(as: SIMD4<Double>.self)
                  pl.storeBytes(of: cv * x - sv * y, as: SIMD4<Double>.self)
                  ph.storeBytes(of: sv * x + cv * y, as: SIMD4<Double>.self)
                  k += 4
                }
                while k < r1 {
                  let x = lo[k]
                  let y = hi[k]
                  lo[k] = c * x - s * y
                  hi[k] = s * x + c * y
                  k += 1
                }
                i -= 1
                t += 1
              }
            }
          }
        }
        if blocks >= 2 && rows * cosines.count >= 1 << 16 {
          let half = blocks / 2
          Parallel.forEach(2) { part in
            if part == 0 { run(0, half) } else { run(half, blocks) }
          }
        } else {
          run(0, blocks)
        }
      }
    }
  }
}
