import Curvature
import Foundation

/// A fully connected network (multi-layer perceptron) with exact gradients, Hessian-vector
/// products (HVPs) and Gauss–Newton products, as a ``DifferentiableObjective``.
///
/// Layer l maps n_l → n_{l+1}: z = W x + b, followed by the activation on every hidden layer;
/// the last layer's outputs are the logits. The loss is the mean over the chosen samples of
/// softmax cross-entropy or of mean squared error against one-hot targets.
///
/// **Parameter layout** (stable; the same as PyTorch's `nn.Sequential` of `nn.Linear` layers
/// flattened in `parameters()` order): layer by layer, the weight matrix W_l (n_{l+1} × n_l,
/// row-major, as `nn.Linear.weight`) followed by the bias b_l (n_{l+1}).
///
/// Gradients are hand-written reverse mode. HVPs are exact forward-over-reverse (Pearlmutter's
/// R-operator): the tangent of every forward and backward quantity is propagated alongside,
/// and a block of b directions shares one forward pass with its tangent work stacked into
/// matrix–matrix products. Large batches are split into two halves that run on both cores and
/// are summed in a fixed order, so results are deterministic.
///
/// The forward and backward pass at the last parameters and samples is cached: repeated HVPs
/// at fixed parameters (as an eigensolver makes) skip it. An instance is not safe to use from
/// several threads at once.
public final class MLP: DifferentiableObjective {
  /// The hidden-layer nonlinearity.
  public enum Activation: String, Sendable, CaseIterable, Hashable {
    /// tanh.
    case tanh
    /// max(0, x) (its second derivative is taken as zero).
    case relu
    /// GELU in its tanh approximation, ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (as GPT-2 and
    /// `jax.nn.gelu`).
    case gelu
  }

  /// The per-sample loss on the logits z ∈ R^C.
  public enum Loss: String, Sendable, CaseIterable, Hashable {
    /// Softmax cross-entropy, logsumexp(z) − z_y (numerically stable for any finite logits).
    case crossEntropy
    /// Mean squared error against the one-hot target, (1/C) Σ_c (z_c − [c = y])², as
    /// PyTorch's `nn.MSELoss()` on one-hot targets.
    case meanSquaredError
  }

  /// Widths n_0 (inputs), …, n_L (outputs).
  public let layerSizes: [Int]
  /// The hidden-layer nonlinearity.
  public let activation: Activation
  /// The loss on the logits.
  public let lossFunction: Loss
  /// The training data the sample indices refer to.
  public let data: ClassificationData
  /// The number of parameters P = Σ_l n_{l+1}(n_l + 1).
  public let parameterCount: Int
  /// The number of samples N of ``data``.
  public var sampleCount: Int { data.count }
  /// The number of layers L.
  public var layerCount: Int { layerSizes.count - 1 }

  let weightOffsets: [Int]
  let biasOffsets: [Int]
  let labels32: [Int32]
  var chunks: [MLPChunk] = []
  /// The chunks built for each recent batch size, reused when that size comes back.
  private var retainedChunks: [Int: [MLPChunk]] = [:]
  /// How many batch sizes keep their chunks.
  private static let retainedSizes = 4
  var cache = ForwardCache()

  /// Creates a network on `data`.
  ///
  /// - Parameters:
  ///   - layerSizes: [n_0, …, n_L] with n_0 = `data.featureCount` and n_L ≥ `data.classCount`;
  ///     at least two entries, all positive.
  ///   - activation: the hidden nonlinearity.
  ///   - loss: cross-entropy (default) or mean squared error.
  ///   - data: the samples (at least one).
  /// - Throws: `CurvatureError` naming `layerSizes` or `data`.
  /// - Complexity: O(L).
  public init(
    layerSizes: [Int], activation: Activation, loss: Loss = .crossEntropy, data: ClassificationData
  ) throws(CurvatureError) {
    if layerSizes.count < 2 {
      throw .invalidArgument(name: "layerSizes", reason: "needs at least input and output sizes")
    }
    if let bad = layerSizes.first(where: { $0 < 1 }) {
      throw .invalidArgument(name: "layerSizes", reason: "size \(bad) is not positive")
    }
    if layerSizes[0] != data.featureCount {
      throw .invalidArgument(
        name: "layerSizes",
        reason: "input size \(layerSizes[0]) differs from the data's \(data.featureCount) features")
    }
    if layerSizes.last! < data.classCount {
      throw .invalidArgument(
        name: "layerSizes",
        reason: "output size \(layerSizes.last!) is below the data's \(data.classCount) classes")
    }
    if data.count < 1 { throw .invalidArgument(name: "data", reason: "no samples") }
    self.layerSizes = layerSizes
    self.activation = activation
    self.lossFunction = loss
    self.data = data
    var w: [Int] = []
    var b: [Int] = []
    var p = 0
    for l in 0..<(layerSizes.count - 1) {
      w.append(p)
      p += layerSizes[l] * layerSizes[l + 1]
      b.append(p)
      p += layerSizes[l + 1]
    }
    weightOffsets = w
    biasOffsets = b
    parameterCount = p
    labels32 = data.labels.map { Int32($0) }
  }

  /// The same network on other data (same layout, so parameters carry over).
  /// - Throws: `CurvatureError` if `data` does not fit the layer sizes.
  /// - Complexity: O(L).
  public func withData(_ data: ClassificationData) throws -> MLP {
    try MLP(layerSizes: layerSizes, activation: activation, loss: lossFunction, data: data)
  }

  /// The range of W_l (row-major n_{l+1} × n_l) in the parameter vector. - Complexity: O(1).
  public func weightRange(layer l: Int) -> Range<Int> { weightOffsets[l]..<biasOffsets[l] }

  /// The range of b_l in the parameter vector. - Complexity: O(1).
  public func biasRange(layer l: Int) -> Range<Int> {
    biasOffsets[l]..<(biasOffsets[l] + layerSizes[l + 1])
  }

  /// Seeded fan-in initialisation, as PyTorch's `nn.Linear` default: every weight and bias of
  /// layer l uniform in ±1/√n_l.
  /// - Complexity: O(P).
  public func initialParameters(seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    var w = [Float](repeating: 0, count: parameterCount)
    for l in 0..<layerCount {
      let bound = 1 / Double(layerSizes[l]).squareRoot()
      for i in weightOffsets[l]..<(biasOffsets[l] + layerSizes[l + 1]) {
        w[i] = Float((2 * rng.nextUniform() - 1) * bound)
      }
    }
    return w
  }

  // MARK: - DifferentiableObjective

  /// - Complexity: one forward pass, O(N P).
  public func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    try chunkedLoss(w, samples)
  }

  /// - Complexity: one forward and one backward pass, about 3 N P multiply–adds.
  public func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    try chunkedGradient(w, samples, into: gradient)
  }

  /// Exact H v by forward-over-reverse. Cached forward/backward state at the same `w` and
  /// `samples` is reused.
  /// - Complexity: about 2–3 gradients (about 2 when the forward pass is cached).
  public func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try hessianVectorProducts(at: w, samples: samples, directions: v, count: 1, into: out)
  }

  /// Exact H V for `count` directions (P × count, column-major) sharing one forward pass;
  /// the tangent work of all directions is stacked into matrix–matrix products.
  /// - Complexity: one forward/backward pass plus about 6 N P multiply–adds per direction.
  public func hessianVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try tangentProducts(w, samples, v, count, out, gaussNewton: false)
  }

  /// `true`: this model computes exact Gauss–Newton products.
  public var providesGaussNewtonProducts: Bool { true }

  /// Exact G v = Jᵀ (∇²_z ℓ) J v, the generalised Gauss–Newton product (logits z).
  /// - Complexity: one forward pass plus about 4 N P multiply–adds.
  public func gaussNewtonVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try tangentProducts(w, samples, v, 1, out, gaussNewton: true)
  }

  /// Block Gauss–Newton products G V for `count` directions (P × count, column-major).
  /// - Complexity: one forward pass plus about 4 N P multiply–adds per direction.
  public func gaussNewtonVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try tangentProducts(w, samples, v, count, out, gaussNewton: true)
  }

  /// - Complexity: one forward pass.
  public func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    try chunkedPerSampleLosses(w, samples, into: losses)
  }

  // MARK: - Predictions

  /// The logits (|samples| × n_L, row-major) at `w`.
  /// - Throws: `CurvatureError` for a wrong parameter count, NaN/Inf or bad samples.
  /// - Complexity: one forward pass.
  public func logits(at w: [Float], samples: SampleSet) throws -> [Float] {
    try checkFinite(w, samples)
    w.withUnsafeBufferPointer { prepareForward($0, samples) }
    let c = layerSizes.last!
    var out = [Float](repeating: 0, count: samples.count * c)
    for ch in chunks {
      for i in 0..<(ch.rows * c) { out[ch.start * c + i] = ch.logits!.p[i] }
    }
    return out
  }

  /// The fraction of `data`'s samples whose largest logit is at the true label.
  /// - Throws: `CurvatureError` for a wrong parameter count, NaN/Inf, or data that does not
  ///   fit the network.
  /// - Complexity: one forward pass over `data`.
  public func accuracy(at w: [Float], data: ClassificationData) throws -> Double {
    let model = try withData(data)
    let z = try model.logits(at: w, samples: .all(data.count))
    let c = layerSizes.last!
    var correct = 0
    for i in 0..<data.count {
      var best = 0
      for j in 1..<c where z[i * c + j] > z[i * c + best] { best = j }
      if best == data.labels[i] { correct += 1 }
    }
    return Double(correct) / Double(data.count)
  }

  // MARK: - Passes

  /// Gathers the inputs and labels of `samples` into one or two chunks.
  func makeChunks(for samples: SampleSet) {
    let idx = samples.indexArray
    let n = idx.count
    let widest = layerSizes.max()!
    let parts = n * widest >= 16_384 && n >= 32 ? 2 : 1
    let ranges = Parallel.ranges(n, parts: parts)
    let d = layerSizes[0]
    // A training loop alternates between a few batch sizes (minibatch, Hessian batch, the full
    // set): the chunks of each size are kept and refilled, so switching allocates nothing.
    if retainedChunks[n] == nil && retainedChunks.count >= Self.retainedSizes {
      retainedChunks.removeAll()
    }
    let reused = retainedChunks[n]
    chunks = ranges.enumerated().map { part, r in
      let c =
        reused?[part] ?? MLPChunk(start: r.lowerBound, rows: r.count, sizes: layerSizes, batch: n)
      data.inputs.withUnsafeBufferPointer { x in
        for (k, i) in idx[r].enumerated() {
          (c.input.p + k * d).update(from: x.baseAddress! + i * d, count: d)
          c.labels[k] = labels32[i]
        }
      }
      return c
    }
    retainedChunks[n] = chunks
  }

  func forward(_ c: MLPChunk, _ w: UnsafePointer<Float>, secondOrder: Bool) {
    let L = layerCount
    let rows = c.rows
    for l in 0..<L {
      let nin = layerSizes[l]
      let nout = layerSizes[l + 1]
      let x = l == 0 ? c.input.p : c.act[l - 1].p
      let z = l == L - 1 ? c.logits!.p : c.act[l].p
      Dense.gemm(false, true, rows, nout, nin, x, nin, w + weightOffsets[l], nin, 0, z, nout)
      if l < L - 1 {
        activation.apply(
          z, rows: rows, cols: nout, bias: w + biasOffsets[l], d1: c.d1[l].p,
          d2: activation == .relu || !secondOrder ? nil : c.d2[l].p)
      } else {
        Dense.addBias(z, rows: rows, cols: nout, bias: w + biasOffsets[l])
      }
    }
    let C = layerSizes[L]
    let z = c.logits!.p
    c.labels.withUnsafeBufferPointer { y in
      c.rowLoss.withUnsafeMutableBufferPointer { lossOut in
        switch lossFunction {
        case .crossEntropy:
          CrossEntropy.forward(
            logits: z, rows: rows, classes: C, labels: y.baseAddress!, probs: c.probs!.p,
            losses: lossOut.baseAddress!)
        case .meanSquaredError:
          for r in 0..<rows {
            var s = 0.0
            for k in 0..<C {
              let t = Double(z[r * C + k]) - (k == Int(y[r]) ? 1 : 0)
              s += t * t
            }
            lossOut[r] = s / Double(C)
          }
        }
      }
    }
  }

  /// The output gradient G_L = ∂(mean loss)/∂z for the chunk's rows.
  private func outputGradient(_ c: MLPChunk, into g: UnsafeMutablePointer<Float>) {
    let C = layerSizes.last!
    let invN = 1 / Float(c.batch)
    let z = c.logits!.p
    for r in 0..<c.rows {
      let y = Int(c.labels[r])
      for k in 0..<C {
        switch lossFunction {
        case .crossEntropy:
          g[r * C + k] = (c.probs!.p[r * C + k] - (k == y ? 1 : 0)) * invN
        case .meanSquaredError:
          g[r * C + k] = 2 * (z[r * C + k] - (k == y ? 1 : 0)) * invN / Float(C)
        }
      }
    }
  }

  /// Backward pass: stores G_l (and D ⊙ σ'' for the HVP) and, when `gradient` is non-nil,
  /// writes the chunk's gradient contribution there.
  func backward(
    _ c: MLPChunk, _ w: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>?
  ) {
    let L = layerCount
    let rows = c.rows
    outputGradient(c, into: c.g[L - 1].p)
    for l in stride(from: L - 1, through: 0, by: -1) {
      let nin = layerSizes[l]
      let nout = layerSizes[l + 1]
      let g = c.g[l].p
      if let gradient {
        let x = l == 0 ? c.input.p : c.act[l - 1].p
        Dense.gemm(
          true, false, nout, nin, rows, g, nout, x, nin, 0, gradient + weightOffsets[l], nin)
        Dense.columnSums(g, rows: rows, cols: nout, into: gradient + biasOffsets[l])
      }
      if l > 0 {
        let d = c.g[l - 1].p
        Dense.gemm(false, false, rows, nin, nout, g, nout, w + weightOffsets[l], nin, 0, d, nin)
        if activation != .relu && cache.secondOrderValid {
          Dense.multiply(d, c.d2[l - 1].p, into: c.e[l - 1].p, count: rows * nin)
        }
        Dense.multiply(d, c.d1[l - 1].p, into: d, count: rows * nin)
      }
    }
  }

  private func tangentProducts(
    _ w: UnsafeBufferPointer<Float>, _ samples: SampleSet, _ v: UnsafeBufferPointer<Float>,
    _ count: Int, _ out: UnsafeMutableBufferPointer<Float>, gaussNewton: Bool
  ) throws {
    try checkProducts(w, samples, v, count, out)
    prepareForward(w, samples, secondOrder: !gaussNewton)
    let wp = w.baseAddress!
    if !gaussNewton { prepareBackward(w) }
    let P = parameterCount
    let group = 8
    var j0 = 0
    while j0 < count {
      let b = min(group, count - j0)
      let vp = v.baseAddress! + j0 * P
      sumOverChunks(count: P * b, into: out.baseAddress! + j0 * P) { i, target in
        self.tangent(self.chunks[i], wp, vp, b, target, gaussNewton: gaussNewton)
      }
      j0 += b
    }
  }

  /// Forward-over-reverse for `b` directions on one chunk; writes P × b results into `out`.
  private func tangent(
    _ c: MLPChunk, _ w: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ b: Int,
    _ out: UnsafeMutablePointer<Float>, gaussNewton: Bool
  ) {
    let L = layerCount
    let rows = c.rows
    let P = parameterCount
    c.reserveTangents(b)
    // Tangent forward: Ż_l = Ẋ_l W_lᵀ + X_l V_lᵀ + c_l; Ẋ_{l+1} = σ'(z_l) ⊙ Ż_l.
    for l in 0..<L {
      let nin = layerSizes[l]
      let nout = layerSizes[l + 1]
      let x = l == 0 ? c.input.p : c.act[l - 1].p
      let zt = c.zt[l]!.p
      // One direction: Ẋ Wᵀ + X Vᵀ as one product over the concatenated inner dimension.
      let paired = b == 1 && l > 0
      if paired {
        Dense.gemm2(
          false, true, rows, nout, nin, c.xt[l - 1]!.p, nin, w + weightOffsets[l], nin, nin, x,
          nin, v + weightOffsets[l], nin, 0, zt, nout)
      } else if l > 0 {
        Dense.gemm(
          false, true, b * rows, nout, nin, c.xt[l - 1]!.p, nin, w + weightOffsets[l], nin, 0, zt,
          nout)
      }
      for j in 0..<b {
        let ztj = zt + j * rows * nout
        if !paired {
          Dense.gemm(
            false, true, rows, nout, nin, x, nin, v + j * P + weightOffsets[l], nin,
            l > 0 ? 1 : 0, ztj, nout)
        }
        Dense.addBias(ztj, rows: rows, cols: nout, bias: v + j * P + biasOffsets[l])
        if l < L - 1 {
          Dense.multiply(c.d1[l].p, ztj, into: c.xt[l]!.p + j * rows * nout, count: rows * nout)
        }
      }
    }
    // Output: Ġ_L = ∇²_z ℓ Ż_L / N.
    let C = layerSizes[L]
    let invN = 1 / Float(c.batch)
    var gt = c.gtA!.p
    var gtNext = c.gtB!.p
    let ztL = c.zt[L - 1]!.p
    for j in 0..<b {
      for r in 0..<rows {
        let zr = ztL + (j * rows + r) * C
        let gr = gt + (j * rows + r) * C
        switch lossFunction {
        case .crossEntropy:
          let p = c.probs!.p + r * C
          var s: Float = 0
          for k in 0..<C { s += p[k] * zr[k] }
          for k in 0..<C { gr[k] = p[k] * (zr[k] - s) * invN }
        case .meanSquaredError:
          let f = 2 * invN / Float(C)
          for k in 0..<C { gr[k] = f * zr[k] }
        }
      }
    }
    // Tangent backward.
    for l in stride(from: L - 1, through: 0, by: -1) {
      let nin = layerSizes[l]
      let nout = layerSizes[l + 1]
      let x = l == 0 ? c.input.p : c.act[l - 1].p
      for j in 0..<b {
        let gtj = gt + j * rows * nout
        let hw = out + j * P + weightOffsets[l]
        if !gaussNewton && l > 0 {
          // Ġᵀ X + Gᵀ Ẋ as one product over the concatenated sample dimension.
          Dense.gemm2(
            true, false, nout, nin, rows, gtj, nout, x, nin, rows, c.g[l].p, nout,
            c.xt[l - 1]!.p + j * rows * nin, nin, 0, hw, nin)
        } else {
          Dense.gemm(true, false, nout, nin, rows, gtj, nout, x, nin, 0, hw, nin)
        }
        Dense.columnSums(gtj, rows: rows, cols: nout, into: out + j * P + biasOffsets[l])
      }
      if l > 0 {
        // One direction: Ġ W + G V as one product over the concatenated inner dimension.
        let paired = b == 1 && !gaussNewton
        if paired {
          Dense.gemm2(
            false, false, rows, nin, nout, gt, nout, w + weightOffsets[l], nin, nout, c.g[l].p,
            nout, v + weightOffsets[l], nin, 0, gtNext, nin)
        } else {
          Dense.gemm(
            false, false, b * rows, nin, nout, gt, nout, w + weightOffsets[l], nin, 0, gtNext, nin)
        }
        for j in 0..<b {
          let nj = gtNext + j * rows * nin
          if !gaussNewton && !paired {
            Dense.gemm(
              false, false, rows, nin, nout, c.g[l].p, nout, v + j * P + weightOffsets[l], nin, 1,
              nj, nin)
          }
          if gaussNewton || activation == .relu {
            Dense.multiply(c.d1[l - 1].p, nj, into: nj, count: rows * nin)
          } else {
            Dense.multiplyAdd(
              nj, c.d1[l - 1].p, c.e[l - 1].p, c.zt[l - 1]!.p + j * rows * nin, count: rows * nin)
          }
        }
        swap(&gt, &gtNext)
      }
    }
  }
}

/// Per-chunk workspace of an ``MLP``: gathered inputs, activations, derivatives, tangents.
final class MLPChunk: ObjectiveChunk {
  let start: Int
  let rows: Int
  let batch: Int
  let sizes: [Int]
  let input: FloatBuffer
  var labels: [Int32]
  var rowLoss: [Double]
  var sampleLosses: [Double] { rowLoss }
  let act: [FloatBuffer]
  let d1: [FloatBuffer]
  let d2: [FloatBuffer]
  let e: [FloatBuffer]
  let g: [FloatBuffer]
  var logits: FloatBuffer?
  var probs: FloatBuffer?
  var zt: [FloatBuffer?]
  var xt: [FloatBuffer?]
  var gtA: FloatBuffer?
  var gtB: FloatBuffer?
  var partialBuffer: FloatBuffer?
  private var tangentCapacity = 0

  init(start: Int, rows: Int, sizes: [Int], batch: Int) {
    self.start = start
    self.rows = rows
    self.batch = batch
    self.sizes = sizes
    let L = sizes.count - 1
    input = FloatBuffer(rows * sizes[0])
    labels = [Int32](repeating: 0, count: rows)
    rowLoss = [Double](repeating: 0, count: rows)
    act = (0..<(L - 1)).map { FloatBuffer(rows * sizes[$0 + 1]) }
    d1 = (0..<(L - 1)).map { FloatBuffer(rows * sizes[$0 + 1]) }
    d2 = (0..<(L - 1)).map { FloatBuffer(rows * sizes[$0 + 1]) }
    e = (0..<(L - 1)).map { FloatBuffer(rows * sizes[$0 + 1]) }
    g = (0..<L).map { FloatBuffer(rows * sizes[$0 + 1]) }
    logits = FloatBuffer(rows * sizes[L])
    probs = FloatBuffer(rows * sizes[L])
    zt = Array(repeating: nil, count: L)
    xt = Array(repeating: nil, count: L)
  }

  /// Tangent buffers for `b` directions.
  func reserveTangents(_ b: Int) {
    if b <= tangentCapacity { return }
    let L = sizes.count - 1
    for l in 0..<L {
      zt[l] = FloatBuffer(b * rows * sizes[l + 1])
      if l < L - 1 { xt[l] = FloatBuffer(b * rows * sizes[l + 1]) }
    }
    let widest = sizes.max()!
    gtA = FloatBuffer(b * rows * widest)
    gtB = FloatBuffer(b * rows * widest)
    tangentCapacity = b
  }
}
extension MLP: ChunkedObjective {}
