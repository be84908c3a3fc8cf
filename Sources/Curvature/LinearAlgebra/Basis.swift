/// An orthonormal basis U ∈ R^{P×k} of a k-dimensional subspace, stored column by column in `Float`.
///
/// Columns are contiguous (column j occupies `storage[j*P ..< (j+1)*P]`), so each one can be
/// handed to a Hessian-vector product directly. Construction orthonormalises with classical
/// Gram–Schmidt applied twice (CGS2), which keeps ‖UᵀU − I‖ at round-off level, and drops
/// numerically dependent columns instead of producing NaN.
///
/// Projections (``coefficients(of:into:)``, ``combine(_:into:accumulate:)``, the `project`
/// methods and ``SubspaceProjection``) read the columns in ``precision``: `Float`, or a binary16
/// copy made by ``withPrecision(_:)`` that halves the bytes each projection pass reads.
public struct Basis: Sendable, Equatable {
  /// The ambient dimension P.
  public let dimension: Int
  /// The number of columns k.
  public private(set) var count: Int
  /// Column-major storage, `dimension * count` elements.
  public private(set) var storage: [Float]
  /// The precision in which the projections read the columns.
  public private(set) var precision: BasisPrecision = .single
  /// ε = ‖Ũ − U‖_F, the `Float` distance between the columns as the projections read them and
  /// ``storage`` (0 in ``BasisPrecision/single``).
  public private(set) var precisionError = 0.0
  /// The binary16 copy of ``storage`` (column-major, bit patterns) in ``BasisPrecision/half``.
  private var halfStorage: [UInt16] = []
  /// The int8 copy of ``storage`` in ``BasisPrecision/int8`` (column j at
  /// j·``Int8Kernels/columnStride(rows:)``).
  private var int8Storage: [Int8] = []
  /// The scales of the int8 copy, ⌈P/64⌉ per column (column-major).
  private var int8Scales: [Float] = []

  /// Two bases are equal when they have the same columns and precision (the reduced copy is a
  /// function of both). - Complexity: O(P k).
  public static func == (a: Basis, b: Basis) -> Bool {
    a.dimension == b.dimension && a.count == b.count && a.precision == b.precision
      && a.storage == b.storage
  }

  /// This basis read by its projections in `precision`: for ``BasisPrecision/half`` and
  /// ``BasisPrecision/int8`` the columns are rounded once into a reduced copy, and
  /// ``precisionError`` records ε = ‖Ũ − U‖_F (at most
  /// ``BasisPrecision/representationErrorBound(dimension:count:)``). ``storage`` is unchanged.
  /// - Complexity: O(P k) for a reduced precision (one conversion pass and one error pass),
  ///   O(1) otherwise.
  public func withPrecision(_ precision: BasisPrecision) -> Basis {
    withPrecision(precision, reusing: ReducedCopy())
  }

  /// The arrays of a basis's reduced copy, handed from a retired basis to the next one
  /// (``RefreshBuffers``) so that the next copy is written into memory already mapped.
  struct ReducedCopy {
    var half: [UInt16] = []
    var int8: [Int8] = []
    var scales: [Float] = []
  }

  /// ``withPrecision(_:)`` writing the reduced copy into the arrays of `spare` that have the
  /// right size (``RefreshBuffers``).
  func withPrecision(_ precision: BasisPrecision, reusing spare: consuming ReducedCopy) -> Basis {
    var copy = self
    copy.setPrecision(precision, reusing: spare)
    return copy
  }

  /// The binary16 copy (empty unless ``BasisPrecision/half``).
  var halfBits: [UInt16] { halfStorage }

  /// The int8 copy (empty unless ``BasisPrecision/int8``).
  var int8Bytes: [Int8] { int8Storage }

  /// The reduced copy's arrays (empty in ``BasisPrecision/single``), for reuse by
  /// ``RefreshBuffers``.
  var reducedCopy: ReducedCopy {
    ReducedCopy(half: halfStorage, int8: int8Storage, scales: int8Scales)
  }

  /// Makes the projections read the columns in `precision` (rebuilding the reduced copy, in
  /// the arrays of `spare` that have the right size).
  private mutating func setPrecision(
    _ precision: BasisPrecision, reusing spare: consuming ReducedCopy = ReducedCopy()
  ) {
    self.precision = precision
    halfStorage = []
    int8Storage = []
    int8Scales = []
    precisionError = 0
    guard count > 0 else { return }
    switch precision {
    case .single:
      return
    case .half:
      var half: [UInt16]
      if spare.half.count == storage.count {
        // Moved, not copied: written in place when no one else holds it.
        half = spare.half
        spare.half = []
        storage.withUnsafeBufferPointer { u in
          half.withUnsafeMutableBufferPointer { HalfPrecisionKernels.convert(u, into: $0) }
        }
      } else {
        half = storage.withUnsafeBufferPointer { u in
          LargeBuffer.uninitialized(count: u.count) {
            HalfPrecisionKernels.convert(
              u, into: UnsafeMutableBufferPointer(start: $0, count: u.count))
          }
        }
      }
      let sum = storage.withUnsafeBufferPointer { u in
        half.withUnsafeBufferPointer { HalfPrecisionKernels.squaredError(u, $0) }
      }
      halfStorage = half
      precisionError = sum.squareRoot()
    case .int8:
      let blocks = Int8Kernels.blockCount(rows: dimension) * count
      let byteCount = Int8Kernels.columnStride(rows: dimension) * count
      var bytes: [Int8] = spare.int8.count == byteCount ? spare.int8 : []
      var scales: [Float] = spare.scales.count == blocks ? spare.scales : []
      spare.int8 = []
      spare.scales = []
      if bytes.isEmpty {
        // The conversion writes every column; the padding after each is zeroed here (it is
        // never read, and no array should hold indeterminate bytes).
        let (p, stride) = (dimension, byteCount / count)
        bytes = LargeBuffer.uninitialized(count: byteCount) { base in
          for j in 0..<count { (base + j * stride + p).initialize(repeating: 0, count: stride - p) }
        }
      }
      if scales.isEmpty { scales = LargeBuffer.uninitialized(count: blocks) { _ in } }
      let sum = storage.withUnsafeBufferPointer { u in
        bytes.withUnsafeMutableBufferPointer { q in
          scales.withUnsafeMutableBufferPointer { s in
            Int8Kernels.quantize(
              u, rows: dimension, columns: count, into: q.baseAddress!, scales: s.baseAddress!)
          }
        }
      }
      int8Storage = bytes
      int8Scales = scales
      precisionError = sum.squareRoot()
    }
  }

  /// An empty basis (k = 0) in R^P.
  /// - Throws: `CurvatureError.outOfRange` if `dimension < 1`.
  public init(dimension: Int) throws(CurvatureError) {
    if dimension < 1 {
      throw .outOfRange(name: "dimension", value: Double(dimension), range: "[1, ∞)")
    }
    self.dimension = dimension
    self.count = 0
    self.storage = []
  }

  /// Wraps storage that is already orthonormal (no check). Internal use by solvers.
  @usableFromInline
  init(uncheckedStorage storage: [Float], dimension: Int, count: Int) {
    precondition(storage.count == dimension * count)
    self.dimension = dimension
    self.count = count
    self.storage = storage
  }

  /// Orthonormalises `columns` (each of length `dimension`) with CGS2.
  ///
  /// A column whose norm after orthogonalisation falls below `dropTolerance` times its
  /// original norm is linearly dependent on the previous ones and is dropped (so ``count`` may
  /// be smaller than `columns.count`; zero columns are always dropped). The result never holds
  /// NaN and satisfies ``orthogonalityError`` ≤ 1e-5 for any finite input, including
  /// rank-deficient and nearly dependent columns and entries of any magnitude.
  /// - Throws: `CurvatureError` if `dimension < 1`, `dropTolerance` is outside [0, 1), or a
  ///   column has the wrong length or holds NaN/Inf.
  /// - Complexity: O(P k²).
  public init(orthonormalizing columns: [[Float]], dimension: Int, dropTolerance: Double = 1e-5)
    throws(CurvatureError)
  {
    if dimension <= 0 {
      throw .outOfRange(name: "dimension", value: Double(dimension), range: "[1, ∞)")
    }
    if !(dropTolerance >= 0 && dropTolerance < 1) {
      throw .outOfRange(name: "dropTolerance", value: dropTolerance, range: "[0, 1)")
    }
    for (j, c) in columns.enumerated() {
      try Validate.count("columns[\(j)]", c.count, dimension)
      try Validate.finite("columns[\(j)]", c)
    }
    try self.init(dimension: dimension)
    for c in columns {
      if count == dimension { break }
      _ = append(orthogonalizing: c, dropTolerance: dropTolerance)
    }
  }

  /// Orthogonalises `v` against the basis (CGS2, with a third pass when the second one still
  /// removes more than half of what is left), normalises it and appends it.
  ///
  /// `v` is scaled to unit norm first (norms are accumulated in `Double`), so entries of any
  /// finite magnitude are handled.
  /// - Returns: `false` (and leaves the basis unchanged) if `v` is numerically dependent
  ///   (its component orthogonal to the basis is below `dropTolerance` times its norm), zero,
  ///   holds NaN/Inf, or has a length other than ``dimension``.
  /// - Complexity: O(P k).
  @discardableResult
  public mutating func append(orthogonalizing v: [Float], dropTolerance: Double = 1e-5) -> Bool {
    guard v.count == dimension, count < dimension else { return false }
    let original = Self.norm(v)
    guard original > 0, original.isFinite else { return false }
    var w = v
    let inverse = 1 / original
    for i in 0..<dimension { w[i] = Float(Double(w[i]) * inverse) }
    var previous = Self.norm(w)
    var passes = 0
    while true {
      // In Float whatever ``precision``: the columns themselves must stay orthonormal. (The
      // copy shares the storage and ends with the pass, before `storage` is appended to.)
      let exact = withPrecision(.single)
      let pc = exact.combine(exact.coefficients(of: w))
      for i in 0..<dimension { w[i] -= pc[i] }
      passes += 1
      let current = Self.norm(w)
      if !(current > 0) { return false }
      let reduced = current < 0.5 * previous
      previous = current
      if passes >= 2 && !reduced { break }
      if passes >= 3 { break }
    }
    // previous = ‖w‖ relative to the unit-norm input.
    guard previous > dropTolerance, previous.isFinite else { return false }
    let scale = 1 / previous
    for i in 0..<dimension { w[i] = Float(Double(w[i]) * scale) }
    storage.append(contentsOf: w)
    count += 1
    if precision != .single { setPrecision(precision) }
    return true
  }

  /// The Euclidean norm accumulated in `Double` (no overflow for any finite `Float` input).
  private static func norm(_ x: [Float]) -> Double {
    x.withUnsafeBufferPointer { p in
      var a = SIMD4<Double>()
      var i = 0
      let n = p.count
      while i + 4 <= n {
        let v = SIMD4<Double>(Double(p[i]), Double(p[i + 1]), Double(p[i + 2]), Double(p[i + 3]))
        a += v * v
        i += 4
      }
      var s = a.sum()
      while i < n {
        s += Double(p[i]) * Double(p[i])
        i += 1
      }
      return s.squareRoot()
    }
  }

  /// Column j as a new array. - Complexity: O(P).
  public func column(_ j: Int) -> [Float] {
    precondition(j >= 0 && j < count)
    return Array(storage[(j * dimension)..<((j + 1) * dimension)])
  }

  /// Calls `body` with column j's storage (no copy). - Complexity: O(1).
  public func withColumn<R>(_ j: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows
    -> R
  {
    precondition(j >= 0 && j < count)
    return try storage.withUnsafeBufferPointer {
      try body(UnsafeBufferPointer(rebasing: $0[(j * dimension)..<((j + 1) * dimension)]))
    }
  }

  /// The first `k` columns as a new basis (this basis itself when k ≥ ``count``).
  /// - Complexity: O(P k), O(1) when k ≥ ``count``.
  public func prefix(_ k: Int) -> Basis {
    if k >= count { return self }
    let k = Swift.max(0, k)
    return Basis(
      uncheckedStorage: Array(storage[0..<(k * dimension)]), dimension: dimension, count: k
    ).withPrecision(precision)
  }

  /// Coefficients c = Uᵀx, accumulated in `Double`.
  /// - Complexity: O(P k), one pass over U and x (x is read in cache-sized tiles).
  public func coefficients(of x: [Float]) -> [Double] {
    precondition(x.count == dimension)
    var c = [Double](repeating: 0, count: count)
    x.withUnsafeBufferPointer { xp in
      c.withUnsafeMutableBufferPointer { cp in coefficients(of: xp, into: cp) }
    }
    return c
  }

  /// Writes c = Uᵀx into `c` (length k), accumulated in `Double`.
  ///
  /// P is cut into tiles that stay in cache while each column's tile streams past, so U and x
  /// are each read from memory once; long products use all cores, with a fixed summation order
  /// (the bits of c do not depend on timing or the number of cores).
  /// - Complexity: O(P k), one pass over U and x.
  public func coefficients(
    of x: UnsafeBufferPointer<Float>, into c: UnsafeMutableBufferPointer<Double>
  ) {
    precondition(x.count == dimension && c.count == count)
    if precision != .single, count > 0, let xp = x.baseAddress, let cp = c.baseAddress {
      if precision == .half {
        halfStorage.withUnsafeBufferPointer { h in
          HalfPrecisionKernels.transposeMultiply(
            u: h.baseAddress!, rows: dimension, columns: count, x: xp, into: cp)
        }
      } else {
        int8Storage.withUnsafeBufferPointer { q in
          int8Scales.withUnsafeBufferPointer { s in
            Int8Kernels.transposeMultiply(
              q: q.baseAddress!, scales: s.baseAddress!, rows: dimension, columns: count, x: xp,
              into: cp)
          }
        }
      }
      return
    }
    storage.withUnsafeBufferPointer { u in
      ProjectionKernels.coefficients(of: x, basis: u, dimension: dimension, into: c)
    }
  }

  /// The combination U c. - Complexity: O(P k).
  public func combine(_ c: [Double]) -> [Float] {
    precondition(c.count == count)
    var out = [Float](repeating: 0, count: dimension)
    out.withUnsafeMutableBufferPointer { op in
      c.withUnsafeBufferPointer { cp in combine(cp, into: op, accumulate: false) }
    }
    return out
  }

  /// out ← U c (or out += U c when `accumulate`); c is rounded to `Float` first.
  /// - Complexity: O(P k), one pass over U and out (cache-blocked, all cores when long).
  public func combine(
    _ c: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Float>,
    accumulate: Bool
  ) {
    precondition(c.count == count && out.count == dimension)
    guard let op = out.baseAddress else { return }
    multiplyAdd(c, weight: 1, x: nil, beta: 0, accumulate: accumulate, into: op)
  }

  /// The dominant projection U(Uᵀx). - Complexity: O(P k), two passes over U.
  public func projectDominant(_ x: [Float]) -> [Float] {
    project(x, dominantWeight: 1, bulkWeight: 0)
  }

  /// The bulk projection x − U(Uᵀx). - Complexity: O(P k), two passes over U.
  public func projectBulk(_ x: [Float]) -> [Float] {
    project(x, dominantWeight: 0, bulkWeight: 1)
  }

  /// The interpolated projection α_dom·U(Uᵀx) + α_bulk·(x − U(Uᵀx)) as a new array.
  /// - Complexity: O(P k), two passes over U.
  public func project(_ x: [Float], dominantWeight: Float, bulkWeight: Float) -> [Float] {
    precondition(x.count == dimension)
    var out = [Float](repeating: 0, count: dimension)
    x.withUnsafeBufferPointer { xp in
      out.withUnsafeMutableBufferPointer { op in
        project(xp, dominantWeight: dominantWeight, bulkWeight: bulkWeight, into: op)
      }
    }
    return out
  }

  /// out ← α_dom·U(Uᵀx) + α_bulk·(x − U(Uᵀx)), the interpolated projection
  /// (α = (1, 0) is the dominant projection, (0, 1) the bulk projection, (1, 1) the identity).
  ///
  /// Computed as out = α_bulk·x + (α_dom − α_bulk)·U(Uᵀx) in two cache-blocked passes (the
  /// first reads U and x, the second U, x and writes out; x is not read again when α_bulk = 0).
  /// `out` may be the same memory as `x` (in-place projection).
  /// - Complexity: O(P k), two passes over U, on all cores when P·k is large.
  public func project(
    _ x: UnsafeBufferPointer<Float>, dominantWeight: Float, bulkWeight: Float,
    into out: UnsafeMutableBufferPointer<Float>
  ) {
    var c = [Double](repeating: 0, count: count)
    c.withUnsafeMutableBufferPointer { cp in
      project(
        x, dominantWeight: dominantWeight, bulkWeight: bulkWeight, into: out, coefficients: cp)
    }
  }

  /// Like ``project(_:dominantWeight:bulkWeight:into:)``, and also writes the coefficients
  /// Uᵀx (length k, `Double`) into `coefficients`.
  /// - Complexity: O(P k), two passes over U.
  public func project(
    _ x: UnsafeBufferPointer<Float>, dominantWeight: Float, bulkWeight: Float,
    into out: UnsafeMutableBufferPointer<Float>, coefficients c: UnsafeMutableBufferPointer<Double>
  ) {
    precondition(x.count == dimension && out.count == dimension && c.count == count)
    coefficients(of: x, into: c)
    project(
      x, dominantWeight: dominantWeight, bulkWeight: bulkWeight, into: out,
      knownCoefficients: UnsafeBufferPointer(c))
  }

  /// ``project(_:dominantWeight:bulkWeight:into:coefficients:)`` for coefficients c = Uᵀx
  /// already computed by ``coefficients(of:into:)`` for this basis and this x: only the second
  /// pass runs, and the result is the same bit for bit. - Complexity: O(P k), one pass over U.
  func project(
    _ x: UnsafeBufferPointer<Float>, dominantWeight: Float, bulkWeight: Float,
    into out: UnsafeMutableBufferPointer<Float>, knownCoefficients c: UnsafeBufferPointer<Double>
  ) {
    precondition(x.count == dimension && out.count == dimension && c.count == count)
    guard let xp = x.baseAddress, let op = out.baseAddress else { return }
    multiplyAdd(
      c, weight: Double(dominantWeight) - Double(bulkWeight), x: bulkWeight == 0 ? nil : xp,
      beta: bulkWeight, accumulate: false, into: op)
  }

  /// w ← w − η·(α_dom·U c + α_bulk·(g − U c)) for c = Uᵀg computed earlier by
  /// ``coefficients(of:into:)`` (a projected gradient step without storing the projected
  /// gradient): one pass over U, g and w, as w + (−η α_bulk)·g + U d with d = −η(α_dom − α_bulk)c.
  /// - Complexity: O(P k), one pass over U.
  func descend(
    _ w: UnsafeMutableBufferPointer<Float>, along g: UnsafeBufferPointer<Float>,
    learningRate: Float, dominantWeight: Float, bulkWeight: Float,
    knownCoefficients c: UnsafeBufferPointer<Double>
  ) {
    precondition(w.count == dimension && g.count == dimension && c.count == count)
    guard dimension > 0, let wp = w.baseAddress, let gp = g.baseAddress else { return }
    let eta = Double(learningRate)
    let beta = Float(-eta * Double(bulkWeight))
    multiplyAdd(
      c, weight: -eta * (Double(dominantWeight) - Double(bulkWeight)),
      x: bulkWeight == 0 ? nil : gp, beta: beta, accumulate: true, into: wp)
  }

  /// out ← β·x + U d (out += β·x + U d when `accumulate`; no β·x term when `x` is nil) with
  /// d = Float(weight·c), reading U in ``precision``: the second pass of every projection.
  /// - Complexity: O(P k), one pass over U, x and out.
  private func multiplyAdd(
    _ c: UnsafeBufferPointer<Double>, weight: Double, x: UnsafePointer<Float>?, beta: Float,
    accumulate: Bool, into out: UnsafeMutablePointer<Float>
  ) {
    precondition(c.count == count)
    ProjectionKernels.withFloatCoefficients(c, weight: weight) { d in
      if precision == .half, count > 0 {
        halfStorage.withUnsafeBufferPointer { h in
          HalfPrecisionKernels.multiplyAdd(
            u: h.baseAddress!, rows: dimension, columns: count, coefficients: d, x: x,
            beta: beta, accumulate: accumulate, into: out)
        }
      } else if precision == .int8, count > 0 {
        int8Storage.withUnsafeBufferPointer { q in
          int8Scales.withUnsafeBufferPointer { s in
            Int8Kernels.multiplyAdd(
              q: q.baseAddress!, scales: s.baseAddress!, rows: dimension, columns: count,
              coefficients: d, x: x, beta: beta, accumulate: accumulate, into: out)
          }
        }
      } else {
        storage.withUnsafeBufferPointer { u in
          // With k = 0 the kernel reads no column (any pointer will do).
          ProjectionKernels.multiplyAdd(
            u: u.baseAddress ?? UnsafePointer(out), rows: dimension, columns: count,
            coefficients: d, x: x,
            beta: beta, accumulate: accumulate, into: out)
        }
      }
    }
  }

  /// Whether `other` shares this basis's storage and precision (the same columns, read the same
  /// way, without comparing them). - Complexity: O(1).
  func sharesStorage(with other: Basis) -> Bool {
    guard count == other.count, dimension == other.dimension, count > 0,
      precision == other.precision
    else { return false }
    let a = storage.withUnsafeBufferPointer { $0.baseAddress }
    let b = other.storage.withUnsafeBufferPointer { $0.baseAddress }
    return a != nil && a == b
  }

  /// max |UᵀU − I|, a check of orthonormality. - Complexity: O(P k²).
  public var orthogonalityError: Double {
    var worst = 0.0
    for i in 0..<count {
      for j in 0...i {
        let d = withColumn(i) { a in withColumn(j) { b in Kernels.dot(a, b) } }
        worst = Swift.max(worst, abs(d - (i == j ? 1 : 0)))
      }
    }
    return worst
  }
}
