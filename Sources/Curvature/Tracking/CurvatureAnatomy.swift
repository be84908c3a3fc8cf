/// Where the curvature lives at a point of training (MATH.md §2; Zakarin & Singh 2025;
/// Fernandez et al. 2025): how much of the Gauss–Newton energy Tr(G) and of the functional
/// Hessian H_F = H − G lies in the tracked dominant subspace, and how the m largest-magnitude
/// parameters' mask overlaps it, against chance.
public struct CurvatureAnatomy: Sendable {
  /// Σⱼ uⱼᵀ H uⱼ over the basis (the sum of the tracked eigenvalues for an exact eigenbasis).
  public var hessianInSubspace: Double
  /// Hutchinson estimate of Tr(H).
  public var hessianTrace: Double
  /// Σⱼ uⱼᵀ G uⱼ over the basis (`nil` if the objective has no Gauss–Newton products).
  public var gaussNewtonInSubspace: Double?
  /// Hutchinson estimate of Tr(G) with the same probes.
  public var gaussNewtonTrace: Double?
  /// The number of Rademacher probes used for the traces.
  public var probes: Int
  /// The mask size m.
  public var maskSize: Int
  /// ‖U[M, :]‖_F² / k for the m largest-magnitude parameters M.
  public var maskOverlap: Double
  /// The chance level m/P of ``maskOverlap`` for a random mask.
  public var maskChanceLevel: Double
  /// HVPs and Gauss–Newton products spent.
  public var productCount: Int

  /// Σ uᵀH_F u = Σ uᵀHu − Σ uᵀGu.
  public var functionalInSubspace: Double? {
    gaussNewtonInSubspace.map { hessianInSubspace - $0 }
  }
  /// Tr(H_F) = Tr(H) − Tr(G) (same probes, so the difference is itself unbiased).
  public var functionalTrace: Double? { gaussNewtonTrace.map { hessianTrace - $0 } }
  /// The share of Tr(H) in the subspace.
  public var hessianShare: Double { hessianInSubspace / hessianTrace }
  /// The share of Tr(G) in the subspace.
  public var gaussNewtonShare: Double? {
    guard let a = gaussNewtonInSubspace, let t = gaussNewtonTrace else { return nil }
    return a / t
  }
  /// The share of Tr(H_F) in the subspace (ill-conditioned when Tr(H_F) ≈ 0).
  public var functionalShare: Double? {
    guard let a = functionalInSubspace, let t = functionalTrace else { return nil }
    return a / t
  }
}

extension DominantSubspaceTracker {
  /// The curvature anatomy at `parameters` with the current basis, on the tracker's Hessian
  /// batch (or `minibatch` for ``HessianBatch/minibatch``).
  ///
  /// - Parameters:
  ///   - parameters: the point w (length P).
  ///   - minibatch: the samples for a ``HessianBatch/minibatch`` tracker (ignored otherwise).
  ///   - maskSize: m, the number of largest-|w| parameters in the mask (1 ≤ m ≤ P).
  ///   - probes: Rademacher probes for the Hutchinson traces (≥ 1).
  ///   - seed: seed of the probes.
  /// - Throws: `CurvatureError` for bad arguments, or `.invalidArgument` before the first
  ///   refresh (no basis).
  /// - Complexity: k + `probes` HVPs and as many Gauss–Newton products; O(P log P) for the mask.
  public func anatomy(
    parameters: [Float], minibatch: SampleSet? = nil, maskSize: Int, probes: Int = 30,
    seed: UInt64 = 0
  ) throws -> CurvatureAnatomy {
    let p = objective.parameterCount
    try Validate.count("parameters", parameters.count, p)
    try Validate.finite("parameters", parameters)
    guard let basis else {
      throw CurvatureError.invalidArgument(name: "basis", reason: "no basis yet: refresh first")
    }
    if maskSize < 1 || maskSize > p {
      throw CurvatureError.outOfRange(name: "maskSize", value: Double(maskSize), range: "[1, \(p)]")
    }
    if probes < 1 {
      throw CurvatureError.outOfRange(name: "probes", value: Double(probes), range: "[1, ∞)")
    }
    let samples: SampleSet
    if let fixedBatch {
      samples = fixedBatch
    } else if let minibatch {
      try minibatch.validate(sampleCount: objective.sampleCount)
      samples = minibatch
    } else {
      throw CurvatureError.invalidArgument(name: "minibatch", reason: "pass the Hessian batch")
    }
    var products = 0
    var hasGGN = true
    var out = [Float](repeating: 0, count: p)
    func quadratic(_ v: [Float], gaussNewton: Bool) throws -> Double {
      products += 1
      try parameters.withUnsafeBufferPointer { w in
        try v.withUnsafeBufferPointer { vp in
          try out.withUnsafeMutableBufferPointer { o in
            if gaussNewton {
              try objective.gaussNewtonVectorProduct(
                at: w, samples: samples, direction: vp, into: o)
            } else {
              try objective.hessianVectorProduct(at: w, samples: samples, direction: vp, into: o)
            }
          }
        }
      }
      return Kernels.dot(v, out)
    }
    func gaussNewtonQuadratic(_ v: [Float]) throws -> Double? {
      guard hasGGN else { return nil }
      do { return try quadratic(v, gaussNewton: true) } catch CurvatureError.unsupported {
        hasGGN = false
        products -= 1
        return nil
      }
    }
    var hIn = 0.0
    var gIn = 0.0
    for j in 0..<basis.count {
      let u = basis.column(j)
      hIn += try quadratic(u, gaussNewton: false)
      if let g = try gaussNewtonQuadratic(u) { gIn += g }
    }
    var rng = SeededGenerator(seed: seed)
    var hTr = 0.0
    var gTr = 0.0
    for _ in 0..<probes {
      let z = rng.rademacherVector(count: p)
      hTr += try quadratic(z, gaussNewton: false)
      if let g = try gaussNewtonQuadratic(z) { gTr += g }
    }
    hTr /= Double(probes)
    gTr /= Double(probes)
    let mask = try SubspaceMetrics.largestMagnitudeIndices(parameters, count: maskSize)
    return CurvatureAnatomy(
      hessianInSubspace: hIn, hessianTrace: hTr, gaussNewtonInSubspace: hasGGN ? gIn : nil,
      gaussNewtonTrace: hasGGN ? gTr : nil, probes: probes, maskSize: maskSize,
      maskOverlap: try SubspaceMetrics.maskOverlap(basis, mask: mask),
      maskChanceLevel: Double(maskSize) / Double(p), productCount: products)
  }
}
