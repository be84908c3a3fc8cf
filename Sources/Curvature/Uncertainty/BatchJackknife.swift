import Foundation

/// Sampling error of curvature measured on a Hessian batch, by the delete-one-group jackknife
/// over disjoint seeded sub-batches (MATH.md-style derivation in the "How sure is this number?"
/// article).
///
/// The quantity of interest is the value for the Hessian H over all N samples of the
/// population; the batch B (n samples, drawn without replacement) gives H_B = (1/n) Σ_{i∈B} H_i.
/// B is split into G groups; H_(−g) is the Hessian with group g left out. For a statistic s the
/// jackknife gives the bias b = (1 − n/N)(G − 1)(s̄_(·) − s_B) and the variance
/// V = (1 − n/N)((G − 1)/G) Σ_g (s_(−g) − s̄_(·))², where 1 − n/N is the finite-population
/// correction (both the variance and the O(1/n) bias of a sample of n drawn without replacement
/// from N scale with 1/n − 1/N). Intervals use Student's t with G − 1 degrees of freedom.
///
/// Eigenvalues of H_(−g) are not recomputed by Lanczos: with the batch's Ritz basis U and the
/// products H_g U, the leave-one-out problem is solved in the 2k-dimensional space spanned by U
/// and the part of H_(−g) U outside U, whose block there is modelled as
/// ``SamplingUncertaintyConfiguration/bulkLevel`` times the identity. That keeps the second-
/// order coupling to the rest of the spectrum — the source of the upward bias of a sub-sampled
/// λ_max — and matches pairs across groups by their shared basis instead of by index.
///
/// When the batch is every sample (n = N) every sampling error is exactly 0 and nothing is
/// computed.
public struct BatchJackknife {
  /// The objective.
  public let objective: any DifferentiableObjective
  /// The parameters w.
  public let parameters: [Float]
  /// The Hessian batch B.
  public let samples: SampleSet
  /// The number of samples N the intervals refer to.
  public let populationCount: Int
  /// The settings.
  public let configuration: SamplingUncertaintyConfiguration
  /// The disjoint sub-batches (G of them, sizes differing by at most one).
  public let groups: [SampleSet]
  /// The matrix whose eigenvalues are measured (its products on each sub-batch).
  public let matrix: CurvatureMatrix

  /// H V (or G V) for `count` directions on `group`.
  private func products(
    _ w: UnsafeBufferPointer<Float>, _ group: SampleSet, _ v: UnsafeBufferPointer<Float>,
    _ count: Int, _ out: UnsafeMutableBufferPointer<Float>
  ) throws {
    if matrix == .gaussNewton {
      try objective.gaussNewtonVectorProducts(
        at: w, samples: group, directions: v, count: count, into: out)
    } else {
      try objective.hessianVectorProducts(
        at: w, samples: group, directions: v, count: count, into: out)
    }
  }

  /// Splits `samples` into groups.
  /// - Parameters:
  ///   - objective: the model whose Hessian is measured.
  ///   - parameters: the point w (length P).
  ///   - samples: the Hessian batch B (n samples).
  ///   - populationCount: N (default: all samples of the objective); at least `samples.count`.
  ///   - configuration: groups, confidence and bias handling.
  ///   - matrix: the matrix whose eigenvalues are measured (the Gauss–Newton matrix when the
  ///     eigenpairs come from a tracker following it; the Hessian by default).
  /// - Throws: `CurvatureError` for bad settings, samples or parameters, or a batch of fewer
  ///   than 2 samples that is not the whole population.
  /// - Complexity: O(n).
  public init(
    objective: any DifferentiableObjective, at parameters: [Float], samples: SampleSet,
    populationCount: Int? = nil, configuration: SamplingUncertaintyConfiguration = .init(),
    matrix: CurvatureMatrix = .hessian
  ) throws {
    try configuration.validate()
    try Validate.count("parameters", parameters.count, objective.parameterCount)
    try Validate.finite("parameters", parameters)
    try samples.validate(sampleCount: objective.sampleCount)
    let n = samples.count
    let population = populationCount ?? objective.sampleCount
    if population < n {
      throw CurvatureError.outOfRange(
        name: "populationCount", value: Double(population), range: "[\(n), ∞)")
    }
    if n < 2 && population > n {
      throw CurvatureError.invalidArgument(
        name: "samples", reason: "a sampling error needs a batch of at least 2 samples")
    }
    if matrix == .gaussNewton { try objective.requireGaussNewtonProducts() }
    self.matrix = matrix
    self.objective = objective
    self.parameters = parameters
    self.samples = samples
    self.populationCount = population
    self.configuration = configuration
    let g = min(configuration.groups, n)
    var rng = SeededGenerator(seed: configuration.seed)
    let order = rng.permutation(count: n)
    let indices = samples.indexArray
    var groups: [SampleSet] = []
    for j in 0..<g {
      let lo = j * n / g
      let hi = (j + 1) * n / g
      groups.append(.indices(order[lo..<hi].map { indices[$0] }.sorted()))
    }
    self.groups = groups
  }

  /// The finite-population correction 1 − n/N.
  public var finitePopulationCorrection: Double {
    1 - Double(samples.count) / Double(populationCount)
  }

  /// Intervals for the eigenpairs `pairs` of the batch Hessian H_B (as returned by ``Lanczos``
  /// on it, at the end `target`): each eigenvalue, the expected subspace overlaps, and with
  /// `gradient` the gradient's top-subspace fraction.
  ///
  /// Each eigenvalue's interval is centred on the Ritz value minus the jackknife bias, widened by
  /// the Ritz residual (|θ − λ(H_B)| ≤ ‖H_B u − θ u‖, the solver's share). The subspace's
  /// E‖sin Θ‖²_F is the jackknife variance of the leave-one-out subspaces.
  /// - Throws: `CurvatureError` for a basis of the wrong dimension or NaN/Inf products.
  /// - Complexity: G · k HVP directions on sub-batches (the sample work of k full-batch HVPs),
  ///   plus G gradients on sub-batches (one full gradient) with `gradient`; O(G · P · k²) vector
  ///   work and O(G · k³) dense work; memory O(G · P · k).
  public func eigenvalues(
    of pairs: EigenResult, target: EigenTarget = .largest, gradient: Bool = false
  ) throws -> EigenvalueUncertainty {
    let k = pairs.eigenvalues.count
    let p = objective.parameterCount
    let u = pairs.vectors
    if u.dimension != p || u.count != k || k < 1 {
      throw CurvatureError.invalidArgument(
        name: "pairs", reason: "need k ≥ 1 eigenpairs with vectors of dimension \(p)")
    }
    let conf = configuration.confidence
    let fpc = finitePopulationCorrection
    let n = Double(samples.count)
    let g = groups.count
    let df = g - 1
    if fpc <= 0 {
      let values = (0..<k).map { j in
        UncertainValue(
          estimate: pairs.eigenvalues[j], raw: pairs.eigenvalues[j], samplingStandardError: 0,
          solverErrorBound: pairs.residuals[j], confidence: conf, degreesOfFreedom: 0)
      }
      var fraction: UncertainValue? = nil
      if gradient {
        let f = try batchGradientFraction(u)
        fraction = UncertainValue(
          estimate: f, raw: f, samplingStandardError: 0, confidence: conf, degreesOfFreedom: 0)
      }
      return EigenvalueUncertainty(
        eigenvalues: values, expectedOverlapWithAllSamples: 1, expectedOverlapBetweenEstimates: 1,
        gradientTopFraction: fraction, sampleCount: samples.count,
        populationCount: populationCount, groups: g, productCount: 0,
        gradientCount: gradient ? 1 : 0)
    }

    // Per group: M_g = Uᵀ H_g U (k×k) and Z_g = (I − UUᵀ) H_g U (P×k).
    var ms: [[Double]] = []
    var zs: [[Float]] = []
    var grads: [[Float]] = []
    var y = [Float](repeating: 0, count: p * k)
    for group in groups {
      try parameters.withUnsafeBufferPointer { wp in
        try u.storage.withUnsafeBufferPointer { up in
          try y.withUnsafeMutableBufferPointer { yp in
            try products(wp, group, up, k, yp)
          }
        }
      }
      if let bad = y.withUnsafeBufferPointer(Kernels.firstNonFinite) {
        throw CurvatureError.nonFinite(name: "Hessian-vector product", index: bad)
      }
      var m = [Double](repeating: 0, count: k * k)
      for b in 0..<k {
        let yb = Array(y[(b * p)..<((b + 1) * p)])
        let c = u.coefficients(of: yb)
        for a in 0..<k { m[a * k + b] = c[a] }
        let back = u.combine(c)
        for i in 0..<p { y[b * p + i] -= back[i] }
      }
      for a in 0..<k {
        for b in 0..<a {
          let s = 0.5 * (m[a * k + b] + m[b * k + a])
          m[a * k + b] = s
          m[b * k + a] = s
        }
      }
      ms.append(m)
      zs.append(y)
      if gradient {
        let (_, gr) = try objective.lossAndGradient(at: parameters, samples: group)
        grads.append(gr)
      }
    }
    let weights = groups.map { Double($0.count) / n }
    var mBar = [Double](repeating: 0, count: k * k)
    var zBar = [Double](repeating: 0, count: p * k)
    var gBar = [Double](repeating: 0, count: gradient ? p : 0)
    for j in 0..<g {
      for i in 0..<(k * k) { mBar[i] += weights[j] * ms[j][i] }
      for i in 0..<(p * k) { zBar[i] += weights[j] * Double(zs[j][i]) }
      if gradient { for i in 0..<p { gBar[i] += weights[j] * Double(grads[j][i]) } }
    }
    let baseDescending = try SymmetricEigensolver.decompose(mBar, order: k).values
    let base = target == .largest ? baseDescending : Array(baseDescending.reversed())
    // The columns of a 2k×2k decomposition (descending) that belong to the k wanted pairs.
    let wanted = target == .largest ? Array(0..<k) : Array((k..<(2 * k)).reversed())
    let baseFraction = gradient ? fraction(projection: u, of: gBar) : 0

    var leaveOut: [[Double]] = []
    var sinSquared: [Double] = []
    var fractions: [Double] = []
    let beta = configuration.bulkLevel
    for j in 0..<g {
      let ng = Double(groups[j].count)
      let c = ng / (n - ng)
      // A = Uᵀ H_(−g) U; F = (I − UUᵀ) (H_(−g) − H_B) U.
      var a = [Double](repeating: 0, count: k * k)
      for i in 0..<(k * k) { a[i] = mBar[i] + c * (mBar[i] - ms[j][i]) }
      var f = [Double](repeating: 0, count: p * k)
      for i in 0..<(p * k) { f[i] = c * (zBar[i] - Double(zs[j][i])) }
      var gram = [Double](repeating: 0, count: k * k)
      for x in 0..<k {
        for z in 0...x {
          var s = 0.0
          for i in 0..<p { s += f[x * p + i] * f[z * p + i] }
          gram[x * k + z] = s
          gram[z * k + x] = s
        }
      }
      let (root, pseudoInverseRoot) = try Self.squareRoots(gram, order: k)
      let order2 = 2 * k
      var big = [Double](repeating: 0, count: order2 * order2)
      for x in 0..<k {
        for z in 0..<k {
          big[x * order2 + z] = a[x * k + z]
          big[x * order2 + k + z] = root[x * k + z]
          big[(k + x) * order2 + z] = root[z * k + x]
        }
        big[(k + x) * order2 + k + x] = beta
      }
      let dec = try SymmetricEigensolver.decompose(big, order: order2)
      leaveOut.append(wanted.map { dec.values[$0] })
      var s2 = 0.0
      for col in wanted {
        for row in k..<order2 {
          let v = dec.vectors[col * order2 + row]
          s2 += v * v
        }
      }
      sinSquared.append(s2)
      if gradient {
        // g_(−g) and its squared projection on the leave-one-out subspace [U Q] V_top.
        var gg = [Double](repeating: 0, count: p)
        for i in 0..<p { gg[i] = (n * gBar[i] - ng * Double(grads[j][i])) / (n - ng) }
        let ug = u.coefficients(of: gg.map { Float($0) })
        var fg = [Double](repeating: 0, count: k)
        for x in 0..<k {
          var s = 0.0
          for i in 0..<p { s += f[x * p + i] * gg[i] }
          fg[x] = s
        }
        var qg = [Double](repeating: 0, count: k)
        for x in 0..<k {
          for z in 0..<k { qg[x] += pseudoInverseRoot[x * k + z] * fg[z] }
        }
        var projected = 0.0
        for col in wanted {
          var s = 0.0
          for row in 0..<k { s += dec.vectors[col * order2 + row] * ug[row] }
          for row in 0..<k { s += dec.vectors[col * order2 + k + row] * qg[row] }
          projected += s * s
        }
        var norm2 = 0.0
        for i in 0..<p { norm2 += gg[i] * gg[i] }
        fractions.append(norm2 > 0 ? min(1, projected / norm2) : 0)
      }
    }

    let values = (0..<k).map { idx -> UncertainValue in
      let (bias, variance) = jackknife(base: base[idx], leaveOut: leaveOut.map { $0[idx] })
      let raw = pairs.eigenvalues[idx]
      return UncertainValue(
        estimate: raw - (configuration.biasCorrection ? bias : 0), raw: raw,
        samplingStandardError: variance.squareRoot(), solverErrorBound: pairs.residuals[idx],
        confidence: conf, degreesOfFreedom: df)
    }
    let gd = Double(g)
    let subspaceVariance = fpc * (gd - 1) / gd * sinSquared.reduce(0, +)
    var fractionValue: UncertainValue? = nil
    if gradient {
      let (bias, variance) = jackknife(base: baseFraction, leaveOut: fractions)
      let estimate = configuration.biasCorrection ? baseFraction - bias : baseFraction
      fractionValue = UncertainValue(
        estimate: min(1, max(0, estimate)), raw: baseFraction,
        samplingStandardError: variance.squareRoot(), confidence: conf, degreesOfFreedom: df,
        bounds: 0...1)
    }
    return EigenvalueUncertainty(
      eigenvalues: values,
      expectedOverlapWithAllSamples: max(0, 1 - subspaceVariance / Double(k)),
      expectedOverlapBetweenEstimates: max(0, 1 - 2 * subspaceVariance / Double(k)),
      gradientTopFraction: fractionValue, sampleCount: samples.count,
      populationCount: populationCount, groups: g, productCount: g * k,
      gradientCount: gradient ? g : 0)
  }

  /// Intervals for tr(H), the mean eigenvalue tr(H)/P, the second moment tr(H²)/P and the
  /// spread of the spectral density, from `probes` Rademacher vectors z shared by all groups:
  /// zᵀH z and ‖H z‖² are unbiased for tr(H) and tr(H²). The probe error is the standard error
  /// over probes on the whole batch; the sampling error is the jackknife over groups with the
  /// probes held fixed.
  /// - Throws: `CurvatureError` if `probes < 2` or the products hold NaN/Inf.
  /// - Complexity: G · probes HVP directions on sub-batches (the sample work of `probes`
  ///   full-batch HVPs, what Hutchinson on the batch costs anyway); memory O(G · P · probes).
  public func spectralMoments(probes: Int = 16, seed: UInt64 = 0) throws
    -> SpectralMomentsUncertainty
  {
    if probes < 2 {
      throw CurvatureError.outOfRange(name: "probes", value: Double(probes), range: "[2, ∞)")
    }
    let p = objective.parameterCount
    let pd = Double(p)
    var rng = SeededGenerator(seed: seed)
    var z = [Float](repeating: 0, count: p * probes)
    for i in 0..<(p * probes) { z[i] = rng.nextRademacher() }
    let fpc = finitePopulationCorrection
    let n = Double(samples.count)
    let exact = fpc <= 0
    let used = exact ? [samples] : groups
    var hs: [[Float]] = []
    for group in used {
      var h = [Float](repeating: 0, count: p * probes)
      try parameters.withUnsafeBufferPointer { wp in
        try z.withUnsafeBufferPointer { zp in
          try h.withUnsafeMutableBufferPointer { hp in
            try products(wp, group, zp, probes, hp)
          }
        }
      }
      if let bad = h.withUnsafeBufferPointer(Kernels.firstNonFinite) {
        throw CurvatureError.nonFinite(name: "Hessian-vector product", index: bad)
      }
      hs.append(h)
    }
    let weights = used.map { Double($0.count) / n }
    var hBar = [Double](repeating: 0, count: p * probes)
    for j in 0..<used.count {
      for i in 0..<(p * probes) { hBar[i] += weights[j] * Double(hs[j][i]) }
    }
    // Per-probe values on a given H z.
    func perProbe(_ h: [Double]) -> (trace: [Double], square: [Double]) {
      var t = [Double](repeating: 0, count: probes)
      var s = [Double](repeating: 0, count: probes)
      for q in 0..<probes {
        var a = 0.0
        var b = 0.0
        for i in 0..<p {
          let v = h[q * p + i]
          a += Double(z[q * p + i]) * v
          b += v * v
        }
        t[q] = a
        s[q] = b
      }
      return (t, s)
    }
    func stats(_ x: [Double]) -> (mean: Double, error: Double) {
      let m = x.reduce(0, +) / Double(x.count)
      var v = 0.0
      for e in x { v += (e - m) * (e - m) }
      return (m, (v / Double(x.count - 1) / Double(x.count)).squareRoot())
    }
    let (bt, bs) = perProbe(hBar)
    let (trace, traceProbe) = stats(bt)
    let (square, squareProbe) = stats(bs)
    let mean1 = trace / pd
    let mean2 = square / pd
    let spread = max(0, mean2 - mean1 * mean1).squareRoot()
    var outs: [[Double]] = []  // per leave-out: trace, square, spread
    if !exact {
      for j in 0..<used.count {
        let ng = Double(used[j].count)
        var h = [Double](repeating: 0, count: p * probes)
        for i in 0..<(p * probes) { h[i] = (n * hBar[i] - ng * Double(hs[j][i])) / (n - ng) }
        let (t, s) = perProbe(h)
        let tm = t.reduce(0, +) / Double(probes)
        let sm = s.reduce(0, +) / Double(probes)
        outs.append([tm, sm, max(0, sm / pd - (tm / pd) * (tm / pd)).squareRoot()])
      }
    }
    let conf = configuration.confidence
    let df = exact ? 0 : used.count - 1
    func value(_ idx: Int, base: Double, probeError: Double, scale: Double, lowerBound: Double?)
      -> UncertainValue
    {
      var bias = 0.0
      var variance = 0.0
      if !exact { (bias, variance) = jackknife(base: base, leaveOut: outs.map { $0[idx] }) }
      if !configuration.biasCorrection { bias = 0 }
      return UncertainValue(
        estimate: (base - bias) * scale, raw: base * scale,
        samplingStandardError: variance.squareRoot() * scale,
        probeStandardError: probeError * scale,
        confidence: conf, degreesOfFreedom: df,
        bounds: lowerBound.map { $0...Double.greatestFiniteMagnitude })
    }
    let spreadProbe =
      spread > 0
      ? ((squareProbe / pd) * (squareProbe / pd) + 4 * mean1 * mean1 * (traceProbe / pd)
        * (traceProbe / pd)).squareRoot() / (2 * spread) : 0
    return SpectralMomentsUncertainty(
      trace: value(0, base: trace, probeError: traceProbe, scale: 1, lowerBound: nil),
      meanEigenvalue: value(0, base: trace, probeError: traceProbe, scale: 1 / pd, lowerBound: nil),
      secondMoment: value(1, base: square, probeError: squareProbe, scale: 1 / pd, lowerBound: 0),
      spread: value(2, base: spread, probeError: spreadProbe, scale: 1, lowerBound: 0),
      probes: probes, productCount: used.count * probes)
  }

  /// The jackknife bias and variance (both with the finite-population correction) of a
  /// statistic with value `base` on the batch and `leaveOut[g]` without group g.
  func jackknife(base: Double, leaveOut: [Double]) -> (bias: Double, variance: Double) {
    let g = Double(leaveOut.count)
    let mean = leaveOut.reduce(0, +) / g
    var ss = 0.0
    for x in leaveOut { ss += (x - mean) * (x - mean) }
    let fpc = finitePopulationCorrection
    return (fpc * (g - 1) * (mean - base), fpc * (g - 1) / g * ss)
  }

  /// ‖Uᵀg‖²/‖g‖² for the gradient of the whole batch.
  private func batchGradientFraction(_ u: Basis) throws -> Double {
    let (_, gr) = try objective.lossAndGradient(at: parameters, samples: samples)
    return fraction(projection: u, of: gr.map { Double($0) })
  }

  private func fraction(projection u: Basis, of g: [Double]) -> Double {
    let c = u.coefficients(of: g.map { Float($0) })
    var num = 0.0
    for x in c { num += x * x }
    var den = 0.0
    for x in g { den += x * x }
    return den > 0 ? min(1, num / den) : 0
  }

  /// The symmetric square root K^{1/2} of a positive semidefinite k×k matrix and the pseudo-
  /// inverse of that root (eigenvalues below 1e-12 of the largest treated as 0).
  static func squareRoots(_ k: [Double], order n: Int) throws(CurvatureError) -> (
    root: [Double], pseudoInverse: [Double]
  ) {
    let dec = try SymmetricEigensolver.decompose(k, order: n)
    let top = max(dec.values.first ?? 0, 0)
    var root = [Double](repeating: 0, count: n * n)
    var inverse = [Double](repeating: 0, count: n * n)
    for e in 0..<n {
      let lambda = max(dec.values[e], 0)
      let s = lambda.squareRoot()
      let si = lambda > 1e-12 * top && lambda > 0 ? 1 / s : 0
      for a in 0..<n {
        let va = dec.vectors[e * n + a]
        for b in 0..<n {
          let vb = dec.vectors[e * n + b]
          root[a * n + b] += s * va * vb
          inverse[a * n + b] += si * va * vb
        }
      }
    }
    return (root, inverse)
  }
}
