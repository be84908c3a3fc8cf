/// Training restricted to a random affine subspace w = w₀ + A z (Li et al. 2018, intrinsic
/// dimension; MATH.md §5), itself a ``DifferentiableObjective`` in z ∈ R^d, so any optimizer
/// and any tracker run on it unchanged.
///
/// A ∈ R^{P×d} has independent Gaussian entries (seeded) with each column normalised to unit
/// length. Loss L(w₀ + Az); gradient Aᵀ∇L; Hessian H_d = Aᵀ H A. The Goldilocks measure of
/// Fort & Scherlis (2019) is Tr(H_d)/‖H_d‖_F.
public final class RandomAffineSubspace: DifferentiableObjective {
  /// The full-space objective.
  public let objective: any DifferentiableObjective
  /// The origin w₀ (length P).
  public let origin: [Float]
  /// The subspace dimension d (the parameter count of this objective).
  public let parameterCount: Int
  /// A, column-major (P × d): column j is `directions[j*P ..< (j+1)*P]`.
  public let directions: [Float]
  public var sampleCount: Int { objective.sampleCount }
  private var scratchW: [Float]
  private var scratchV: [Float]
  private var scratchOut: [Float]

  /// Draws A from `seed` and wraps `objective` around `origin`.
  /// - Throws: `CurvatureError` if `origin` has the wrong length or holds NaN/Inf, or d is not
  ///   in 1…P.
  /// - Complexity: O(P d).
  public init(
    objective: any DifferentiableObjective, origin: [Float], dimension d: Int, seed: UInt64
  ) throws(CurvatureError) {
    let p = objective.parameterCount
    try Validate.count("origin", origin.count, p)
    try Validate.finite("origin", origin)
    if d < 1 || d > p {
      throw .outOfRange(name: "dimension", value: Double(d), range: "[1, \(p)]")
    }
    var rng = SeededGenerator(seed: seed)
    var a = [Float](repeating: 0, count: p * d)
    for j in 0..<d {
      var col = rng.gaussianVector(count: p)
      Kernels.scale(Float(1 / Kernels.norm(col)), &col)
      a.replaceSubrange((j * p)..<((j + 1) * p), with: col)
    }
    self.objective = objective
    self.origin = origin
    self.parameterCount = d
    self.directions = a
    scratchW = origin
    scratchV = [Float](repeating: 0, count: p)
    scratchOut = [Float](repeating: 0, count: p)
  }

  /// w = w₀ + A z. - Complexity: O(P d).
  public func parameters(for z: [Float]) throws(CurvatureError) -> [Float] {
    try Validate.count("z", z.count, parameterCount)
    try Validate.finite("z", z)
    var w = origin
    z.withUnsafeBufferPointer { zp in
      w.withUnsafeMutableBufferPointer { lift(zp, into: $0, add: true) }
    }
    return w
  }

  /// out ← (w₀ if `add`, else 0) + A z.
  private func lift(
    _ z: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, add: Bool
  ) {
    let p = origin.count
    if add {
      origin.withUnsafeBufferPointer { o in _ = out.update(fromContentsOf: o) }
    } else {
      out.update(repeating: 0)
    }
    directions.withUnsafeBufferPointer { a in
      for j in 0..<parameterCount where z[j] != 0 {
        Kernels.axpy(z[j], UnsafeBufferPointer(rebasing: a[(j * p)..<((j + 1) * p)]), out)
      }
    }
  }

  /// out ← Aᵀ x. - Complexity: O(P d).
  private func restrict(
    _ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>
  ) {
    let p = origin.count
    directions.withUnsafeBufferPointer { a in
      for j in 0..<parameterCount {
        out[j] = Float(Kernels.dot(UnsafeBufferPointer(rebasing: a[(j * p)..<((j + 1) * p)]), x))
      }
    }
  }

  public func loss(at z: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    scratchW.withUnsafeMutableBufferPointer { lift(z, into: $0, add: true) }
    return try scratchW.withUnsafeBufferPointer { try objective.loss(at: $0, samples: samples) }
  }

  public func gradient(
    at z: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    scratchW.withUnsafeMutableBufferPointer { lift(z, into: $0, add: true) }
    let l = try scratchW.withUnsafeBufferPointer { w in
      try scratchOut.withUnsafeMutableBufferPointer {
        try objective.gradient(at: w, samples: samples, into: $0)
      }
    }
    scratchOut.withUnsafeBufferPointer { restrict($0, into: gradient) }
    return l
  }

  /// That of the full-space objective (its products are restricted exactly).
  public var hessianProductAccuracy: HessianProductAccuracy { objective.hessianProductAccuracy }

  public func hessianVectorProduct(
    at z: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try product(at: z, samples: samples, direction: v, into: out, gaussNewton: false)
  }

  /// Whether the full-space objective provides Gauss–Newton products.
  public var providesGaussNewtonProducts: Bool { objective.providesGaussNewtonProducts }

  public func gaussNewtonVectorProduct(
    at z: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try product(at: z, samples: samples, direction: v, into: out, gaussNewton: true)
  }

  private func product(
    at z: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>, gaussNewton: Bool
  ) throws {
    scratchW.withUnsafeMutableBufferPointer { lift(z, into: $0, add: true) }
    scratchV.withUnsafeMutableBufferPointer { lift(v, into: $0, add: false) }
    try scratchW.withUnsafeBufferPointer { w in
      try scratchV.withUnsafeBufferPointer { vp in
        try scratchOut.withUnsafeMutableBufferPointer { o in
          if gaussNewton {
            try objective.gaussNewtonVectorProduct(at: w, samples: samples, direction: vp, into: o)
          } else {
            try objective.hessianVectorProduct(at: w, samples: samples, direction: vp, into: o)
          }
        }
      }
    }
    scratchOut.withUnsafeBufferPointer { restrict($0, into: out) }
  }

  public func perSampleLosses(
    at z: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    scratchW.withUnsafeMutableBufferPointer { lift(z, into: $0, add: true) }
    try scratchW.withUnsafeBufferPointer {
      try objective.perSampleLosses(at: $0, samples: samples, into: losses)
    }
  }

  /// The restricted Hessian H_d = Aᵀ H A at z (d × d, row-major, symmetrised), from d HVPs.
  /// - Throws: `CurvatureError` for a bad z or samples.
  /// - Complexity: d HVPs of the full objective plus O(P d²).
  public func restrictedHessian(at z: [Float], samples: SampleSet) throws -> [Double] {
    try Validate.count("z", z.count, parameterCount)
    try Validate.finite("z", z)
    try samples.validate(sampleCount: sampleCount)
    let d = parameterCount
    var h = [Double](repeating: 0, count: d * d)
    var e = [Float](repeating: 0, count: d)
    var col = [Float](repeating: 0, count: d)
    for j in 0..<d {
      e[j] = 1
      try z.withUnsafeBufferPointer { zp in
        try e.withUnsafeBufferPointer { ep in
          try col.withUnsafeMutableBufferPointer {
            try hessianVectorProduct(at: zp, samples: samples, direction: ep, into: $0)
          }
        }
      }
      e[j] = 0
      for i in 0..<d { h[i * d + j] = Double(col[i]) }
    }
    SmallMatrix.symmetrize(&h, order: d)
    return h
  }

  /// The Goldilocks measure Tr(H_d)/‖H_d‖_F of the restricted Hessian at z (in [−√d, √d];
  /// high values mean many directions of positive curvature, Fort & Scherlis 2019).
  /// - Complexity: that of ``restrictedHessian(at:samples:)``.
  public func goldilocksMeasure(at z: [Float], samples: SampleSet) throws -> Double {
    let h = try restrictedHessian(at: z, samples: samples)
    let d = parameterCount
    var trace = 0.0
    for i in 0..<d { trace += h[i * d + i] }
    let frobenius = h.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return frobenius > 0 ? trace / frobenius : 0
  }
}
