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
    var cosines = [Double](repeating: 0, count: n)
    var sines = [Double](repeating: 0, count: n)
    let eps = Double.ulpOfOne
    var failed = false
    d.withUnsafeMutableBufferPointer { d in
      e.withUnsafeMutableBufferPointer { e in
        z.withUnsafeMutableBufferPointer { z in
          cosines.withUnsafeMutableBufferPointer { cs in
            sines.withUnsafeMutableBufferPointer { sn in
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
                  while i >= l {
                    let f = s * e[i]
                    let b = c * e[i]
                    r = hypotenuse(f, g)
                    e[i + 1] = r
                    if r == 0 {
                      // The matrix split: undo the pending shift and restart from l.
                      d[i + 1] -= p
                      e[m] = 0
                      split = true
                      break
                    }
                    s = f / r
                    c = g / r
                    g = d[i + 1] - p
                    r = (d[i] - g) * s + 2 * c * b
                    p = s * r
                    d[i + 1] = g + p
                    g = c * r - b
                    cs[i] = c
                    sn[i] = s
                    lowest = i
                    i -= 1
                  }
                  if rows > 0 && lowest < m {
                    applyRotations(
                      z, rows: rows, from: m - 1, downTo: lowest, cosines: UnsafeBufferPointer(cs),
                      sines: UnsafeBufferPointer(sn))
                  }
                  if split { continue }
                  d[l] -= p
                  e[l] = g
                  e[m] = 0
                }
              }
            }
          }
        }
      }
    }
    if failed {
      throw .diverged(reason: "tridiagonal QL iteration did not converge in 60 sweeps")
    }
    let unscale = 1 / scale
    for i in 0..<n { d[i] *= unscale }
  }

  /// Applies rotations i = `top`, `top` − 1, …, `bottom` to columns (i, i + 1) of the
  /// column-major `rows`×n matrix z: (zᵢ, zᵢ₊₁) ← (c zᵢ − s zᵢ₊₁, s zᵢ + c zᵢ₊₁).
  /// Rows are processed in blocks that stay in cache; large problems use both cores.
  private static func applyRotations(
    _ z: UnsafeMutableBufferPointer<Double>, rows: Int, from top: Int, downTo bottom: Int,
    cosines: UnsafeBufferPointer<Double>, sines: UnsafeBufferPointer<Double>
  ) {
    guard let base = z.baseAddress, let cp = cosines.baseAddress, let sp = sines.baseAddress
    else { return }
    let block = 128
    let blocks = (rows + block - 1) / block
    let work = rows * (top - bottom + 1)
    let zAddress = Int(bitPattern: base)
    let cAddress = Int(bitPattern: cp)
    let sAddress = Int(bitPattern: sp)
    func run(_ firstBlock: Int, _ lastBlock: Int) {
      let z = UnsafeMutablePointer<Double>(bitPattern: zAddress)!
      let cp = UnsafePointer<Double>(bitPattern: cAddress)!
      let sp = UnsafePointer<Double>(bitPattern: sAddress)!
      for b in firstBlock..<lastBlock {
        let r0 = b * block
        let r1 = Swift.min(rows, r0 + block)
        var i = top
        while i >= bottom {
          let c = cp[i]
          let s = sp[i]
          let lo = z + i * rows
          let hi = z + (i + 1) * rows
          for k in r0..<r1 {
            let x = lo[k]
            let y = hi[k]
            lo[k] = c * x - s * y
            hi[k] = s * x + c * y
          }
          i -= 1
        }
      }
    }
    if work >= 1 << 16 && blocks >= 2 {
      let half = blocks / 2
      Parallel.run(parts: 2) { part in
        if part == 0 { run(0, half) } else { run(half, blocks) }
      }
    } else {
      run(0, blocks)
    }
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
