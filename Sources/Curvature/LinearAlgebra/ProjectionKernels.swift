import CCurvatureKernels

/// Cache-blocked tall-skinny products with a column-major U ∈ R^{P×k}: Uᵀx and β·x + U d.
///
/// P is processed in tiles: a tile of x (or of the output) stays in L2 while the matching tile
/// of every column of U streams past it a few columns at a time, so U is read from memory
/// exactly once per product and x (or the output) once, not k times. On x86-64 CPUs with
/// AVX-512 or AVX2+FMA the tile loops are C kernels chosen at run time (software prefetch
/// across pages, streaming stores for outputs much larger than the caches; see ``path``);
/// elsewhere they are Swift SIMD. Long products run on all cores. Uᵀx is reduced over fixed
/// parts of `part` (2¹⁸) elements whose Double partial sums are added in part order, and every
/// output element of U d goes through the same arithmetic whatever the split, so results do not
/// depend on timing or on the number of cores.
///
/// ``Basis`` uses these for its projections; they are public for callers that keep their own
/// column-major P×k storage (`u.count == dimension · k`).
public enum ProjectionKernels {
  /// The instruction set of the tile loops, detected once for this process.
  static let isa: curvature_isa = curvature_detect_isa()

  /// The tile-loop path the projections use on this machine: `"avx512"` or `"avx2+fma"` (C
  /// kernels chosen at run time on x86-64) or `"swift-simd"` (baseline x86-64 and other
  /// architectures).
  /// - Complexity: O(1).
  public static var path: String { name(of: isa) }

  static func name(of isa: curvature_isa) -> String {
    guard curvature_projection_supported(isa) != 0 else { return "swift-simd" }
    return isa == CURVATURE_ISA_AVX512 ? "avx512" : "avx2+fma"
  }

  /// Elements of x / out per cache tile of the Swift path (256 KiB of Float, held in L2).
  static let tile = 65536
  /// Outputs of at least this many elements (16 MiB) are written with streaming stores by the
  /// C kernels: they cannot stay in cache, so reading them before writing only costs bandwidth.
  static let streamingThreshold = 1 << 22
  /// Elements per reduction part of Uᵀx (the unit of the fixed summation order).
  static let part = 1 << 18
  /// Float accumulation block (elements) before lanes are flushed to Double.
  static let block = 512
  /// Below this many multiply–adds (P·k) a product stays on one core.
  static let parallelWork = 1 << 20

  // MARK: - Public buffer forms

  /// c ← Uᵀx in `Double` for a column-major U with `dimension` rows (k = `u.count / dimension`).
  /// - Complexity: O(P k), one pass over U and x; all cores when P·k is large.
  public static func coefficients(
    of x: UnsafeBufferPointer<Float>, basis u: UnsafeBufferPointer<Float>, dimension: Int,
    into c: UnsafeMutableBufferPointer<Double>
  ) {
    coefficients(of: x, basis: u, dimension: dimension, into: c, isa: isa)
  }

  /// ``coefficients(of:basis:dimension:into:)`` with the tile loops of `isa` (the Swift SIMD
  /// loops when the C kernels do not support it).
  static func coefficients(
    of x: UnsafeBufferPointer<Float>, basis u: UnsafeBufferPointer<Float>, dimension: Int,
    into c: UnsafeMutableBufferPointer<Double>, isa: curvature_isa
  ) {
    let k = columns(u, dimension)
    precondition(x.count == dimension && c.count == k, "coefficients: size mismatch")
    guard k > 0, let cp = c.baseAddress else { return }
    guard dimension > 0, let up = u.baseAddress, let xp = x.baseAddress else {
      c.update(repeating: 0)
      return
    }
    transposeMultiply(u: up, rows: dimension, columns: k, x: xp, into: cp, isa: isa)
  }

  /// out ← U c (or out += U c when `accumulate`); c is rounded to `Float` first.
  /// - Complexity: O(P k), one pass over U and out; all cores when P·k is large.
  public static func combine(
    _ c: UnsafeBufferPointer<Double>, basis u: UnsafeBufferPointer<Float>, dimension: Int,
    into out: UnsafeMutableBufferPointer<Float>, accumulate: Bool
  ) {
    combine(c, basis: u, dimension: dimension, into: out, accumulate: accumulate, isa: isa)
  }

  /// ``combine(_:basis:dimension:into:accumulate:)`` with the tile loops of `isa`.
  static func combine(
    _ c: UnsafeBufferPointer<Double>, basis u: UnsafeBufferPointer<Float>, dimension: Int,
    into out: UnsafeMutableBufferPointer<Float>, accumulate: Bool, isa: curvature_isa
  ) {
    let k = columns(u, dimension)
    precondition(c.count == k && out.count == dimension, "combine: size mismatch")
    guard dimension > 0, let op = out.baseAddress else { return }
    guard k > 0, let up = u.baseAddress else {
      if !accumulate { out.update(repeating: 0) }
      return
    }
    withFloatCoefficients(c, weight: 1) { d in
      multiplyAdd(
        u: up, rows: dimension, columns: k, coefficients: d, x: nil, beta: 0,
        accumulate: accumulate, into: op, isa: isa)
    }
  }

  /// out ← α_dom·U(Uᵀx) + α_bulk·(x − U(Uᵀx)), computed as α_bulk·x + (α_dom − α_bulk)·U c
  /// with c = Uᵀx (written to `c`) in two cache-blocked passes; x is not read in the second
  /// pass when α_bulk = 0. `out` may be the same memory as `x`.
  /// - Complexity: O(P k), two passes over U; all cores when P·k is large.
  public static func project(
    _ x: UnsafeBufferPointer<Float>, basis u: UnsafeBufferPointer<Float>, dimension: Int,
    dominantWeight: Float, bulkWeight: Float, into out: UnsafeMutableBufferPointer<Float>,
    coefficients c: UnsafeMutableBufferPointer<Double>
  ) {
    project(
      x, basis: u, dimension: dimension, dominantWeight: dominantWeight, bulkWeight: bulkWeight,
      into: out, coefficients: c, isa: isa)
  }

  /// ``project(_:basis:dimension:dominantWeight:bulkWeight:into:coefficients:)`` with the tile
  /// loops of `isa`.
  static func project(
    _ x: UnsafeBufferPointer<Float>, basis u: UnsafeBufferPointer<Float>, dimension: Int,
    dominantWeight: Float, bulkWeight: Float, into out: UnsafeMutableBufferPointer<Float>,
    coefficients c: UnsafeMutableBufferPointer<Double>, isa: curvature_isa
  ) {
    let k = columns(u, dimension)
    precondition(
      x.count == dimension && out.count == dimension && c.count == k, "project: size mismatch")
    guard dimension > 0 else { return }
    coefficients(of: x, basis: u, dimension: dimension, into: c, isa: isa)
    project(
      x, basis: u, dimension: dimension, dominantWeight: dominantWeight, bulkWeight: bulkWeight,
      into: out, knownCoefficients: UnsafeBufferPointer(c), isa: isa)
  }

  /// The second pass of ``project(_:basis:dimension:dominantWeight:bulkWeight:into:coefficients:)``
  /// for coefficients c = Uᵀx computed earlier by ``coefficients(of:basis:dimension:into:)``
  /// (the result is then the same, bit for bit).
  /// - Complexity: O(P k), one pass over U.
  static func project(
    _ x: UnsafeBufferPointer<Float>, basis u: UnsafeBufferPointer<Float>, dimension: Int,
    dominantWeight: Float, bulkWeight: Float, into out: UnsafeMutableBufferPointer<Float>,
    knownCoefficients c: UnsafeBufferPointer<Double>, isa: curvature_isa = isa
  ) {
    let k = columns(u, dimension)
    precondition(
      x.count == dimension && out.count == dimension && c.count == k, "project: size mismatch")
    guard dimension > 0, let xp = x.baseAddress, let op = out.baseAddress else { return }
    let w = Double(dominantWeight) - Double(bulkWeight)
    withFloatCoefficients(c, weight: w) { d in
      multiplyAdd(
        u: u.baseAddress ?? xp, rows: dimension, columns: k, coefficients: d,
        x: bulkWeight == 0 ? nil : xp, beta: bulkWeight, accumulate: false, into: op, isa: isa)
    }
  }

  /// ``project(_:basis:dimension:dominantWeight:bulkWeight:into:coefficients:)`` with the
  /// tile loops named by `path` (`"swift-simd"`, or a name ``path`` can return on this machine),
  /// so benchmarks can compare the paths side by side.
  /// - Complexity: O(P k), two passes over U.
  @_spi(Benchmarks)
  public static func project(
    _ x: UnsafeBufferPointer<Float>, basis u: UnsafeBufferPointer<Float>, dimension: Int,
    dominantWeight: Float, bulkWeight: Float, into out: UnsafeMutableBufferPointer<Float>,
    coefficients c: UnsafeMutableBufferPointer<Double>, path: String
  ) {
    project(
      x, basis: u, dimension: dimension, dominantWeight: dominantWeight, bulkWeight: bulkWeight,
      into: out, coefficients: c, isa: Self.isa(named: path))
  }

  /// The instruction set of the path named `path` (baseline, the Swift loops, for any name
  /// this machine cannot run).
  static func isa(named path: String) -> curvature_isa {
    for candidate in [CURVATURE_ISA_AVX512, CURVATURE_ISA_AVX2_FMA]
    where name(of: candidate) == path && runnable(candidate) {
      return candidate
    }
    return CURVATURE_ISA_BASELINE
  }

  /// Whether this CPU can run the C kernel for `candidate`.
  static func runnable(_ candidate: curvature_isa) -> Bool {
    isa == CURVATURE_ISA_AVX512 || (isa == CURVATURE_ISA_AVX2_FMA && candidate == isa)
  }

  static func columns(_ u: UnsafeBufferPointer<Float>, _ dimension: Int) -> Int {
    precondition(dimension >= 0, "dimension must be non-negative")
    if dimension == 0 { return 0 }
    precondition(u.count % dimension == 0, "basis storage is not a multiple of the dimension")
    return u.count / dimension
  }

  /// Calls `body` with Float(w·c[j]) (stack storage for small k).
  static func withFloatCoefficients(
    _ c: UnsafeBufferPointer<Double>, weight w: Double, _ body: (UnsafePointer<Float>) -> Void
  ) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.max(1, c.count)) { d in
      for j in 0..<c.count { d[j] = Float(w * c[j]) }
      body(UnsafePointer(d.baseAddress!))
    }
  }

  // MARK: - G = AᵀB

  /// Rows per tile of ``crossProduct(_:columns:_:columns:rows:into:)``: a tile of every column
  /// of A and of B (k_A + k_B columns of 16 KiB) stays in L2 while the column products run.
  static let crossTile = 4096

  /// G ← AᵀB in `Double` for column-major A (P × k_A) and B (P × k_B), both with `rows` = P;
  /// G is k_A × k_B column-major (G[i + j k_A] = A[:, i]ᵀ B[:, j]). A and B are each read
  /// from memory once (row tiles held in L2, every column of B against the tile of A), parts
  /// of ``part`` rows on all cores, their Double partial sums added in part order: the result
  /// does not depend on timing or on the number of cores. A and B may be the same memory.
  /// - Complexity: O(P k_A k_B) arithmetic, one pass over A and B.
  static func crossProduct(
    _ a: UnsafePointer<Float>, columns ka: Int, _ b: UnsafePointer<Float>, columns kb: Int,
    rows p: Int, into g: UnsafeMutablePointer<Double>, isa: curvature_isa = ProjectionKernels.isa
  ) {
    let size = ka * kb
    if size == 0 { return }
    reduceOverParts(rows: p, width: size, parallel: p * (ka + kb) >= parallelWork, into: g) {
      rows, out in
      var lo = rows.lowerBound
      while lo < rows.upperBound {
        let range = lo..<Swift.min(rows.upperBound, lo + crossTile)
        for j in 0..<kb {
          partialTransposeMultiply(
            u: a, rows: p, columns: ka, x: b + j * p, range: range, into: out + j * ka, isa: isa)
        }
        lo = range.upperBound
      }
    }
  }

  /// out ← the sum over the parts of ``part`` rows of P of `width` `Double` partial sums:
  /// `body(rows, partial)` adds the part `rows`' sums into `partial` (zeroed first). Partial
  /// sums are added in part order, so the result does not depend on timing or on the number of
  /// cores; a single part accumulates straight into `out`. Parts run on all cores when
  /// `parallel`.
  /// - Complexity: the calls of `body`, plus O(parts · width).
  static func reduceOverParts(
    rows p: Int, width: Int, parallel: Bool, into out: UnsafeMutablePointer<Double>,
    _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void
  ) {
    out.update(repeating: 0, count: width)
    if p == 0 { return }
    let parts = (p + part - 1) / part
    if parts == 1 {
      body(0..<p, out)
      return
    }
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: parts * width)
    defer { partial.deallocate() }
    partial.update(repeating: 0, count: parts * width)
    func range(_ q: Int) -> Range<Int> { (q * part)..<Swift.min(p, (q + 1) * part) }
    if parallel {
      Parallel.forEach(parts) { q in body(range(q), partial + q * width) }
    } else {
      for q in 0..<parts { body(range(q), partial + q * width) }
    }
    for q in 0..<parts {
      let row = partial + q * width
      for i in 0..<width { out[i] += row[i] }
    }
  }

  // MARK: - c = Uᵀx

  /// c ← Uᵀx in Double (c has k elements).
  /// - Complexity: O(P k), one pass over U and x.
  static func transposeMultiply(
    u: UnsafePointer<Float>, rows p: Int, columns k: Int, x: UnsafePointer<Float>,
    into c: UnsafeMutablePointer<Double>, isa: curvature_isa = ProjectionKernels.isa
  ) {
    if k == 0 { return }
    reduceOverParts(rows: p, width: k, parallel: p * k >= parallelWork, into: c) { range, out in
      partialTransposeMultiply(u: u, rows: p, columns: k, x: x, range: range, into: out, isa: isa)
    }
  }

  /// c[j] += Σ_{i ∈ range} U[i, j]·x[i] for every column j, tile by tile.
  static func partialTransposeMultiply(
    u: UnsafePointer<Float>, rows p: Int, columns k: Int, x: UnsafePointer<Float>,
    range: Range<Int>, into c: UnsafeMutablePointer<Double>,
    isa: curvature_isa = ProjectionKernels.isa
  ) {
    if curvature_projection_supported(isa) != 0 {
      let lo = range.lowerBound
      curvature_tsmv_t(isa, range.count, k, u + lo, p, x + lo, c)
      return
    }
    var t = range.lowerBound
    while t < range.upperBound {
      let end = Swift.min(range.upperBound, t + tile)
      var j = 0
      while j + 8 <= k {
        dot8(u + j * p + t, stride: p, x + t, end - t, into: c + j)
        j += 8
      }
      while j + 4 <= k {
        let (s0, s1, s2, s3) = dot4(
          u + j * p + t, u + (j + 1) * p + t, u + (j + 2) * p + t, u + (j + 3) * p + t, x + t,
          end - t)
        c[j] += s0
        c[j + 1] += s1
        c[j + 2] += s2
        c[j + 3] += s3
        j += 4
      }
      while j < k {
        c[j] += Kernels.dotRange(u + j * p + t, x + t, end - t)
        j += 1
      }
      t = end
    }
  }

  /// c[q] += U[:, q]ᵀx for the eight columns starting at `u` (column stride `stride`), in
  /// 4-lane Float accumulators per 256-element block, flushed to Double.
  @inline(__always)
  static func dot8(
    _ u: UnsafePointer<Float>, stride: Int, _ x: UnsafePointer<Float>, _ n: Int,
    into c: UnsafeMutablePointer<Double>
  ) {
    let r0 = UnsafeRawPointer(u)
    let r1 = UnsafeRawPointer(u + stride)
    let r2 = UnsafeRawPointer(u + 2 * stride)
    let r3 = UnsafeRawPointer(u + 3 * stride)
    let r4 = UnsafeRawPointer(u + 4 * stride)
    let r5 = UnsafeRawPointer(u + 5 * stride)
    let r6 = UnsafeRawPointer(u + 6 * stride)
    let r7 = UnsafeRawPointer(u + 7 * stride)
    let rx = UnsafeRawPointer(x)
    var i = 0
    while i < n {
      let end = Swift.min(n, i + 256)
      var a0 = SIMD4<Float>()
      var a1 = SIMD4<Float>()
      var a2 = SIMD4<Float>()
      var a3 = SIMD4<Float>()
      var a4 = SIMD4<Float>()
      var a5 = SIMD4<Float>()
      var a6 = SIMD4<Float>()
      var a7 = SIMD4<Float>()
      while i + 4 <= end {
        let o = i * 4
        let xv = rx.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
        a0 += r0.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) * xv
        a1 += r1.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) * xv
        a2 += r2.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) * xv
        a3 += r3.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) * xv
        a4 += r4.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) * xv
        a5 += r5.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) * xv
        a6 += r6.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) * xv
        a7 += r7.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self) * xv
        i += 4
      }
      c[0] += flush4(a0)
      c[1] += flush4(a1)
      c[2] += flush4(a2)
      c[3] += flush4(a3)
      c[4] += flush4(a4)
      c[5] += flush4(a5)
      c[6] += flush4(a6)
      c[7] += flush4(a7)
      while i < end {
        let xv = Double(x[i])
        for q in 0..<8 { c[q] += Double(u[q * stride + i]) * xv }
        i += 1
      }
    }
  }

  /// The sum of 4 Float lanes in Double.
  @inline(__always)
  static func flush4(_ v: SIMD4<Float>) -> Double {
    (Double(v[0]) + Double(v[1])) + (Double(v[2]) + Double(v[3]))
  }

  /// Four dot products against the same x, 8 Float lanes each per 512-element block, flushed
  /// to Double.
  @inline(__always)
  static func dot4(
    _ u0: UnsafePointer<Float>, _ u1: UnsafePointer<Float>, _ u2: UnsafePointer<Float>,
    _ u3: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int
  ) -> (Double, Double, Double, Double) {
    let r0 = UnsafeRawPointer(u0)
    let r1 = UnsafeRawPointer(u1)
    let r2 = UnsafeRawPointer(u2)
    let r3 = UnsafeRawPointer(u3)
    let rx = UnsafeRawPointer(x)
    var s = (0.0, 0.0, 0.0, 0.0)
    var i = 0
    while i < n {
      let end = Swift.min(n, i + block)
      var a0 = SIMD8<Float>()
      var a1 = SIMD8<Float>()
      var a2 = SIMD8<Float>()
      var a3 = SIMD8<Float>()
      while i + 8 <= end {
        let o = i * 4
        let xv = rx.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
        a0 += r0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * xv
        a1 += r1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * xv
        a2 += r2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * xv
        a3 += r3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * xv
        i += 8
      }
      var t0 = Kernels.flush(a0)
      var t1 = Kernels.flush(a1)
      var t2 = Kernels.flush(a2)
      var t3 = Kernels.flush(a3)
      while i < end {
        let xv = Double(x[i])
        t0 += Double(u0[i]) * xv
        t1 += Double(u1[i]) * xv
        t2 += Double(u2[i]) * xv
        t3 += Double(u3[i]) * xv
        i += 1
      }
      s.0 += t0
      s.1 += t1
      s.2 += t2
      s.3 += t3
    }
    return s
  }

  // MARK: - out = β·x + U d

  /// out ← β·x + U d (or out ← U d when `x` is nil, or out += β·x + U d when `accumulate`,
  /// the β·x term again left out when `x` is nil).
  ///
  /// `out` may be `x` itself (each element is read before it is written).
  /// - Complexity: O(P k), one pass over U, x and out.
  static func multiplyAdd(
    u: UnsafePointer<Float>, rows p: Int, columns k: Int, coefficients d: UnsafePointer<Float>,
    x: UnsafePointer<Float>?, beta: Float, accumulate: Bool, into out: UnsafeMutablePointer<Float>,
    isa: curvature_isa = ProjectionKernels.isa
  ) {
    if p == 0 { return }
    let native = curvature_projection_supported(isa) != 0 && k > 0
    let stream: Int32 = !accumulate && p >= streamingThreshold ? 1 : 0
    forEachChunk(rows: p, chunk: native ? part : tile, columns: k) { range in
      if native {
        let lo = range.lowerBound
        curvature_tsmv_n(
          isa, range.count, k, u + lo, p, d, x.map { $0 + lo }, beta, accumulate ? 1 : 0, stream,
          out + lo)
      } else {
        multiplyAddTile(
          u: u, rows: p, columns: k, coefficients: d, x: x, beta: beta, accumulate: accumulate,
          into: out, range: range)
      }
    }
  }

  /// Calls `body` for the chunks of `chunk` rows of P, last chunk first (after a Uᵀx pass over
  /// the same U and x, as in a projection, the end of both is still in the last-level cache),
  /// on all cores when P·k is large. Each chunk must write only its own rows.
  /// - Complexity: the calls of `body`.
  static func forEachChunk(
    rows p: Int, chunk: Int, columns k: Int, _ body: (Range<Int>) -> Void
  ) {
    let chunks = (p + chunk - 1) / chunk
    func run(_ index: Int) {
      let t = chunks - 1 - index
      body((t * chunk)..<Swift.min(p, (t + 1) * chunk))
    }
    if p * Swift.max(k, 1) >= parallelWork && chunks > 1 {
      Parallel.forEach(chunks) { run($0) }
    } else {
      for t in 0..<chunks { run(t) }
    }
  }

  static func multiplyAddTile(
    u: UnsafePointer<Float>, rows p: Int, columns k: Int, coefficients d: UnsafePointer<Float>,
    x: UnsafePointer<Float>?, beta: Float, accumulate: Bool, into out: UnsafeMutablePointer<Float>,
    range: Range<Int>
  ) {
    let t = range.lowerBound
    let n = range.count
    let o = out + t
    let ro = UnsafeMutableRawPointer(o)
    if accumulate, let x {
      for i in 0..<n { o[i] = o[i].addingProduct(beta, x[t + i]) }
    }
    if !accumulate {
      if let x {
        let rx = UnsafeRawPointer(x + t)
        let bv = SIMD8<Float>(repeating: beta)
        var i = 0
        while i + 8 <= n {
          ro.storeBytes(
            of: bv * rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
            toByteOffset: i * 4, as: SIMD8<Float>.self)
          i += 8
        }
        while i < n {
          o[i] = beta * x[t + i]
          i += 1
        }
      } else {
        o.update(repeating: 0, count: n)
      }
    }
    var j = 0
    while j + 8 <= k {
      let base = u + j * p + t
      let r = (
        UnsafeRawPointer(base), UnsafeRawPointer(base + p), UnsafeRawPointer(base + 2 * p),
        UnsafeRawPointer(base + 3 * p), UnsafeRawPointer(base + 4 * p),
        UnsafeRawPointer(base + 5 * p), UnsafeRawPointer(base + 6 * p),
        UnsafeRawPointer(base + 7 * p)
      )
      let dv = (
        SIMD4<Float>(repeating: d[j]), SIMD4<Float>(repeating: d[j + 1]),
        SIMD4<Float>(repeating: d[j + 2]), SIMD4<Float>(repeating: d[j + 3]),
        SIMD4<Float>(repeating: d[j + 4]), SIMD4<Float>(repeating: d[j + 5]),
        SIMD4<Float>(repeating: d[j + 6]), SIMD4<Float>(repeating: d[j + 7])
      )
      var i = 0
      while i + 4 <= n {
        let b = i * 4
        var acc = dv.0 * r.0.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self)
        acc += dv.1 * r.1.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self)
        acc += dv.2 * r.2.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self)
        acc += dv.3 * r.3.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self)
        acc += dv.4 * r.4.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self)
        acc += dv.5 * r.5.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self)
        acc += dv.6 * r.6.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self)
        acc += dv.7 * r.7.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self)
        ro.storeBytes(
          of: ro.loadUnaligned(fromByteOffset: b, as: SIMD4<Float>.self) + acc, toByteOffset: b,
          as: SIMD4<Float>.self)
        i += 4
      }
      while i < n {
        var acc = d[j] * base[i]
        for q in 1..<8 { acc += d[j + q] * base[q * p + i] }
        o[i] += acc
        i += 1
      }
      j += 8
    }
    while j + 4 <= k {
      let r0 = UnsafeRawPointer(u + j * p + t)
      let r1 = UnsafeRawPointer(u + (j + 1) * p + t)
      let r2 = UnsafeRawPointer(u + (j + 2) * p + t)
      let r3 = UnsafeRawPointer(u + (j + 3) * p + t)
      let (d0, d1, d2, d3) = (d[j], d[j + 1], d[j + 2], d[j + 3])
      let v0 = SIMD8<Float>(repeating: d0)
      let v1 = SIMD8<Float>(repeating: d1)
      let v2 = SIMD8<Float>(repeating: d2)
      let v3 = SIMD8<Float>(repeating: d3)
      var i = 0
      while i + 8 <= n {
        let b = i * 4
        var acc = v0 * r0.loadUnaligned(fromByteOffset: b, as: SIMD8<Float>.self)
        acc += v1 * r1.loadUnaligned(fromByteOffset: b, as: SIMD8<Float>.self)
        acc += v2 * r2.loadUnaligned(fromByteOffset: b, as: SIMD8<Float>.self)
        acc += v3 * r3.loadUnaligned(fromByteOffset: b, as: SIMD8<Float>.self)
        ro.storeBytes(
          of: ro.loadUnaligned(fromByteOffset: b, as: SIMD8<Float>.self) + acc, toByteOffset: b,
          as: SIMD8<Float>.self)
        i += 8
      }
      let u0 = u + j * p + t
      let u1 = u + (j + 1) * p + t
      let u2 = u + (j + 2) * p + t
      let u3 = u + (j + 3) * p + t
      while i < n {
        var acc = d0 * u0[i]
        acc += d1 * u1[i]
        acc += d2 * u2[i]
        acc += d3 * u3[i]
        o[i] += acc
        i += 1
      }
      j += 4
    }
    while j < k {
      let uj = u + j * p + t
      let rj = UnsafeRawPointer(uj)
      let dj = d[j]
      let v = SIMD8<Float>(repeating: dj)
      var i = 0
      while i + 8 <= n {
        let b = i * 4
        ro.storeBytes(
          of: ro.loadUnaligned(fromByteOffset: b, as: SIMD8<Float>.self)
            + v * rj.loadUnaligned(fromByteOffset: b, as: SIMD8<Float>.self),
          toByteOffset: b, as: SIMD8<Float>.self)
        i += 8
      }
      while i < n {
        o[i] += dj * uj[i]
        i += 1
      }
      j += 1
    }
  }
}
