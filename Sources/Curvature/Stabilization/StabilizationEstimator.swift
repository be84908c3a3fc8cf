/// Estimators of loss-landscape stabilisation: Δ₁, the full-space Δ₂ and the curvature-aligned
/// Δ₂^(D) (direct Monte Carlo, quadratic Monte Carlo, Gaussian-moment closed form), for any
/// ``DifferentiableObjective`` at fixed parameters w*.
///
/// L_k is the mean loss of the first k samples of a seeded sample order (order r is a uniformly
/// random permutation of all N samples drawn from the configuration's seed). A curve point at k
/// measures adding sample k + 1:
///
///     L_{k+1}(w) − L_k(w) = (ℓ_{k+1}(w) − L_k(w)) / (k + 1).
///
/// Increments are always formed from this identity with per-sample losses in `Double`, never by
/// subtracting two nearly equal means, so tiny increments keep their precision.
///
/// - Whole curves in one pass: Δ₁ and full-space Δ₂ evaluate per-sample losses at each probe
///   point once for the first k_max + 1 samples; prefix sums give every L_k at once.
/// - Δ₂^(D) needs U_D for every k (the top-D eigenvectors of H^(k), by ``Lanczos``, warm-started
///   from the previous grid point); the closed form and quadratic Monte Carlo accumulate the
///   prefix gradient g^(k) across the grid, so gradients cost k_max + grid-size per-sample passes.
/// - B uses H^(k+1) − H^(k) = (H_{k+1} − H^(k)) / (k + 1): D products with the new sample's
///   Hessian and D with H^(k).
public struct StabilizationEstimator: Sendable {
  /// The settings.
  public let configuration: StabilizationConfiguration

  /// Creates an estimator.
  /// - Throws: `CurvatureError` if the configuration is invalid (σ ≤ 0 or not finite, D < 1,
  ///   no probes or orders, bad Lanczos settings).
  /// - Complexity: O(1).
  public init(configuration: StabilizationConfiguration = StabilizationConfiguration())
    throws(CurvatureError)
  {
    try configuration.validate()
    self.configuration = configuration
  }

  /// Sample order `r`: a seeded permutation of `0..<sampleCount`.
  /// - Complexity: O(N).
  public func sampleOrder(_ r: Int, sampleCount: Int) -> [Int] {
    var g = SeededGenerator(seed: mixSeed(configuration.seed, 0x6F72_6465_72, UInt64(r)))
    return g.permutation(count: sampleCount)
  }

  /// The curve Δ(k) of `method` over the sample counts `sampleCounts`, averaged over
  /// ``StabilizationConfiguration/orderCount`` orders.
  ///
  /// - Parameters:
  ///   - objective: the loss; its per-sample losses define L_k.
  ///   - w: the parameters w* (length P).
  ///   - sampleCounts: strictly increasing k values with 1 ≤ k and k + 1 ≤ N.
  ///   - method: which estimator.
  /// - Throws: `CurvatureError` for a wrong parameter count, NaN/Inf parameters, a bad grid,
  ///   D ≥ P for the subspace methods, or non-finite losses or products from the objective.
  /// - Complexity: per order, with m = k_max + 1 and S probes:
  ///   Δ₁ m per-sample losses; full-space Δ₂ S·m; direct Δ₂^(D) Σ_k S·(k+1) per-sample losses
  ///   plus the eigenvectors; closed form one loss pass, about m gradient samples and, per k,
  ///   the Lanczos products plus 2D HVPs; the evaluation itself is O(D²) per k
  ///   (O(S D²) for quadratic Monte Carlo).
  public func curve(
    of objective: some DifferentiableObjective, at w: [Float], sampleCounts: [Int],
    method: StabilizationMethod
  ) throws -> StabilizationCurve {
    try validate(objective: objective, parameters: w, sampleCounts: sampleCounts, method: method)
    let n = objective.sampleCount
    let r = configuration.orderCount
    var perOrder: [[Double]] = []
    var mcError: [[Double]] = []
    var products = 0
    var lossCount = 0
    var unconverged = 0
    for o in 0..<r {
      let order = sampleOrder(o, sampleCount: n)
      var run = OrderRun(
        estimator: self, objective: objective, w: w, order: order, orderIndex: o,
        grid: sampleCounts)
      let (values, errors) = try run.evaluate(method)
      perOrder.append(values)
      mcError.append(errors)
      products += run.products
      lossCount += run.sampleLosses
      unconverged += run.unconverged
    }
    let g = sampleCounts.count
    var mean = [Double](repeating: 0, count: g)
    var se = [Double](repeating: 0, count: g)
    for i in 0..<g {
      var m = RunningMoments()
      for o in 0..<r { m.add(perOrder[o][i]) }
      mean[i] = m.mean
      se[i] = r > 1 ? m.standardError : mcError[0][i]
    }
    return StabilizationCurve(
      method: method, sigma: configuration.sigma,
      subspaceDimension: method.usesSubspace ? configuration.subspaceDimension : 0,
      sampleCounts: sampleCounts, mean: mean, standardError: se, perOrder: perOrder,
      monteCarloStandardError: mcError, productCount: products, sampleLossCount: lossCount,
      unconvergedSubspaces: unconverged)
  }

  /// The curvature-aligned increment model (U_D, a, c, B) for adding sample `order[k]` to the
  /// samples `order[0..<k]`.
  /// - Throws: `CurvatureError` for bad parameters, an order that is not a list of distinct
  ///   valid sample indices with at least k + 1 entries, k < 1, or D ≥ P.
  /// - Complexity: the Lanczos products on H^(k), 2D HVPs, one gradient over k + 1 samples,
  ///   a loss pass over k + 1 samples and O(P D²) vector work.
  public func subspaceIncrement(
    of objective: some DifferentiableObjective, at w: [Float], order: [Int], sampleCount k: Int
  ) throws -> SubspaceIncrement {
    try Validate.count("parameters", w.count, objective.parameterCount)
    try Validate.finite("parameters", w)
    if k < 1 || k + 1 > order.count {
      throw CurvatureError.outOfRange(
        name: "sampleCount", value: Double(k), range: "[1, \(order.count - 1)]")
    }
    var seen = Set<Int>()
    for i in order {
      if i < 0 || i >= objective.sampleCount || !seen.insert(i).inserted {
        throw CurvatureError.invalidArgument(
          name: "order", reason: "index \(i) is repeated or outside 0..<\(objective.sampleCount)")
      }
    }
    try checkSubspaceDimension(objective.parameterCount)
    var run = OrderRun(
      estimator: self, objective: objective, w: w, order: order, orderIndex: 0, grid: [k])
    return try run.subspaceIncrement(k: k, gridIndex: 0, warmStart: nil)
  }

  /// Direct Monte Carlo of Δ₂^(D) for adding `order[k]` to `order[0..<k]` in a given basis:
  /// the mean of ((ℓ_{k+1}(w) − L_k(w))/(k+1))² over ``StabilizationConfiguration/probeCount``
  /// probes w = w* + U z, z ~ N(0, σ² I), with its Monte Carlo standard error.
  /// - Throws: `CurvatureError` for bad parameters, a basis of another dimension, k < 1 or an
  ///   order shorter than k + 1 with an invalid index.
  /// - Complexity: S·(k + 1) per-sample losses and O(S P D) vector work.
  public func directMonteCarlo(
    of objective: some DifferentiableObjective, at w: [Float], basis: Basis, order: [Int],
    sampleCount k: Int
  ) throws -> (mean: Double, standardError: Double) {
    try Validate.count("parameters", w.count, objective.parameterCount)
    try Validate.finite("parameters", w)
    try Validate.count("basis.dimension", basis.dimension, objective.parameterCount)
    if k < 1 || k + 1 > order.count {
      throw CurvatureError.outOfRange(
        name: "sampleCount", value: Double(k), range: "[1, \(order.count - 1)]")
    }
    if let bad = order.prefix(k + 1).first(where: { $0 < 0 || $0 >= objective.sampleCount }) {
      throw CurvatureError.invalidArgument(
        name: "order", reason: "index \(bad) outside 0..<\(objective.sampleCount)")
    }
    var run = OrderRun(
      estimator: self, objective: objective, w: w, order: order, orderIndex: 0, grid: [k])
    let m = try run.directMonteCarlo(basis: basis, k: k)
    return (m.mean, m.standardError)
  }

  func checkSubspaceDimension(_ p: Int) throws(CurvatureError) {
    let d = configuration.subspaceDimension
    if d < 1 || d >= p {
      throw .outOfRange(name: "subspaceDimension", value: Double(d), range: "[1, \(p - 1)]")
    }
  }

  /// Checks, without measuring anything, what ``curve(of:at:sampleCounts:method:)`` would
  /// check: P parameters, all finite; a non-empty, strictly increasing grid with 1 ≤ k ≤ N − 1;
  /// and for subspace methods D < P. Lets a caller reject bad settings before costly work (such
  /// as training to the point of measurement).
  /// - Throws: `CurvatureError` naming the first problem.
  /// - Complexity: O(P + grid size).
  public func validate(
    objective: some DifferentiableObjective, parameters w: [Float], sampleCounts: [Int],
    method: StabilizationMethod
  ) throws(CurvatureError) {
    try Validate.count("parameters", w.count, objective.parameterCount)
    try Validate.finite("parameters", w)
    let n = objective.sampleCount
    if sampleCounts.isEmpty {
      throw .invalidArgument(name: "sampleCounts", reason: "the grid is empty")
    }
    for (i, k) in sampleCounts.enumerated() {
      if k < 1 || k + 1 > n {
        throw .outOfRange(name: "sampleCounts[\(i)]", value: Double(k), range: "[1, \(n - 1)]")
      }
      if i > 0 && k <= sampleCounts[i - 1] {
        throw .invalidArgument(
          name: "sampleCounts", reason: "not strictly increasing at index \(i)")
      }
    }
    if method.usesSubspace { try checkSubspaceDimension(objective.parameterCount) }
  }
}

/// A deterministic 64-bit mix of three words (SplitMix64 finaliser), for per-stream seeds.
func mixSeed(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
  func fmix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  return fmix(fmix(fmix(a) ^ b) ^ c)
}

/// The work for one sample order: shared loss passes, prefix gradients and warm starts.
struct OrderRun<Objective: DifferentiableObjective> {
  let estimator: StabilizationEstimator
  let objective: Objective
  let w: [Float]
  let order: [Int]
  let orderIndex: Int
  let grid: [Int]
  var products = 0
  var sampleLosses = 0
  /// Subspaces U_D whose Lanczos pairs did not all converge.
  var unconverged = 0
  /// Per-sample losses at w* of order[0..<m], m = k_max + 1 (computed once).
  private var centerLosses: [Double]? = nil
  /// Σ_{i<covered} g_{order[i]} (Double), for the prefix gradient g^(k).
  private var gradientSum: [Double]
  private var covered = 0

  init(
    estimator: StabilizationEstimator, objective: Objective, w: [Float], order: [Int],
    orderIndex: Int, grid: [Int]
  ) {
    self.estimator = estimator
    self.objective = objective
    self.w = w
    self.order = order
    self.orderIndex = orderIndex
    self.grid = grid
    self.gradientSum = []
  }

  var config: StabilizationConfiguration { estimator.configuration }

  func stream(_ tag: UInt64, _ k: Int) -> SeededGenerator {
    SeededGenerator(
      seed: mixSeed(config.seed, tag, UInt64(orderIndex) << 32 | UInt64(truncatingIfNeeded: k)))
  }

  /// Per-sample losses of order[0..<count] at `point`.
  mutating func losses(at point: [Float], count: Int) throws -> [Double] {
    let samples = SampleSet.indices(Array(order[0..<count]))
    var out = [Double](repeating: 0, count: count)
    try point.withUnsafeBufferPointer { wp in
      try out.withUnsafeMutableBufferPointer {
        try objective.perSampleLosses(at: wp, samples: samples, into: $0)
      }
    }
    sampleLosses += count
    if let bad = out.firstIndex(where: { !$0.isFinite }) {
      throw CurvatureError.nonFinite(name: "per-sample losses", index: bad)
    }
    return out
  }

  /// Increments (ℓ_{k+1} − L_k)/(k+1) for each grid k, from losses of order[0...k_max].
  func increments(_ l: [Double]) -> [Double] {
    var out: [Double] = []
    out.reserveCapacity(grid.count)
    var prefix = 0.0
    var next = 0
    for (i, x) in l.enumerated() {
      if next < grid.count && i == grid[next] {
        let k = Double(i)
        out.append((x - prefix / k) / (k + 1))
        next += 1
      }
      prefix += x
    }
    return out
  }

  mutating func evaluate(_ method: StabilizationMethod) throws -> ([Double], [Double]) {
    let m = grid[grid.count - 1] + 1
    let g = grid.count
    switch method {
    case .pointwise:
      let inc = increments(try losses(at: w, count: m))
      return (inc.map { abs($0) }, [Double](repeating: 0, count: g))
    case .fullSpace:
      var stats = [RunningMoments](repeating: RunningMoments(), count: g)
      var rng = stream(0x6675_6C6C, 0)
      let p = w.count
      var point = w
      for _ in 0..<config.probeCount {
        for j in 0..<p { point[j] = w[j] + Float(config.sigma * rng.nextGaussian()) }
        let inc = increments(try losses(at: point, count: m))
        for i in 0..<g { stats[i].add(inc[i] * inc[i]) }
      }
      return (stats.map(\.mean), stats.map(\.standardError))
    case .direct, .quadratic, .gaussianMoment:
      var values: [Double] = []
      var errors: [Double] = []
      var previous: Basis? = nil
      for (i, k) in grid.enumerated() {
        let inc = try subspaceIncrement(
          k: k, gridIndex: i, warmStart: previous, needsExpansion: method != .direct)
        previous = inc.basis
        if !inc.converged { unconverged += 1 }
        switch method {
        case .gaussianMoment:
          values.append(inc.expansion.gaussianMoment(sigma: config.sigma))
          errors.append(0)
        case .quadratic:
          var rng = stream(0x7175_6164, k)
          let r = inc.expansion.quadraticMonteCarlo(
            sigma: config.sigma, probes: config.probeCount, generator: &rng)
          values.append(r.mean)
          errors.append(r.standardError)
        default:
          let r = try directMonteCarlo(basis: inc.basis, k: k)
          values.append(r.mean)
          errors.append(r.standardError)
        }
      }
      return (values, errors)
    }
  }

  /// Direct Monte Carlo of Δ₂^(D)(k+1) over w = w* + U_D z.
  mutating func directMonteCarlo(basis: Basis, k: Int) throws -> RunningMoments {
    var rng = stream(0x6469_7265, k)
    var stats = RunningMoments()
    let d = basis.count
    var z = [Double](repeating: 0, count: d)
    var point = w
    let kd = Double(k)
    for _ in 0..<config.probeCount {
      for i in 0..<d { z[i] = config.sigma * rng.nextGaussian() }
      point.withUnsafeMutableBufferPointer { pp in
        for j in 0..<pp.count { pp[j] = w[j] }
        z.withUnsafeBufferPointer { basis.combine($0, into: pp, accumulate: true) }
      }
      let l = try losses(at: point, count: k + 1)
      var sum = 0.0
      for i in 0..<k { sum += l[i] }
      let inc = (l[k] - sum / kd) / (kd + 1)
      stats.add(inc * inc)
    }
    return stats
  }

  /// Adds gradient samples order[covered..<k] to the running sum.
  mutating func advanceGradient(to k: Int) throws {
    let p = w.count
    if gradientSum.isEmpty { gradientSum = [Double](repeating: 0, count: p) }
    precondition(k >= covered)
    if k == covered { return }
    let samples = SampleSet.indices(Array(order[covered..<k]))
    let g = try gradient(samples)
    let count = Double(k - covered)
    for j in 0..<p { gradientSum[j] += count * Double(g[j]) }
    covered = k
  }

  mutating func gradient(_ samples: SampleSet) throws -> [Float] {
    var g = [Float](repeating: 0, count: w.count)
    _ = try w.withUnsafeBufferPointer { wp in
      try g.withUnsafeMutableBufferPointer {
        try objective.gradient(at: wp, samples: samples, into: $0)
      }
    }
    if let bad = g.firstIndex(where: { !$0.isFinite }) {
      throw CurvatureError.nonFinite(name: "gradient", index: bad)
    }
    return g
  }

  mutating func hessianProducts(_ basis: Basis, samples: SampleSet) throws -> [Float] {
    var out = [Float](repeating: 0, count: basis.storage.count)
    try w.withUnsafeBufferPointer { wp in
      try basis.storage.withUnsafeBufferPointer { vp in
        try out.withUnsafeMutableBufferPointer {
          try objective.hessianVectorProducts(
            at: wp, samples: samples, directions: vp, count: basis.count, into: $0)
        }
      }
    }
    products += basis.count
    if let bad = out.firstIndex(where: { !$0.isFinite }) {
      throw CurvatureError.nonFinite(name: "Hessian-vector product", index: bad)
    }
    return out
  }

  mutating func subspaceIncrement(
    k: Int, gridIndex: Int, warmStart: Basis?, needsExpansion: Bool = true
  ) throws -> SubspaceIncrement {
    let p = w.count
    let d = config.subspaceDimension
    let prefix = SampleSet.indices(Array(order[0..<k]))
    let op = try ObjectiveHessian(objective: objective, at: w, samples: prefix)
    var lc = config.lanczos
    lc.seed = mixSeed(config.seed, 0x6C61_6E63, UInt64(orderIndex) << 32 | UInt64(k))
    let eig = try Lanczos(configuration: lc).eigenpairs(of: op, count: d, warmStart: warmStart)
    products += eig.productCount
    let basis = eig.vectors
    guard needsExpansion else {
      let zero = IncrementExpansion(
        unchecked: 0, gradient: [Double](repeating: 0, count: d),
        hessian: [Double](repeating: 0, count: d * d))
      return SubspaceIncrement(
        sampleCount: k, basis: basis, eigenvalues: eig.eigenvalues, converged: eig.allConverged,
        expansion: zero,
        productCount: eig.productCount)
    }
    // a from per-sample losses at w* (one pass over order[0...k_max], shared by the grid).
    if centerLosses == nil { centerLosses = try losses(at: w, count: grid[grid.count - 1] + 1) }
    let l = centerLosses!
    var sum = 0.0
    for i in 0..<k { sum += l[i] }
    let kd = Double(k)
    let a = (l[k] - sum / kd) / (kd + 1)
    // c = U_Dᵀ (g_{k+1} − g^(k)) / (k + 1).
    try advanceGradient(to: k)
    let gNew = try gradient(.indices([order[k]]))
    var diff = [Double](repeating: 0, count: p)
    for j in 0..<p { diff[j] = (Double(gNew[j]) - gradientSum[j] / kd) / (kd + 1) }
    var c = [Double](repeating: 0, count: d)
    basis.storage.withUnsafeBufferPointer { u in
      for i in 0..<d {
        var s = 0.0
        let base = i * p
        for j in 0..<p { s += Double(u[base + j]) * diff[j] }
        c[i] = s
      }
    }
    // B = U_Dᵀ (H_{k+1} − H^(k)) U_D / (k + 1).
    let hk = try hessianProducts(basis, samples: prefix)
    let hNew = try hessianProducts(basis, samples: .indices([order[k]]))
    var b = [Double](repeating: 0, count: d * d)
    basis.storage.withUnsafeBufferPointer { u in
      for jcol in 0..<d {
        let base = jcol * p
        for i in 0..<d {
          var s = 0.0
          let ub = i * p
          for t in 0..<p {
            s += Double(u[ub + t]) * (Double(hNew[base + t]) - Double(hk[base + t]))
          }
          b[i * d + jcol] = s / (kd + 1)
        }
      }
    }
    let expansion = IncrementExpansion(unchecked: a, gradient: c, hessian: b)
    return SubspaceIncrement(
      sampleCount: k, basis: basis, eigenvalues: eig.eigenvalues, converged: eig.allConverged,
      expansion: expansion,
      productCount: eig.productCount + 2 * d)
  }
}
