import Curvature
import Foundation
import _Differentiation

/// A ``DifferentiableObjective`` from a `@differentiable(reverse)` loss over your own
/// `Differentiable` parameter type: everything Curvature offers (optimizers, tracking,
/// spectra, stabilisation signals) for a model written with Swift's differentiable
/// programming.
///
/// Give it the initial parameters (their shapes fix the layout, ``ParameterLayout``), the
/// number of samples N, and either a per-sample loss ℓ(θ, i) or a batched one returning the
/// losses of the given samples. The loss is the mean of the per-sample losses over a
/// ``SampleSet``; gradients come from reverse mode (`valueWithGradient` or
/// `valueWithPullback`), summed over samples in a fixed order. Large sample sets are split into
/// fixed parts that run on all cores (results do not depend on timing), so the loss closures
/// must be safe to call from several threads at once (pure functions are).
///
/// **Hessian-vector products** are differences of gradients (``DifferenceHessian``; default a
/// Richardson pair, four gradients per product) with an error estimate for every product
/// (``lastErrorEstimate``, ``largestErrorEstimate``). Expect a relative error around 1e-4 for
/// a `Float` model on well-scaled parameters (measured: 1e-5 to 2e-5 against the exact
/// product of the bundled MLP); an exact forward-over-reverse product is not available from
/// Swift's differentiable programming today. The objective declares its products inexact
/// (``hessianProductAccuracy``), so a ``DominantSubspaceTracker`` does not ask its eigensolver
/// for more than they can deliver.
///
/// **Cost.** A gradient is one reverse pass per sample (per-sample loss) or per part (batched
/// loss); a batched loss built from vectorised operations (``linear(_:weight:bias:inputs:outputs:)``,
/// ``softmaxCrossEntropy(logits:labels:classes:)``) is much faster than a per-sample one.
///
/// Your parameter type conforms to ``ParameterLayout`` (a struct of arrays in a few lines,
/// ``ParameterFields``); its synthesized tangent vector needs nothing: tangents are summed
/// with `move(by:)` after their sizes are checked field by field.
///
/// **Errors.** A non-finite loss throws `CurvatureError.nonFinite(name: "loss of sample",
/// index:)` with the sample index; a gradient (tangent) of the wrong size or a rebuilt
/// parameter value of the wrong length throws `CurvatureError.dimensionMismatch`. An instance
/// keeps scratch buffers and is not safe to use from several threads at once; ``copy()`` makes
/// an independent one (for a background tracker refresh).
public final class AutodiffObjective<Parameters: Differentiable & ParameterLayout>:
  DifferentiableObjective
{
  /// ℓ(θ, i): the loss of sample i.
  public typealias PerSampleLoss =
    @differentiable(reverse) (Parameters, @noDerivative Int) ->
    Float
  /// The losses of the given samples, one per index, in order.
  public typealias BatchLosses =
    @differentiable(reverse) (Parameters, @noDerivative [Int]) ->
    [Float]

  enum Loss {
    case perSample(PerSampleLoss)
    case batch(BatchLosses)
  }

  /// The number of parameters P (the template's ``ParameterLayout/scalarCount``).
  public let parameterCount: Int
  /// The number of samples N.
  public let sampleCount: Int
  /// How Hessian-vector products are formed.
  public let hessian: DifferenceHessian
  /// The parameter value whose shapes define the layout.
  public let template: Parameters
  /// Whether sample sets are split over the cores (default `true`).
  public var parallel = true
  /// For ``DifferenceHessian/centralDifference(step:)``: also form D(2h) (two more gradients)
  /// to estimate the error of each product. Richardson products always estimate it.
  public var estimatesError = false
  /// The error estimate of the last Hessian-vector product (`nil` before the first, or for
  /// central differences without ``estimatesError``).
  public private(set) var lastErrorEstimate: HessianErrorEstimate?
  /// The largest relative error estimate so far (0 before the first product).
  public private(set) var largestErrorEstimate: Double = 0
  /// Gradient evaluations so far (each a pass over its sample set).
  public private(set) var gradientEvaluations = 0
  /// The declared accuracy of the difference products, read by ``DominantSubspaceTracker`` to
  /// choose its eigensolver tolerance and product cap: by default
  /// `.finiteDifference(relativeError: 1e-4)` for ``DifferenceHessian/richardson(step:)`` and
  /// `1e-3` for ``DifferenceHessian/centralDifference(step:)`` (errors relative to ‖H‖ ‖v‖,
  /// measured on `Float` MLPs: about 3e-5 and 3e-4). Set a larger one for a model whose
  /// ``lastErrorEstimate`` reports more.
  public var hessianProductAccuracy: HessianProductAccuracy

  let loss: Loss
  /// The parameters' leaves, against which every tangent is checked.
  let shape: TangentShape
  /// The template with every scalar 0: where a part's tangents are summed.
  let zero: Parameters
  /// A value rebuilt in place for every evaluation.
  private var scratch: Parameters
  private var shifted: [Float]
  private var gradientBuffers: [[Float]]

  /// Samples per part below which a sample set is not split.
  static var minimumPartSize: Int { 16 }

  /// An objective from a per-sample loss.
  /// - Parameters:
  ///   - parameters: the initial parameters (their shapes fix the layout).
  ///   - sampleCount: N ≥ 1.
  ///   - hessian: how HVPs are formed.
  ///   - loss: ℓ(θ, i) for i in `0..<sampleCount`.
  /// - Throws: `CurvatureError` for N < 1, an empty or non-finite parameter value, or a
  ///   non-positive step.
  /// - Complexity: O(P).
  public convenience init(
    parameters: Parameters, sampleCount: Int, hessian: DifferenceHessian = .richardson(),
    loss: @escaping PerSampleLoss
  ) throws(CurvatureError) {
    try self.init(
      parameters: parameters, sampleCount: sampleCount, hessian: hessian,
      loss: .perSample(loss))
  }

  /// An objective from a batched loss: `losses(θ, indices)` returns the per-sample losses of
  /// `indices` in order (one reverse pass per part of a sample set).
  /// - Throws: as ``init(parameters:sampleCount:hessian:loss:)``.
  /// - Complexity: O(P).
  public convenience init(
    parameters: Parameters, sampleCount: Int, hessian: DifferenceHessian = .richardson(),
    batchLosses: @escaping BatchLosses
  ) throws(CurvatureError) {
    try self.init(
      parameters: parameters, sampleCount: sampleCount, hessian: hessian,
      loss: .batch(batchLosses))
  }

  init(
    parameters: Parameters, sampleCount: Int, hessian: DifferenceHessian, loss: Loss
  ) throws(CurvatureError) {
    let p = parameters.scalarCount
    if p < 1 {
      throw .invalidArgument(name: "parameters", reason: "the parameter value has no scalars")
    }
    if sampleCount < 1 {
      throw .outOfRange(name: "sampleCount", value: Double(sampleCount), range: "[1, ∞)")
    }
    if !(hessian.step > 0) || !hessian.step.isFinite {
      throw .outOfRange(name: "hessian step", value: hessian.step, range: "(0, ∞)")
    }
    let flat = parameters.flattened
    if let bad = flat.firstIndex(where: { !$0.isFinite }) {
      throw .nonFinite(name: "parameters", index: bad)
    }
    let zero = try parameters.rebuilt(from: [Float](repeating: 0, count: p))
    self.parameterCount = p
    self.sampleCount = sampleCount
    self.hessian = hessian
    self.template = parameters
    self.loss = loss
    switch hessian {
    case .richardson: self.hessianProductAccuracy = .finiteDifference(relativeError: 1e-4)
    case .centralDifference: self.hessianProductAccuracy = .finiteDifference(relativeError: 1e-3)
    }
    self.shape = TangentShape(of: parameters)
    self.zero = zero
    self.scratch = parameters
    self.shifted = flat
    self.gradientBuffers = []
  }

  /// An independent objective with the same loss, layout and settings (fresh scratch buffers
  /// and counters). - Complexity: O(P).
  public func copy() -> AutodiffObjective {
    // The checks passed for `template` already.
    let c = try! AutodiffObjective(
      parameters: template, sampleCount: sampleCount, hessian: hessian, loss: loss)
    c.parallel = parallel
    c.estimatesError = estimatesError
    c.hessianProductAccuracy = hessianProductAccuracy
    return c
  }

  /// Your parameter type with the scalars of the flat vector `w` (layout order).
  /// - Throws: `CurvatureError.dimensionMismatch` for a wrong length (`parameters`) or a
  ///   rebuilt value of the wrong length (`rebuilt parameters`).
  /// - Complexity: O(P).
  public func parameters(from w: [Float]) throws(CurvatureError) -> Parameters {
    try template.rebuilt(from: w)
  }

  /// The flat vector of `parameters` (layout order).
  /// - Throws: `CurvatureError.dimensionMismatch` if its shapes differ from the template's.
  /// - Complexity: O(P).
  public func flatten(_ parameters: Parameters) throws(CurvatureError) -> [Float] {
    let n = parameters.scalarCount
    if n != parameterCount {
      throw .dimensionMismatch(name: "parameters", expected: parameterCount, actual: n)
    }
    return parameters.flattened
  }

  // MARK: DifferentiableObjective

  public func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    try evaluate(at: w, samples: samples, gradient: nil, losses: nil)
  }

  public func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    try Self.check("gradient", gradient.count, parameterCount)
    return try evaluate(at: w, samples: samples, gradient: gradient, losses: nil)
  }

  public func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    try Self.check("losses", losses.count, samples.count)
    _ = try evaluate(at: w, samples: samples, gradient: nil, losses: losses)
  }

  /// H v by gradient differences (``hessian``); the error estimate goes to
  /// ``lastErrorEstimate``.
  /// - Throws: `CurvatureError` for wrong sizes, a non-finite direction or loss.
  /// - Complexity: 2 or 4 gradient evaluations (``DifferenceHessian/gradientsPerProduct``).
  public func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    let p = parameterCount
    try Self.check("parameters", w.count, p)
    try Self.check("direction", v.count, p)
    try Self.check("out", out.count, p)
    try samples.validate(sampleCount: sampleCount)
    var vn = 0.0
    var wn = 0.0
    for i in 0..<p {
      if !v[i].isFinite { throw CurvatureError.nonFinite(name: "direction", index: i) }
      vn += Double(v[i]) * Double(v[i])
      wn += Double(w[i]) * Double(w[i])
    }
    vn = vn.squareRoot()
    if vn == 0 {
      for i in 0..<p { out[i] = 0 }
      return
    }
    let h = hessian.step * max(1, wn.squareRoot()) / vn
    let pair: Bool
    switch hessian {
    case .richardson: pair = true
    case .centralDifference: pair = estimatesError
    }
    let multiples: [Double] = pair ? [1, -1, 2, -2] : [1, -1]
    while gradientBuffers.count < multiples.count {
      gradientBuffers.append([Float](repeating: 0, count: p))
    }
    for (j, m) in multiples.enumerated() {
      let scale = Float(m * h)
      shifted.withUnsafeMutableBufferPointer { s in
        for i in 0..<p { s[i] = w[i] + scale * v[i] }
      }
      try shifted.withUnsafeBufferPointer { s in
        try gradientBuffers[j].withUnsafeMutableBufferPointer {
          _ = try evaluate(at: s, samples: samples, gradient: $0, losses: nil)
        }
      }
    }
    // D(h) = (g₊ − g₋)/2h, D(2h) = (g₊₂ − g₋₂)/4h; Richardson: (4 D(h) − D(2h))/3.
    var differenceSquared = 0.0
    var resultSquared = 0.0
    let g = gradientBuffers
    for i in 0..<p {
      let d1 = (Double(g[0][i]) - Double(g[1][i])) / (2 * h)
      var r = d1
      if pair {
        let d2 = (Double(g[2][i]) - Double(g[3][i])) / (4 * h)
        if case .richardson = hessian { r = (4 * d1 - d2) / 3 }
        differenceSquared += (d1 - d2) * (d1 - d2)
      }
      resultSquared += r * r
      out[i] = Float(r)
    }
    if pair {
      let norm = resultSquared.squareRoot()
      let relative = norm > 0 ? differenceSquared.squareRoot() / 3 / norm : 0
      lastErrorEstimate = HessianErrorEstimate(relative: relative, step: h * vn)
      largestErrorEstimate = max(largestErrorEstimate, relative)
    } else {
      lastErrorEstimate = nil
    }
  }

  // MARK: Evaluation

  /// The mean loss over `samples` at `w`; the gradient of the mean into `gradient` and the
  /// per-sample losses into `losses` when given.
  private func evaluate(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    gradient: UnsafeMutableBufferPointer<Float>?, losses: UnsafeMutableBufferPointer<Double>?
  ) throws -> Double {
    let p = parameterCount
    try Self.check("parameters", w.count, p)
    try samples.validate(sampleCount: sampleCount)
    scratch.rebuild(from: w)
    try Self.check("rebuilt parameters", scratch.scalarCount, p)
    let indices = samples.indexArray
    let n = indices.count
    let parts =
      parallel && n >= 2 * Self.minimumPartSize
      ? min(ProcessInfo.processInfo.activeProcessorCount, n / Self.minimumPartSize) : 1
    let params = scratch
    var results = [PartResult](repeating: PartResult(), count: parts)
    let wantsGradient = gradient != nil
    results.withUnsafeMutableBufferPointer { rp in
      let out = rp
      func run(_ part: Int) {
        let lo = n * part / parts
        let hi = n * (part + 1) / parts
        out[part] = evaluatePart(
          params, indices: Array(indices[lo..<hi]), gradient: wantsGradient)
      }
      if parts == 1 { run(0) } else { WorkerPool.shared.run(parts, run) }
    }
    if gradient != nil { gradientEvaluations += 1 }
    var total = 0.0
    var position = 0
    for r in results {
      if let error = r.error { throw error }
      for l in r.losses {
        losses?[position] = l
        position += 1
        total += l
      }
    }
    if let gradient {
      let scale = Float(1 / Double(n))
      results[0].gradient.withUnsafeBufferPointer { first in
        for i in 0..<p { gradient[i] = first[i] }
      }
      for r in results.dropFirst() {
        r.gradient.withUnsafeBufferPointer { g in
          for i in 0..<p { gradient[i] += g[i] }
        }
      }
      for i in 0..<p {
        gradient[i] *= scale
        if !gradient[i].isFinite { throw CurvatureError.nonFinite(name: "gradient", index: i) }
      }
    }
    return total / Double(n)
  }

  /// One part's per-sample losses and summed gradient (or its first error).
  struct PartResult {
    var losses: [Double] = []
    var gradient: [Float] = []
    var error: CurvatureError?
  }

  private func evaluatePart(_ params: Parameters, indices: [Int], gradient: Bool) -> PartResult {
    var result = PartResult()
    result.losses.reserveCapacity(indices.count)
    var sum = zero
    do throws(CurvatureError) {
      switch loss {
      case .perSample(let f):
        for i in indices {
          if gradient {
            let (value, tangent) = valueWithGradient(at: params) { f($0, i) }
            try Self.finite(value, sample: i)
            try add(tangent, to: &sum, name: "gradient of sample \(i)")
            result.losses.append(Double(value))
          } else {
            let value = f(params, i)
            try Self.finite(value, sample: i)
            result.losses.append(Double(value))
          }
        }
      case .batch(let f):
        let values: [Float]
        if gradient {
          let (v, pullback) = valueWithPullback(at: params) { f($0, indices) }
          try Self.check("batch losses", v.count, indices.count)
          for (k, l) in v.enumerated() { try Self.finite(l, sample: indices[k]) }
          let tangent = pullback(.init([Float](repeating: 1, count: v.count)))
          try add(tangent, to: &sum, name: "gradient of samples \(indices.first ?? 0)…")
          values = v
        } else {
          values = f(params, indices)
          try Self.check("batch losses", values.count, indices.count)
          for (k, l) in values.enumerated() { try Self.finite(l, sample: indices[k]) }
        }
        result.losses = values.map(Double.init)
      }
      if gradient {
        try Self.check("gradient sum", sum.scalarCount, parameterCount)
        result.gradient = sum.flattened
      }
    } catch {
      result.error = error
    }
    return result
  }

  /// Adds a tangent to the running sum after checking its sizes (an empty array in a tangent
  /// stands for zeros).
  private func add(_ tangent: Parameters.TangentVector, to sum: inout Parameters, name: String)
    throws(CurvatureError)
  {
    try shape.check(TangentShape(of: tangent), name: name, parameterCount: parameterCount)
    sum.move(by: tangent)
  }

  private static func finite(_ value: Float, sample: Int) throws(CurvatureError) {
    if !value.isFinite { throw .nonFinite(name: "loss of sample", index: sample) }
  }

  private static func check(_ name: String, _ actual: Int, _ expected: Int)
    throws(CurvatureError)
  {
    if actual != expected {
      throw .dimensionMismatch(name: name, expected: expected, actual: actual)
    }
  }
}
