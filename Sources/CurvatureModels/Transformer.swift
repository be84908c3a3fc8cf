import Curvature
import Foundation

/// A decoder-only transformer language model with exact gradients, Hessian-vector products
/// and Gauss–Newton products, as a ``DifferentiableObjective`` over ``TokenSequences``.
///
/// Architecture (GPT-2 style, pre-LayerNorm): token and learned position embeddings; L blocks
/// of x ← x + Attn(LN₁(x)), x ← x + W₂ GELU(W₁ LN₂(x) + b₁) + b₂ with causal multi-head
/// self-attention (packed Q|K|V projection, output projection); a final LayerNorm; an
/// unembedding matrix (no bias). GELU is the tanh approximation; LayerNorm uses ε = 1e-5.
/// A sample is one sequence; its loss is the mean next-token cross-entropy over the positions
/// selected by `data.lossMask`; the objective is the mean over the chosen sequences.
///
/// **Parameter layout** (stable), with D = model width, F = MLP width, V = vocabulary,
/// T = context length, every matrix row-major with `nn.Linear.weight` shape (out × in):
/// token embedding (V × D); position embedding (T × D); per block: LN₁ γ (D), LN₁ β (D),
/// W_qkv (3D × D; rows Q, then K, then V), b_qkv (3D), W_o (D × D), b_o (D), LN₂ γ (D),
/// LN₂ β (D), W₁ (F × D), b₁ (F), W₂ (D × F), b₂ (D); final LN γ (D), β (D); unembedding
/// (V × D). Head h uses columns h·D/H..<(h+1)·D/H of each of Q, K, V.
///
/// HVPs are forward-over-reverse (every op propagates tangents through its forward and
/// backward pass); a block of directions shares the forward and backward pass, which are
/// cached at the last parameters and samples. Sequences are split across both cores with a
/// fixed reduction order. An instance is not safe to use from several threads at once.
public final class Transformer: DifferentiableObjective {
  /// Model sizes.
  public struct Configuration: Sendable, Hashable {
    /// V.
    public var vocabularySize: Int
    /// T, the maximum (and used) sequence length.
    public var contextLength: Int
    /// D.
    public var modelWidth: Int
    /// H (must divide D).
    public var headCount: Int
    /// L.
    public var layerCount: Int
    /// F (default 4D).
    public var mlpWidth: Int

    /// Creates a configuration; `mlpWidth` defaults to 4 · `modelWidth`. - Complexity: O(1).
    public init(
      vocabularySize: Int, contextLength: Int, modelWidth: Int, headCount: Int, layerCount: Int,
      mlpWidth: Int? = nil
    ) {
      self.vocabularySize = vocabularySize
      self.contextLength = contextLength
      self.modelWidth = modelWidth
      self.headCount = headCount
      self.layerCount = layerCount
      self.mlpWidth = mlpWidth ?? 4 * modelWidth
    }

    /// The number of parameters P. - Complexity: O(1).
    public var parameterCount: Int {
      let d = modelWidth
      let f = mlpWidth
      let block = 4 * d + 3 * d * d + 3 * d + d * d + d + f * d + f + d * f + d
      return vocabularySize * d + contextLength * d + layerCount * block + 2 * d
        + vocabularySize * d
    }
  }

  struct BlockLayout {
    var ln1g = 0, ln1b = 0, wqkv = 0, bqkv = 0, wo = 0, bo = 0
    var ln2g = 0, ln2b = 0, w1 = 0, b1 = 0, w2 = 0, b2 = 0
  }

  /// The sizes.
  public let configuration: Configuration
  /// The sequences the sample indices refer to.
  public let data: TokenSequences
  /// P.
  public let parameterCount: Int
  /// N, the number of sequences.
  public var sampleCount: Int { data.count }

  let tokenEmbedding = 0
  let positionEmbedding: Int
  let blocks: [BlockLayout]
  let lnfGamma: Int
  let lnfBeta: Int
  let unembedding: Int
  var chunks: [TransformerChunk] = []
  var cache = ForwardCache()

  /// Creates the model on `data`.
  /// - Throws: `CurvatureError` if a size is not positive, H does not divide D, the data's
  ///   length differs from T, or its vocabulary exceeds V.
  /// - Complexity: O(L).
  public init(configuration c: Configuration, data: TokenSequences) throws(CurvatureError) {
    for (name, v) in [
      ("vocabularySize", c.vocabularySize), ("contextLength", c.contextLength),
      ("modelWidth", c.modelWidth), ("headCount", c.headCount), ("layerCount", c.layerCount),
      ("mlpWidth", c.mlpWidth),
    ] where v < 1 {
      throw .outOfRange(name: name, value: Double(v), range: "[1, ∞)")
    }
    if c.modelWidth % c.headCount != 0 {
      throw .invalidArgument(
        name: "headCount", reason: "\(c.headCount) heads do not divide width \(c.modelWidth)")
    }
    if data.length != c.contextLength {
      throw .invalidArgument(
        name: "data",
        reason: "sequence length \(data.length) differs from context \(c.contextLength)")
    }
    if data.vocabularySize > c.vocabularySize {
      throw .invalidArgument(
        name: "data", reason: "vocabulary \(data.vocabularySize) exceeds \(c.vocabularySize)")
    }
    configuration = c
    self.data = data
    let d = c.modelWidth
    let f = c.mlpWidth
    var p = c.vocabularySize * d
    positionEmbedding = p
    p += c.contextLength * d
    var bl: [BlockLayout] = []
    for _ in 0..<c.layerCount {
      var b = BlockLayout()
      func take(_ n: Int) -> Int {
        defer { p += n }
        return p
      }
      b.ln1g = take(d)
      b.ln1b = take(d)
      b.wqkv = take(3 * d * d)
      b.bqkv = take(3 * d)
      b.wo = take(d * d)
      b.bo = take(d)
      b.ln2g = take(d)
      b.ln2b = take(d)
      b.w1 = take(f * d)
      b.b1 = take(f)
      b.w2 = take(d * f)
      b.b2 = take(d)
      bl.append(b)
    }
    blocks = bl
    lnfGamma = p
    lnfBeta = p + d
    unembedding = p + 2 * d
    parameterCount = unembedding + c.vocabularySize * d
    precondition(parameterCount == c.parameterCount)
  }

  /// The same model on other sequences.
  /// - Throws: `CurvatureError` if `data` does not fit the configuration.
  /// - Complexity: O(L).
  public func withData(_ data: TokenSequences) throws -> Transformer {
    try Transformer(configuration: configuration, data: data)
  }

  /// Seeded initialisation: embeddings N(0, 0.02²) (as GPT-2); linear weights uniform in
  /// ±1/√fan_in (as `nn.Linear`); biases 0; LayerNorm γ = 1, β = 0.
  /// - Complexity: O(P).
  public func initialParameters(seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    var w = [Float](repeating: 0, count: parameterCount)
    let c = configuration
    let d = c.modelWidth
    func gaussian(_ start: Int, _ n: Int, _ sd: Double) {
      for i in start..<(start + n) { w[i] = Float(rng.nextGaussian() * sd) }
    }
    func uniform(_ start: Int, _ n: Int, fanIn: Int) {
      let b = 1 / Double(fanIn).squareRoot()
      for i in start..<(start + n) { w[i] = Float((2 * rng.nextUniform() - 1) * b) }
    }
    gaussian(tokenEmbedding, c.vocabularySize * d, 0.02)
    gaussian(positionEmbedding, c.contextLength * d, 0.02)
    for b in blocks {
      for i in 0..<d {
        w[b.ln1g + i] = 1
        w[b.ln2g + i] = 1
      }
      uniform(b.wqkv, 3 * d * d, fanIn: d)
      uniform(b.wo, d * d, fanIn: d)
      uniform(b.w1, c.mlpWidth * d, fanIn: d)
      uniform(b.w2, d * c.mlpWidth, fanIn: c.mlpWidth)
    }
    for i in 0..<d { w[lnfGamma + i] = 1 }
    uniform(unembedding, c.vocabularySize * d, fanIn: d)
    return w
  }

  // MARK: - DifferentiableObjective

  /// - Complexity: one forward pass, O(N T (P + T D)).
  public func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    try chunkedLoss(w, samples)
  }

  /// - Complexity: one forward and one backward pass.
  public func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    try chunkedGradient(w, samples, into: gradient)
  }

  /// Exact H v (forward-over-reverse). - Complexity: about 2–3 gradients.
  public func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try products(w, samples, v, 1, out, functional: true)
  }

  /// Exact H V for `count` directions (P × count, column-major) sharing the forward and
  /// backward pass. - Complexity: one gradient plus about 1.5 gradients per direction.
  public func hessianVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try products(w, samples, v, count, out, functional: true)
  }

  /// `true`: this model computes exact Gauss–Newton products.
  public var providesGaussNewtonProducts: Bool { true }

  /// G v = Jᵀ (∇²_z ℓ) J v with J the Jacobian of the logits.
  /// - Complexity: one forward pass plus about 1.5 gradients.
  public func gaussNewtonVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try products(w, samples, v, 1, out, functional: false)
  }

  /// - Complexity: one forward pass.
  public func perSampleLosses(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into losses: UnsafeMutableBufferPointer<Double>
  ) throws {
    try chunkedPerSampleLosses(w, samples, into: losses)
  }

  /// Next-token cross-entropy at every position (|samples| × T, row-major), whether or not
  /// the position counts in the loss.
  /// - Throws: `CurvatureError` for a wrong parameter count, NaN/Inf or bad samples.
  /// - Complexity: one forward pass.
  public func positionLosses(at w: [Float], samples: SampleSet) throws -> [Double] {
    try checkFinite(w, samples)
    w.withUnsafeBufferPointer { prepareForward($0, samples) }
    let t = configuration.contextLength
    var out = [Double](repeating: 0, count: samples.count * t)
    for c in chunks {
      for r in 0..<c.rows { out[c.start * t + r] = c.rowLoss[r] }
    }
    return out
  }

  // MARK: - Passes

  /// Gathers the tokens, targets and loss weights of `samples` into one or two chunks.
  func makeChunks(for samples: SampleSet) {
    let idx = samples.indexArray
    let t = configuration.contextLength
    let parts = idx.count * t * configuration.modelWidth >= 32_768 && idx.count >= 2 ? 2 : 1
    let masked = Float(data.lossMask.filter { $0 }.count)
    chunks = Parallel.ranges(idx.count, parts: parts).map { r in
      let c = TransformerChunk(
        start: r.lowerBound, sequences: r.count, configuration: configuration)
      for (k, i) in idx[r].enumerated() {
        for p in 0..<t {
          c.inputs[k * t + p] = Int32(data.tokens[i * (t + 1) + p])
          c.targets[k * t + p] = Int32(data.tokens[i * (t + 1) + p + 1])
          c.weights[k * t + p] = data.lossMask[p] ? 1 / (masked * Float(idx.count)) : 0
        }
      }
      return c
    }
  }

  private func products(
    _ w: UnsafeBufferPointer<Float>, _ samples: SampleSet, _ v: UnsafeBufferPointer<Float>,
    _ count: Int, _ out: UnsafeMutableBufferPointer<Float>, functional: Bool
  ) throws {
    try checkProducts(w, samples, v, count, out)
    prepareForward(w, samples, secondOrder: functional)
    let wp = w.baseAddress!
    if functional { prepareBackward(w) }
    let p = parameterCount
    for j in 0..<count {
      let vj = v.baseAddress! + j * p
      sumOverChunks(count: p, into: out.baseAddress! + j * p) { i, target in
        target.update(repeating: 0, count: p)
        self.tangent(self.chunks[i], wp, vj, target, functional: functional)
      }
    }
  }

  /// The tangent backward pass through a linear map y = x Wᵀ (W outputs × inputs, row-major),
  /// given the adjoint ȳ and its tangent ȳ' (rows × outputs): x̄' ← ȳ' W (+ ȳ Ẇ) and
  /// W̄' += ȳ'ᵀ x (+ ȳᵀ ẋ), the bracketed functional terms only when `functional`; each pair is
  /// one multiply over the concatenated inner dimension.
  /// - Complexity: O(rows · inputs · outputs), twice that when `functional`.
  private static func linearTangentBackward(
    rows: Int, inputs: Int, outputs: Int, adjointT: UnsafePointer<Float>,
    adjoint: UnsafePointer<Float>, input: UnsafePointer<Float>, inputT: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, direction: UnsafePointer<Float>, functional: Bool,
    inputAdjointT: UnsafeMutablePointer<Float>, weightAdjointT: UnsafeMutablePointer<Float>
  ) {
    let (n, m) = (inputs, outputs)
    if functional {
      Dense.gemm2(
        false, false, rows, n, m, adjointT, m, weight, n, m, adjoint, m, direction, n, 0,
        inputAdjointT, n)
      Dense.gemm2(
        true, false, m, n, rows, adjointT, m, input, n, rows, adjoint, m, inputT, n, 1,
        weightAdjointT, n)
    } else {
      Dense.gemm(false, false, rows, n, m, adjointT, m, weight, n, 0, inputAdjointT, n)
      Dense.gemm(true, false, m, n, rows, adjointT, m, input, n, 1, weightAdjointT, n)
    }
  }

  private func attention(_ c: TransformerChunk) -> AttentionOps {
    AttentionOps(
      sequences: c.sequences, length: configuration.contextLength,
      width: configuration.modelWidth, heads: configuration.headCount)
  }

  func forward(_ c: TransformerChunk, _ w: UnsafePointer<Float>, secondOrder: Bool) {
    let cf = configuration
    let (rows, d, f, t, nv) = (
      c.rows, cf.modelWidth, cf.mlpWidth, cf.contextLength, cf.vocabularySize
    )
    let x0 = c.blocks.isEmpty ? c.xL.p : c.blocks[0].xin.p
    for r in 0..<rows {
      let e = w + tokenEmbedding + Int(c.inputs[r]) * d
      let pe = w + positionEmbedding + (r % t) * d
      for i in 0..<d { x0[r * d + i] = e[i] + pe[i] }
    }
    let att = attention(c)
    for (l, b) in blocks.enumerated() {
      let k = c.blocks[l]
      let next = l + 1 < blocks.count ? c.blocks[l + 1].xin.p : c.xL.p
      LayerNormOps.forward(
        k.xin.p, rows: rows, width: d, gamma: w + b.ln1g, beta: w + b.ln1b, n: k.n1.p,
        rstd: k.rstd1.p, y: k.h1.p)
      Dense.gemm(false, true, rows, 3 * d, d, k.h1.p, d, w + b.wqkv, d, 0, k.qkv.p, 3 * d)
      Dense.addBias(k.qkv.p, rows: rows, cols: 3 * d, bias: w + b.bqkv)
      att.forward(qkv: k.qkv.p, att: k.att.p, o: k.o.p)
      k.xmid.p.update(from: k.xin.p, count: rows * d)
      Dense.gemm(false, true, rows, d, d, k.o.p, d, w + b.wo, d, 1, k.xmid.p, d)
      Dense.addBias(k.xmid.p, rows: rows, cols: d, bias: w + b.bo)
      LayerNormOps.forward(
        k.xmid.p, rows: rows, width: d, gamma: w + b.ln2g, beta: w + b.ln2b, n: k.n2.p,
        rstd: k.rstd2.p, y: k.h2.p)
      Dense.gemm(false, true, rows, f, d, k.h2.p, d, w + b.w1, d, 0, k.g.p, f)
      MLP.Activation.gelu.apply(
        k.g.p, rows: rows, cols: f, bias: w + b.b1, d1: k.s1.p, d2: secondOrder ? k.s2.p : nil)
      next.update(from: k.xmid.p, count: rows * d)
      Dense.gemm(false, true, rows, d, f, k.g.p, f, w + b.w2, f, 1, next, d)
      Dense.addBias(next, rows: rows, cols: d, bias: w + b.b2)
    }
    LayerNormOps.forward(
      c.xL.p, rows: rows, width: d, gamma: w + lnfGamma, beta: w + lnfBeta, n: c.nf.p,
      rstd: c.rstdf.p, y: c.hf.p)
    Dense.gemm(false, true, rows, nv, d, c.hf.p, d, w + unembedding, d, 0, c.logits.p, nv)
    c.targets.withUnsafeBufferPointer { y in
      c.rowLoss.withUnsafeMutableBufferPointer { lp in
        CrossEntropy.forward(
          logits: c.logits.p, rows: rows, classes: nv, labels: y.baseAddress!, probs: c.probs.p,
          losses: lp.baseAddress!)
      }
    }
    let mask = data.lossMask
    let masked = Double(mask.filter { $0 }.count)
    for s in 0..<c.sequences {
      var sum = 0.0
      for p in 0..<t where mask[p] { sum += c.rowLoss[s * t + p] }
      c.sequenceLoss[s] = sum / masked
    }
  }

  /// Backward pass storing every adjoint the HVP needs; adds the gradient into `gradient`.
  func backward(
    _ c: TransformerChunk, _ w: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>?
  ) {
    let cf = configuration
    let (rows, d, f, nv) = (c.rows, cf.modelWidth, cf.mlpWidth, cf.vocabularySize)
    // The passes below accumulate into the gradient.
    g?.update(repeating: 0, count: parameterCount)
    // dlogits = ω (p − onehot)
    for r in 0..<rows {
      let wr = c.weights[r]
      let pr = c.probs.p + r * nv
      let dr = c.dlogits.p + r * nv
      for k in 0..<nv { dr[k] = wr * pr[k] }
      dr[Int(c.targets[r])] -= wr
    }
    Dense.gemm(false, false, rows, d, nv, c.dlogits.p, nv, w + unembedding, d, 0, c.dhf.p, d)
    if let g {
      Dense.gemm(true, false, nv, d, rows, c.dlogits.p, nv, c.hf.p, d, 1, g + unembedding, d)
    }
    let dxL = c.blocks.isEmpty ? c.dx0.p : c.blocks[blocks.count - 1].dxout.p
    dxL.update(repeating: 0, count: rows * d)
    LayerNormOps.backward(
      c.dhf.p, rows: rows, width: d, n: c.nf.p, rstd: c.rstdf.p, gamma: w + lnfGamma, dx: dxL,
      dGamma: g.map { $0 + lnfGamma }, dBeta: g.map { $0 + lnfBeta })
    let att = attention(c)
    for l in stride(from: blocks.count - 1, through: 0, by: -1) {
      let b = blocks[l]
      let k = c.blocks[l]
      let dxin = l > 0 ? c.blocks[l - 1].dxout.p : c.dx0.p
      // MLP branch.
      Dense.gemm(false, false, rows, f, d, k.dxout.p, d, w + b.w2, f, 0, k.dg.p, f)
      if let g {
        Dense.gemm(true, false, d, f, rows, k.dxout.p, d, k.g.p, f, 1, g + b.w2, f)
        accumulateColumnSums(k.dxout.p, rows, d, g + b.b2)
      }
      Dense.multiply(k.dg.p, k.s1.p, into: k.du.p, count: rows * f)
      Dense.gemm(false, false, rows, d, f, k.du.p, f, w + b.w1, d, 0, k.dh2.p, d)
      if let g {
        Dense.gemm(true, false, f, d, rows, k.du.p, f, k.h2.p, d, 1, g + b.w1, d)
        accumulateColumnSums(k.du.p, rows, f, g + b.b1)
      }
      k.dxmid.p.update(from: k.dxout.p, count: rows * d)
      LayerNormOps.backward(
        k.dh2.p, rows: rows, width: d, n: k.n2.p, rstd: k.rstd2.p, gamma: w + b.ln2g,
        dx: k.dxmid.p, dGamma: g.map { $0 + b.ln2g }, dBeta: g.map { $0 + b.ln2b })
      // Attention branch.
      Dense.gemm(false, false, rows, d, d, k.dxmid.p, d, w + b.wo, d, 0, k.dout.p, d)
      if let g {
        Dense.gemm(true, false, d, d, rows, k.dxmid.p, d, k.o.p, d, 1, g + b.wo, d)
        accumulateColumnSums(k.dxmid.p, rows, d, g + b.bo)
      }
      att.backward(
        qkv: k.qkv.p, att: k.att.p, dO: k.dout.p, dqkv: k.dqkv.p, attBar: k.attBar.p,
        scratch: c.scratch.p)
      Dense.gemm(false, false, rows, d, 3 * d, k.dqkv.p, 3 * d, w + b.wqkv, d, 0, k.dh1.p, d)
      if let g {
        Dense.gemm(true, false, 3 * d, d, rows, k.dqkv.p, 3 * d, k.h1.p, d, 1, g + b.wqkv, d)
        accumulateColumnSums(k.dqkv.p, rows, 3 * d, g + b.bqkv)
      }
      // The embeddings' adjoint only feeds the gradient (the tangent pass needs dh1, not it).
      if l == 0 && g == nil { break }
      dxin.update(from: k.dxmid.p, count: rows * d)
      LayerNormOps.backward(
        k.dh1.p, rows: rows, width: d, n: k.n1.p, rstd: k.rstd1.p, gamma: w + b.ln1g, dx: dxin,
        dGamma: g.map { $0 + b.ln1g }, dBeta: g.map { $0 + b.ln1b })
    }
    if let g { scatterEmbeddings(c, c.dx0.p, into: g) }
  }

  private func accumulateColumnSums(
    _ src: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ dst: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows { Dense.add(src + r * cols, into: dst, count: cols) }
  }

  private func scatterEmbeddings(
    _ c: TransformerChunk, _ dx: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>
  ) {
    let d = configuration.modelWidth
    let t = configuration.contextLength
    for r in 0..<c.rows {
      Dense.add(dx + r * d, into: g + tokenEmbedding + Int(c.inputs[r]) * d, count: d)
      Dense.add(dx + r * d, into: g + positionEmbedding + (r % t) * d, count: d)
    }
  }

  /// Forward-over-reverse for one direction `v`; adds H v (or G v) into `out`.
  private func tangent(
    _ c: TransformerChunk, _ w: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
    _ out: UnsafeMutablePointer<Float>, functional fn: Bool
  ) {
    let cf = configuration
    let (rows, d, f, t, nv) = (
      c.rows, cf.modelWidth, cf.mlpWidth, cf.contextLength, cf.vocabularySize
    )
    let att = attention(c)
    // Tangent forward.
    let xt = c.xt.p
    for r in 0..<rows {
      let e = v + tokenEmbedding + Int(c.inputs[r]) * d
      let pe = v + positionEmbedding + (r % t) * d
      for i in 0..<d { xt[r * d + i] = e[i] + pe[i] }
    }
    for (l, b) in blocks.enumerated() {
      let k = c.blocks[l]
      LayerNormOps.tangent(
        xt, rows: rows, width: d, n: k.n1.p, rstd: k.rstd1.p, gamma: w + b.ln1g,
        gammaT: v + b.ln1g, betaT: v + b.ln1b, nt: k.n1t.p, rstdT: k.rstd1t.p, yt: k.h1t.p)
      Dense.gemm2(
        false, true, rows, 3 * d, d, k.h1t.p, d, w + b.wqkv, d, d, k.h1.p, d, v + b.wqkv, d, 0,
        k.qkvt.p, 3 * d)
      Dense.addBias(k.qkvt.p, rows: rows, cols: 3 * d, bias: v + b.bqkv)
      att.tangent(qkv: k.qkv.p, qkvT: k.qkvt.p, att: k.att.p, attT: k.attt.p, oT: k.ot.p)
      Dense.gemm2(
        false, true, rows, d, d, k.ot.p, d, w + b.wo, d, d, k.o.p, d, v + b.wo, d, 1, xt, d)
      Dense.addBias(xt, rows: rows, cols: d, bias: v + b.bo)
      LayerNormOps.tangent(
        xt, rows: rows, width: d, n: k.n2.p, rstd: k.rstd2.p, gamma: w + b.ln2g,
        gammaT: v + b.ln2g, betaT: v + b.ln2b, nt: k.n2t.p, rstdT: k.rstd2t.p, yt: k.h2t.p)
      Dense.gemm2(
        false, true, rows, f, d, k.h2t.p, d, w + b.w1, d, d, k.h2.p, d, v + b.w1, d, 0, k.ut.p, f)
      Dense.addBiasAndMultiply(k.ut.p, rows: rows, cols: f, bias: v + b.b1, k.s1.p, into: k.gt.p)
      Dense.gemm2(
        false, true, rows, d, f, k.gt.p, f, w + b.w2, f, f, k.g.p, f, v + b.w2, f, 1, xt, d)
      Dense.addBias(xt, rows: rows, cols: d, bias: v + b.b2)
    }
    LayerNormOps.tangent(
      xt, rows: rows, width: d, n: c.nf.p, rstd: c.rstdf.p, gamma: w + lnfGamma,
      gammaT: v + lnfGamma, betaT: v + lnfBeta, nt: c.nft.p, rstdT: c.rstdft.p, yt: c.hft.p)
    let zt = c.zt.p
    Dense.gemm2(
      false, true, rows, nv, d, c.hft.p, d, w + unembedding, d, d, c.hf.p, d, v + unembedding, d,
      0, zt, nv)
    // Output: ȳ' = ω (diag p − p pᵀ) ż, in place.
    for r in 0..<rows {
      let pr = c.probs.p + r * nv
      let zr = zt + r * nv
      var s: Float = 0
      for k in 0..<nv { s += pr[k] * zr[k] }
      let wr = c.weights[r]
      for k in 0..<nv { zr[k] = wr * pr[k] * (zr[k] - s) }
    }
    // Tangent backward.
    let dhfT = c.dhfT.p
    Self.linearTangentBackward(
      rows: rows, inputs: d, outputs: nv, adjointT: zt, adjoint: c.dlogits.p, input: c.hf.p,
      inputT: c.hft.p, weight: w + unembedding, direction: v + unembedding, functional: fn,
      inputAdjointT: dhfT, weightAdjointT: out + unembedding)
    let dxT = c.dxT.p
    dxT.update(repeating: 0, count: rows * d)
    LayerNormOps.tangentBackward(
      dy: c.dhf.p, dyT: dhfT, rows: rows, width: d, n: c.nf.p, rstd: c.rstdf.p, nt: c.nft.p,
      rstdT: c.rstdft.p, gamma: w + lnfGamma, gammaT: v + lnfGamma, functional: fn, dxT: dxT,
      dGammaT: out + lnfGamma, dBetaT: out + lnfBeta)
    let dgT = c.dgT.p
    let duT = c.duT.p
    let dmidT = c.dxmidT.p
    let small = c.smallT.p  // rows × D scratch
    let dqkvT = c.dqkvT.p
    for l in stride(from: blocks.count - 1, through: 0, by: -1) {
      let b = blocks[l]
      let k = c.blocks[l]
      // MLP projection: input g, ȳ = dxout, ȳ' = dxT.
      Self.linearTangentBackward(
        rows: rows, inputs: f, outputs: d, adjointT: dxT, adjoint: k.dxout.p, input: k.g.p,
        inputT: k.gt.p, weight: w + b.w2, direction: v + b.w2, functional: fn,
        inputAdjointT: dgT, weightAdjointT: out + b.w2)
      accumulateColumnSums(dxT, rows, d, out + b.b2)
      // GELU: ū' = σ' ḡ' + σ'' u̇ ḡ.
      if fn {
        Dense.multiplyAddProduct(k.s1.p, dgT, k.s2.p, k.ut.p, k.dg.p, into: duT, count: rows * f)
      } else {
        Dense.multiply(k.s1.p, dgT, into: duT, count: rows * f)
      }
      // MLP input: input h2, ȳ = du, ȳ' = duT.
      Self.linearTangentBackward(
        rows: rows, inputs: d, outputs: f, adjointT: duT, adjoint: k.du.p, input: k.h2.p,
        inputT: k.h2t.p, weight: w + b.w1, direction: v + b.w1, functional: fn,
        inputAdjointT: small, weightAdjointT: out + b.w1)
      accumulateColumnSums(duT, rows, f, out + b.b1)
      dmidT.update(from: dxT, count: rows * d)
      LayerNormOps.tangentBackward(
        dy: k.dh2.p, dyT: small, rows: rows, width: d, n: k.n2.p, rstd: k.rstd2.p, nt: k.n2t.p,
        rstdT: k.rstd2t.p, gamma: w + b.ln2g, gammaT: v + b.ln2g, functional: fn, dxT: dmidT,
        dGammaT: out + b.ln2g, dBetaT: out + b.ln2b)
      // Attention output projection: input o, ȳ = dxmid, ȳ' = dmidT.
      Self.linearTangentBackward(
        rows: rows, inputs: d, outputs: d, adjointT: dmidT, adjoint: k.dxmid.p, input: k.o.p,
        inputT: k.ot.p, weight: w + b.wo, direction: v + b.wo, functional: fn,
        inputAdjointT: small, weightAdjointT: out + b.wo)
      accumulateColumnSums(dmidT, rows, d, out + b.bo)
      att.tangentBackward(
        qkv: k.qkv.p, qkvT: k.qkvt.p, att: k.att.p, attT: k.attt.p, dO: k.dout.p, dOT: small,
        attBar: k.attBar.p, functional: fn, dqkvT: dqkvT, scratch: c.scratch.p)
      // QKV projection: input h1, ȳ = dqkv, ȳ' = dqkvT.
      Self.linearTangentBackward(
        rows: rows, inputs: d, outputs: 3 * d, adjointT: dqkvT, adjoint: k.dqkv.p, input: k.h1.p,
        inputT: k.h1t.p, weight: w + b.wqkv, direction: v + b.wqkv, functional: fn,
        inputAdjointT: small, weightAdjointT: out + b.wqkv)
      accumulateColumnSums(dqkvT, rows, 3 * d, out + b.bqkv)
      dxT.update(from: dmidT, count: rows * d)
      LayerNormOps.tangentBackward(
        dy: k.dh1.p, dyT: small, rows: rows, width: d, n: k.n1.p, rstd: k.rstd1.p, nt: k.n1t.p,
        rstdT: k.rstd1t.p, gamma: w + b.ln1g, gammaT: v + b.ln1g, functional: fn, dxT: dxT,
        dGammaT: out + b.ln1g, dBetaT: out + b.ln1b)
    }
    scatterEmbeddings(c, dxT, into: out)
  }
}

/// Per-chunk workspace of a ``Transformer`` (a contiguous run of sequences).
final class TransformerChunk: ObjectiveChunk {
  final class Block {
    let xin, n1, rstd1, h1, qkv, att, o, xmid, n2, rstd2, h2, g, s1, s2: FloatBuffer
    let dxout, dg, du, dh2, dxmid, dout, dqkv, dh1, attBar: FloatBuffer
    let n1t, rstd1t, h1t, qkvt, attt, ot, n2t, rstd2t, h2t, ut, gt: FloatBuffer

    init(rows: Int, sequences: Int, c: Transformer.Configuration) {
      let (d, f, t, h) = (c.modelWidth, c.mlpWidth, c.contextLength, c.headCount)
      let a = sequences * h * t * t
      (xin, n1, h1, o, xmid, n2, h2) = (
        FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d),
        FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d)
      )
      (rstd1, rstd2, qkv, att) = (
        FloatBuffer(rows), FloatBuffer(rows), FloatBuffer(rows * 3 * d), FloatBuffer(a)
      )
      (g, s1, s2) = (FloatBuffer(rows * f), FloatBuffer(rows * f), FloatBuffer(rows * f))
      (dxout, dh2, dxmid, dout, dh1) = (
        FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d),
        FloatBuffer(rows * d)
      )
      (dg, du, dqkv, attBar) = (
        FloatBuffer(rows * f), FloatBuffer(rows * f), FloatBuffer(rows * 3 * d), FloatBuffer(a)
      )
      (n1t, h1t, ot, n2t, h2t) = (
        FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d),
        FloatBuffer(rows * d)
      )
      (rstd1t, rstd2t, qkvt, attt) = (
        FloatBuffer(rows), FloatBuffer(rows), FloatBuffer(rows * 3 * d), FloatBuffer(a)
      )
      (ut, gt) = (FloatBuffer(rows * f), FloatBuffer(rows * f))
    }
  }

  let start: Int
  let sequences: Int
  let rows: Int
  var inputs: [Int32]
  var targets: [Int32]
  var weights: [Float]
  var rowLoss: [Double]
  var sequenceLoss: [Double]
  var sampleLosses: [Double] { sequenceLoss }
  let blocks: [Block]
  let xL, nf, rstdf, hf, logits, probs, dlogits, dhf, dx0: FloatBuffer
  let xt, nft, rstdft, hft, zt, dhfT, dxT, dgT, duT, dxmidT, smallT, dqkvT, scratch: FloatBuffer
  var partialBuffer: FloatBuffer?

  init(start: Int, sequences: Int, configuration c: Transformer.Configuration) {
    self.start = start
    self.sequences = sequences
    let rows = sequences * c.contextLength
    self.rows = rows
    let (d, f, v, t) = (c.modelWidth, c.mlpWidth, c.vocabularySize, c.contextLength)
    inputs = [Int32](repeating: 0, count: rows)
    targets = [Int32](repeating: 0, count: rows)
    weights = [Float](repeating: 0, count: rows)
    rowLoss = [Double](repeating: 0, count: rows)
    sequenceLoss = [Double](repeating: 0, count: sequences)
    blocks = (0..<c.layerCount).map { _ in Block(rows: rows, sequences: sequences, c: c) }
    (xL, nf, hf, dhf, dx0) = (
      FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d),
      FloatBuffer(rows * d)
    )
    (rstdf, logits, probs, dlogits) = (
      FloatBuffer(rows), FloatBuffer(rows * v), FloatBuffer(rows * v), FloatBuffer(rows * v)
    )
    (xt, nft, hft, dhfT, dxT, dxmidT, smallT) = (
      FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d),
      FloatBuffer(rows * d), FloatBuffer(rows * d), FloatBuffer(rows * d)
    )
    (rstdft, zt, dgT, duT, dqkvT) = (
      FloatBuffer(rows), FloatBuffer(rows * v), FloatBuffer(rows * f), FloatBuffer(rows * f),
      FloatBuffer(rows * 3 * d)
    )
    scratch = FloatBuffer(2 * t * t)
  }
}

extension Transformer: ChunkedObjective {}
