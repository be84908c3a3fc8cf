/// Grassmann and alignment metrics between subspaces, parameter masks and gradients.
///
/// All quantities are computed in `Double` from the `Float` bases. With orthonormal bases
/// U ∈ R^{P×k_U}, V ∈ R^{P×k_V}:
/// - principal angles θᵢ = arccos σᵢ(UᵀV), i = 1 … min(k_U, k_V), ascending;
/// - subspace overlap ‖UᵀV‖²_F / max(k_U, k_V) ∈ [0, 1], 1 exactly when the subspaces coincide
///   (for k_U = k_V = k this is Gur-Ari et al.'s ‖UᵀV‖²_F / k);
/// - mask overlap ‖U[M, :]‖²_F / k for a set M of m coordinates, chance level m/P;
/// - gradient alignment χ_k(g) = ‖Uᵀg‖ / ‖g‖ and the top fraction f_top = χ_k², chance level k/P.
public enum SubspaceMetrics {
  /// The principal angles between span(U) and span(V), ascending, in radians.
  ///
  /// Cosines are the singular values of UᵀV; sines are the square roots of the eigenvalues of
  /// WᵀW with W = (I − UUᵀ)V (V the basis with fewer columns), and θᵢ = atan2(sin θᵢ, cos θᵢ).
  /// This keeps small angles accurate where arccos alone would lose half the digits (it reports
  /// ~4·10⁻⁴ for two `Float` copies of the same subspace; this reports ~10⁻⁷).
  /// - Returns: min(k_U, k_V) angles in [0, π/2].
  /// - Throws: `CurvatureError.dimensionMismatch` if the ambient dimensions differ;
  ///   `.invalidArgument` if a basis is empty.
  /// - Complexity: O(P k_U k_V + P k²) with k = min(k_U, k_V), plus a k_U×k_V SVD and a k×k
  ///   eigendecomposition.
  public static func principalAngles(_ u: Basis, _ v: Basis) throws(CurvatureError) -> [Double] {
    try validatePair(u, v)
    // Let `big` have at least as many columns as `small`: then (I − P_big)·small has singular
    // values sin θᵢ for all min(k_U, k_V) angles.
    let (big, small) = u.count >= v.count ? (u, v) : (v, u)
    let p = big.dimension
    let kb = big.count
    let ks = small.count
    let c = crossProduct(big, small)  // row-major kb×ks
    let cosines = try SingularValueDecomposition(c, rows: kb, columns: ks).singularValues
    // W = small − big (bigᵀ small), column by column in Double.
    var w = [Double](repeating: 0, count: p * ks)
    for j in 0..<ks {
      small.withColumn(j) { col in
        for r in 0..<p { w[j * p + r] = Double(col[r]) }
      }
      for i in 0..<kb {
        let cij = c[i * ks + j]
        big.withColumn(i) { col in
          for r in 0..<p { w[j * p + r] -= cij * Double(col[r]) }
        }
      }
    }
    var gram = [Double](repeating: 0, count: ks * ks)
    for i in 0..<ks {
      for j in 0...i {
        var s = 0.0
        for r in 0..<p { s += w[i * p + r] * w[j * p + r] }
        gram[i * ks + j] = s
        gram[j * ks + i] = s
      }
    }
    // Eigenvalues descending = sin² descending; pair them with the ascending cosines.
    let sines2 = try SymmetricEigensolver.decompose(gram, order: ks).values
    var angles = [Double](repeating: 0, count: ks)
    for i in 0..<ks {
      let sine = Swift.max(0, sines2[ks - 1 - i]).squareRoot()
      angles[i] = Swift.min(Double.pi / 2, atan2Positive(sine, Swift.min(1, cosines[i])))
    }
    return angles.sorted()
  }

  /// The subspace overlap ‖UᵀV‖²_F / max(k_U, k_V) ∈ [0, 1].
  /// - Throws: `CurvatureError` if the dimensions differ or a basis is empty.
  /// - Complexity: O(P k_U k_V).
  public static func overlap(_ u: Basis, _ v: Basis) throws(CurvatureError) -> Double {
    try validatePair(u, v)
    let c = crossProduct(u, v)
    var s = 0.0
    for x in c { s += x * x }
    return Swift.min(1, s / Double(Swift.max(u.count, v.count)))
  }

  /// The expected ``overlap(_:_:)`` of two independent uniformly random subspaces of dimensions
  /// `k1` and `k2` in R^P: min(k1, k2) / P.
  /// - Throws: `CurvatureError.outOfRange` unless 1 ≤ k1, k2 ≤ P.
  /// - Complexity: O(1).
  public static func overlapChanceLevel(dimension: Int, _ k1: Int, _ k2: Int) throws(CurvatureError)
    -> Double
  {
    try checkCount("dimension", dimension, 1...Int.max)
    try checkCount("k1", k1, 1...dimension)
    try checkCount("k2", k2, 1...dimension)
    return Double(Swift.min(k1, k2)) / Double(dimension)
  }

  /// The mask overlap ‖U[M, :]‖²_F / k: the fraction of the eigenspace's energy on the m
  /// coordinates in `mask` (each in 0..<P, no repeats, any order).
  /// - Throws: `CurvatureError` if the basis is empty, the mask is empty, or an index is out of
  ///   range or repeated.
  /// - Complexity: O(P + m k).
  public static func maskOverlap(_ u: Basis, mask: [Int]) throws(CurvatureError) -> Double {
    if u.count == 0 { throw .invalidArgument(name: "basis", reason: "is empty (k = 0)") }
    try validateMask(mask, dimension: u.dimension)
    let p = u.dimension
    var s = 0.0
    u.storage.withUnsafeBufferPointer { storage in
      for j in 0..<u.count {
        let base = j * p
        for i in mask {
          let x = Double(storage[base + i])
          s += x * x
        }
      }
    }
    return Swift.min(1, s / Double(u.count))
  }

  /// The chance level m/P of ``maskOverlap(_:mask:)`` for a uniformly random mask of m
  /// coordinates (the expectation for any fixed orthonormal U).
  /// - Throws: `CurvatureError.outOfRange` unless 0 ≤ m ≤ P and P ≥ 1.
  /// - Complexity: O(1).
  public static func maskChanceLevel(maskSize m: Int, dimension: Int) throws(CurvatureError)
    -> Double
  {
    try checkCount("dimension", dimension, 1...Int.max)
    try checkCount("maskSize", m, 0...dimension)
    return Double(m) / Double(dimension)
  }

  /// The indices of the m largest-magnitude entries of `weights`, in ascending index order
  /// (ties in |w| go to the lower index) — e.g. a magnitude mask for ``maskOverlap(_:mask:)``.
  /// - Throws: `CurvatureError` if `count` is outside 0…P or a weight is NaN/Inf.
  /// - Complexity: O(P log m) time, O(m) extra memory.
  public static func largestMagnitudeIndices(_ weights: [Float], count m: Int)
    throws(CurvatureError) -> [Int]
  {
    try checkCount("count", m, 0...weights.count)
    try Validate.finite("weights", weights)
    if m == 0 { return [] }
    // A min-heap of the m best (magnitude, index) so far; "smaller" = weaker candidate, i.e.
    // lower magnitude, or equal magnitude and higher index.
    var heap: [(Float, Int)] = []
    heap.reserveCapacity(m)
    @inline(__always) func weaker(_ a: (Float, Int), _ b: (Float, Int)) -> Bool {
      a.0 < b.0 || (a.0 == b.0 && a.1 > b.1)
    }
    func siftDown(_ start: Int) {
      var i = start
      while true {
        let l = 2 * i + 1
        if l >= heap.count { return }
        var c = l
        if l + 1 < heap.count && weaker(heap[l + 1], heap[l]) { c = l + 1 }
        if weaker(heap[c], heap[i]) {
          heap.swapAt(c, i)
          i = c
        } else {
          return
        }
      }
    }
    for (i, w) in weights.enumerated() {
      let item = (abs(w), i)
      if heap.count < m {
        heap.append(item)
        var c = heap.count - 1
        while c > 0 {
          let parent = (c - 1) / 2
          if weaker(heap[c], heap[parent]) {
            heap.swapAt(c, parent)
            c = parent
          } else {
            break
          }
        }
      } else if weaker(heap[0], item) {
        heap[0] = item
        siftDown(0)
      }
    }
    return heap.map { $0.1 }.sorted()
  }

  /// The gradient alignment χ_k(g) = ‖P_dom g‖ / ‖g‖ = ‖Uᵀg‖ / ‖g‖ ∈ [0, 1].
  /// - Throws: `CurvatureError` if `gradient.count != P`, it holds NaN/Inf, it is zero, or the
  ///   basis is empty.
  /// - Complexity: O(P k).
  public static func gradientAlignment(_ gradient: [Float], basis: Basis) throws(CurvatureError)
    -> Double
  {
    try topFraction(gradient, basis: basis).squareRoot()
  }

  /// The fraction of the gradient's squared norm in the subspace, f_top = χ_k² ∈ [0, 1].
  /// - Throws: as ``gradientAlignment(_:basis:)``.
  /// - Complexity: O(P k).
  public static func topFraction(_ gradient: [Float], basis: Basis) throws(CurvatureError)
    -> Double
  {
    if basis.count == 0 { throw .invalidArgument(name: "basis", reason: "is empty (k = 0)") }
    try Validate.count("gradient", gradient.count, basis.dimension)
    try Validate.finite("gradient", gradient)
    var g2 = 0.0
    for x in gradient { g2 += Double(x) * Double(x) }
    if g2 == 0 { throw .invalidArgument(name: "gradient", reason: "is zero: alignment undefined") }
    var c2 = 0.0
    for j in 0..<basis.count {
      let c = basis.withColumn(j) { col in
        var s = 0.0
        for r in 0..<col.count { s += Double(col[r]) * Double(gradient[r]) }
        return s
      }
      c2 += c * c
    }
    return Swift.min(1, c2 / g2)
  }

  /// The chance level k/P of ``topFraction(_:basis:)`` for a gradient direction uniformly
  /// distributed on the sphere. - Complexity: O(1).
  public static func topFractionChanceLevel(basis: Basis) -> Double {
    Double(basis.count) / Double(basis.dimension)
  }

  // MARK: - Validation and products

  private static func validatePair(_ u: Basis, _ v: Basis) throws(CurvatureError) {
    try Validate.count("second basis dimension", v.dimension, u.dimension)
    if u.count == 0 { throw .invalidArgument(name: "first basis", reason: "is empty (k = 0)") }
    if v.count == 0 { throw .invalidArgument(name: "second basis", reason: "is empty (k = 0)") }
  }

  private static func validateMask(_ mask: [Int], dimension p: Int) throws(CurvatureError) {
    if mask.isEmpty { throw .invalidArgument(name: "mask", reason: "is empty") }
    var seen = [Bool](repeating: false, count: p)
    for (n, i) in mask.enumerated() {
      if i < 0 || i >= p {
        throw .invalidArgument(name: "mask[\(n)]", reason: "index \(i) is outside 0..<\(p)")
      }
      if seen[i] { throw .invalidArgument(name: "mask[\(n)]", reason: "index \(i) is repeated") }
      seen[i] = true
    }
  }

  private static func checkCount(_ name: String, _ value: Int, _ range: ClosedRange<Int>)
    throws(CurvatureError)
  {
    if !range.contains(value) {
      let upper = range.upperBound == Int.max ? "∞" : String(range.upperBound)
      throw .outOfRange(name: name, value: Double(value), range: "[\(range.lowerBound), \(upper)]")
    }
  }

  /// UᵀV as a row-major k_U×k_V matrix, accumulated in `Double`.
  static func crossProduct(_ u: Basis, _ v: Basis) -> [Double] {
    let (ku, kv, p) = (u.count, v.count, u.dimension)
    var c = [Double](repeating: 0, count: ku * kv)
    guard ku > 0, kv > 0 else { return c }
    // VᵀU column-major (kv × ku) is UᵀV row-major (ku × kv): one pass over U and V.
    u.storage.withUnsafeBufferPointer { us in
      v.storage.withUnsafeBufferPointer { vs in
        c.withUnsafeMutableBufferPointer {
          ProjectionKernels.crossProduct(
            vs.baseAddress!, columns: kv, us.baseAddress!, columns: ku, rows: p,
            into: $0.baseAddress!)
        }
      }
    }
    return c
  }

  /// atan2(y, x) for y, x ≥ 0 in portable Swift (no libm): the angle in [0, π/2].
  static func atan2Positive(_ y: Double, _ x: Double) -> Double {
    if y == 0 { return 0 }
    if x == 0 { return Double.pi / 2 }
    // Reduce to a ratio t ∈ [0, 1], then atan(t) = 2 atan(t / (1 + √(1 + t²))) (t ≤ 0.415),
    // then the odd Taylor series.
    let swap = y > x
    let t = swap ? x / y : y / x
    let reduced = t / (1 + (1 + t * t).squareRoot())
    let r2 = reduced * reduced
    var term = reduced
    var sum = 0.0
    var k = 1.0
    var sign = 1.0
    while k < 200 {
      let add = sign * term / k
      sum += add
      if abs(add) <= 1e-17 * abs(sum) { break }
      term *= r2
      k += 2
      sign = -sign
    }
    let angle = 2 * sum
    return swap ? Double.pi / 2 - angle : angle
  }
}
