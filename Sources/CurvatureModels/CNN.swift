import Curvature
import Foundation

/// A convolutional network for image classification with exact gradients, Hessian-vector
/// products (HVPs) and Gauss–Newton products, as a ``DifferentiableObjective``.
///
/// Architecture: m blocks, block l being a 3×3 convolution (stride 1, 'same' zero padding, with
/// bias) from C_{l−1} to C_l channels, the activation (ReLU or tanh), and 2×2 max pooling with
/// stride 2; then one dense layer from the last block's output, flattened channel-major, to the
/// K class logits. The loss is the mean softmax cross-entropy over the chosen samples. For
/// example channels [16, 32] and K = 10 on 1×8×8 digits give 1×8×8 → 16×4×4 → 32×2×2 → 10.
///
/// **Inputs.** Sample i is an image of ``imageShape`` (C × H × W) stored as features
/// c·H·W + y·W + x of row i of `data.inputs`: a NumPy or PyTorch array N × C × H × W flattened
/// per sample.
///
/// **Odd sizes.** Pooling floors: a block with an H × W input gives ⌊H/2⌋ × ⌊W/2⌋ outputs and an
/// odd last row or column takes no part (as PyTorch's `MaxPool2d(2)`). Every block input must
/// be at least 2 × 2; the initialiser rejects more blocks than the image allows. On ties within
/// a pooling window the first maximum in row-major order is taken.
///
/// **Parameter layout** (stable; PyTorch's `state_dict` order of `Conv2d`/`Linear` layers,
/// flattened): per block l, the weight [C_l, C_{l−1}, 3, 3] then the bias [C_l]; then the dense
/// weight [K, F] and bias [K], where F = C_m·H_m·W_m and the dense input is the last block's
/// output flattened (C, H, W) as `torch.flatten` does. ``weightRange(layer:)`` and
/// ``biasRange(layer:)`` give the ranges (layer m is the dense layer).
///
/// Convolutions are GEMMs over im2col matrices of a whole chunk of samples. Gradients are
/// hand-written reverse mode; HVPs are exact forward-over-reverse (the tangent of every forward
/// and backward quantity; ReLU's and max pooling's second derivatives are zero almost
/// everywhere), and a block of directions shares one cached forward and backward pass. Large
/// batches are split into two halves that run on both cores and are summed in a fixed order, so
/// results are deterministic. Workspaces are kept per batch size and reused. An instance is not
/// safe to use from several threads at once.
public final class CNN: DifferentiableObjective {
  /// The nonlinearity after each convolution.
  public enum Activation: String, Sendable, CaseIterable, Hashable {
    /// max(0, x) (derivative 0 at 0; second derivative taken as zero).
    case relu
    /// tanh.
    case tanh
  }

  /// The shape of one input image.
  public let imageShape: ImageShape
  /// The output channels C_1, …, C_m of the convolution blocks.
  public let channels: [Int]
  /// The number of logits K.
  public let classCount: Int
  /// The nonlinearity after each convolution.
  public let activation: Activation
  /// The training data the sample indices refer to.
  public let data: ClassificationData
  /// The input shape of every block and, last, the shape of the last block's output (m + 1
  /// shapes).
  public let featureMapShapes: [ImageShape]
  /// The number of parameters P.
  public let parameterCount: Int
  /// The number of samples N of ``data``.
  public var sampleCount: Int { data.count }
  /// The number of convolution blocks m.
  public var blockCount: Int { channels.count }
  /// F, the dense layer's input size (C_m·H_m·W_m).
  public var featureCount: Int { featureMapShapes.last!.featureCount }

  let weightOffsets: [Int]
  let biasOffsets: [Int]
  let labels32: [Int32]
  /// Multiply–adds of one sample's forward pass (to decide the split over cores).
  let forwardWork: Int
  var chunks: [CNNChunk] = []
  private var retainedChunks: [Int: [CNNChunk]] = [:]
  private static let retainedSizes = 4
  var cache = ForwardCache()

  /// Creates a network on `data`.
  ///
  /// - Parameters:
  ///   - channels: C_1, …, C_m, at least one, all positive.
  ///   - classCount: K ≥ `data.classCount`.
  ///   - activation: ReLU (default) or tanh.
  ///   - imageShape: C × H × W with C·H·W = `data.featureCount`.
  ///   - data: the samples (at least one).
  /// - Throws: `CurvatureError.invalidArgument` naming `channels`, `classCount`, `imageShape`
  ///   or `data`: a non-positive size, an image shape that disagrees with the data's feature
  ///   count (both numbers named), too few classes, or a block whose input is smaller than 2×2.
  /// - Complexity: O(m).
  public init(
    channels: [Int], classCount: Int, activation: Activation = .relu, imageShape: ImageShape,
    data: ClassificationData
  ) throws(CurvatureError) {
    if channels.isEmpty {
      throw .invalidArgument(name: "channels", reason: "needs at least one convolution block")
    }
    if let bad = channels.first(where: { $0 < 1 }) {
      throw .invalidArgument(name: "channels", reason: "channel count \(bad) is not positive")
    }
    let s = imageShape
    if s.channels < 1 || s.height < 1 || s.width < 1 {
      throw .invalidArgument(name: "imageShape", reason: "\(s) has a non-positive size")
    }
    if s.featureCount != data.featureCount {
      throw .invalidArgument(
        name: "imageShape",
        reason:
          "\(s) images have \(s.featureCount) features but the data has \(data.featureCount)")
    }
    if classCount < data.classCount {
      throw .invalidArgument(
        name: "classCount",
        reason: "\(classCount) is below the data's \(data.classCount) classes")
    }
    if data.count < 1 { throw .invalidArgument(name: "data", reason: "no samples") }
    var shapes = [s]
    for (l, c) in channels.enumerated() {
      let h = shapes[l].height
      let w = shapes[l].width
      if h < 2 || w < 2 {
        throw .invalidArgument(
          name: "channels",
          reason:
            "block \(l + 1) gets \(h)×\(w) maps from \(s) images, too small for 2×2 pooling "
            + "(at most \(l) blocks fit)")
      }
      shapes.append(ImageShape(channels: c, height: h / 2, width: w / 2))
    }
    self.imageShape = s
    self.channels = channels
    self.classCount = classCount
    self.activation = activation
    self.data = data
    featureMapShapes = shapes
    var wo: [Int] = []
    var bo: [Int] = []
    var p = 0
    var work = 0
    for l in 0..<channels.count {
      let cin = shapes[l].channels
      wo.append(p)
      p += channels[l] * cin * 9
      bo.append(p)
      p += channels[l]
      work += channels[l] * cin * 9 * shapes[l].height * shapes[l].width
    }
    let f = shapes.last!.featureCount
    wo.append(p)
    p += classCount * f
    bo.append(p)
    p += classCount
    work += classCount * f
    weightOffsets = wo
    biasOffsets = bo
    parameterCount = p
    forwardWork = work
    labels32 = data.labels.map { Int32($0) }
  }

  /// The same network on other data (same layout, so parameters carry over).
  /// - Throws: `CurvatureError` if `data` does not fit the image shape or the classes.
  /// - Complexity: O(m).
  public func withData(_ data: ClassificationData) throws -> CNN {
    try CNN(
      channels: channels, classCount: classCount, activation: activation,
      imageShape: imageShape, data: data)
  }

  /// The range of layer l's weight in the parameter vector: block l's [C_l, C_{l−1}, 3, 3] for
  /// l < m, the dense [K, F] for l = m. - Complexity: O(1).
  public func weightRange(layer l: Int) -> Range<Int> { weightOffsets[l]..<biasOffsets[l] }

  /// The range of layer l's bias (C_l values, or K for the dense layer l = m).
  /// - Complexity: O(1).
  public func biasRange(layer l: Int) -> Range<Int> {
    biasOffsets[l]..<(biasOffsets[l] + (l < channels.count ? channels[l] : classCount))
  }

  /// Seeded initialisation as PyTorch's defaults for `Conv2d` and `Linear`: every weight and
  /// bias of a layer uniform in ±1/√fan_in, fan_in = 9·C_{l−1} for block l and F for the dense
  /// layer.
  /// - Complexity: O(P).
  public func initialParameters(seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    var w = [Float](repeating: 0, count: parameterCount)
    for l in 0...channels.count {
      let fanIn = l < channels.count ? 9 * featureMapShapes[l].channels : featureCount
      let bound = 1 / Double(fanIn).squareRoot()
      for i in weightRange(layer: l).lowerBound..<biasRange(layer: l).upperBound {
        w[i] = Float((2 * rng.nextUniform() - 1) * bound)
      }
    }
    return w
  }

  // MARK: - DifferentiableObjective

  /// - Complexity: one forward pass, about N · ``forwardWork`` multiply–adds.
  public func loss(at w: UnsafeBufferPointer<Float>, samples: SampleSet) throws -> Double {
    try chunkedLoss(w, samples)
  }

  /// - Complexity: one forward and one backward pass, about 3 forward passes.
  public func gradient(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet,
    into gradient: UnsafeMutableBufferPointer<Float>
  ) throws -> Double {
    try chunkedGradient(w, samples, into: gradient)
  }

  /// Exact H v by forward-over-reverse; a cached forward/backward pass at the same `w` and
  /// `samples` is reused.
  /// - Complexity: about 2 gradients (plus one when the forward pass is not cached).
  public func hessianVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try tangentProducts(w, samples, v, 1, out, gaussNewton: false)
  }

  /// Exact H V for `count` directions (P × count, column-major) sharing one forward and
  /// backward pass.
  /// - Complexity: one forward/backward pass plus about 2 gradients per direction.
  public func hessianVectorProducts(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, directions v: UnsafeBufferPointer<Float>,
    count: Int, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try tangentProducts(w, samples, v, count, out, gaussNewton: false)
  }

  /// `true`: this model computes exact Gauss–Newton products.
  public var providesGaussNewtonProducts: Bool { true }

  /// Exact G v = Jᵀ (∇²_z ℓ) J v, the generalised Gauss–Newton product (logits z).
  /// - Complexity: one forward pass plus about 1.5 gradients.
  public func gaussNewtonVectorProduct(
    at w: UnsafeBufferPointer<Float>, samples: SampleSet, direction v: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try tangentProducts(w, samples, v, 1, out, gaussNewton: true)
  }

  /// Block Gauss–Newton products G V for `count` directions (P × count, column-major).
  /// - Complexity: one forward pass plus about 1.5 gradients per direction.
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

  /// The logits (|samples| × K, row-major) at `w`.
  /// - Throws: `CurvatureError` for a wrong parameter count, NaN/Inf or bad samples.
  /// - Complexity: one forward pass.
  public func logits(at w: [Float], samples: SampleSet) throws -> [Float] {
    try checkFinite(w, samples)
    w.withUnsafeBufferPointer { prepareForward($0, samples) }
    let k = classCount
    var out = [Float](repeating: 0, count: samples.count * k)
    for ch in chunks {
      for i in 0..<(ch.rows * k) { out[ch.start * k + i] = ch.logits.p[i] }
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
    let k = classCount
    var correct = 0
    for i in 0..<data.count {
      var best = 0
      for j in 1..<k where z[i * k + j] > z[i * k + best] { best = j }
      if best == data.labels[i] { correct += 1 }
    }
    return Double(correct) / Double(data.count)
  }

  // MARK: - Passes

  /// Gathers the images (into the chunk layout C × n × H × W) and labels of `samples` into one
  /// or two chunks.
  func makeChunks(for samples: SampleSet) {
    let idx = samples.indexArray
    let n = idx.count
    let parts = n >= 8 && n * forwardWork >= 1_000_000 ? 2 : 1
    let ranges = Parallel.ranges(n, parts: parts)
    if retainedChunks[n] == nil && retainedChunks.count >= Self.retainedSizes {
      retainedChunks.removeAll()
    }
    let reused = retainedChunks[n]
    let c0 = imageShape.channels
    let hw = imageShape.height * imageShape.width
    let d = data.featureCount
    chunks = ranges.enumerated().map { part, r in
      let c = reused?[part] ?? CNNChunk(start: r.lowerBound, rows: r.count, batch: n, model: self)
      let rows = r.count
      data.inputs.withUnsafeBufferPointer { x in
        for (k, i) in idx[r].enumerated() {
          for ch in 0..<c0 {
            (c.input.p + (ch * rows + k) * hw).update(
              from: x.baseAddress! + i * d + ch * hw, count: hw)
          }
          c.labels[k] = labels32[i]
        }
      }
      return c
    }
    retainedChunks[n] = chunks
  }

  var pointwise: MLP.Activation { activation == .relu ? .relu : .tanh }

  func forward(_ c: CNNChunk, _ w: UnsafePointer<Float>, secondOrder: Bool) {
    let rows = c.rows
    var x = UnsafePointer(c.input.p)
    for l in 0..<channels.count {
      let s = featureMapShapes[l]
      let cin = s.channels
      let cout = channels[l]
      let nhw = rows * s.height * s.width
      Convolution.im2col(
        x, channels: cin, samples: rows, height: s.height, width: s.width, into: c.xcol[l].p)
      Dense.gemm(
        false, false, cout, nhw, 9 * cin, w + weightOffsets[l], 9 * cin, c.xcol[l].p, nhw, 0,
        c.act[l].p, nhw)
      Convolution.addChannelBias(c.act[l].p, channels: cout, length: nhw, bias: w + biasOffsets[l])
      pointwise.apply(
        c.act[l].p, rows: 1, cols: cout * nhw, bias: nil, d1: c.d1[l].p,
        d2: activation == .tanh && secondOrder ? c.d2[l].p : nil)
      Convolution.maxPool(
        c.act[l].p, planes: cout * rows, height: s.height, width: s.width, into: c.pooled[l].p,
        window: c.window[l])
      x = UnsafePointer(c.pooled[l].p)
    }
    let m = channels.count
    let last = featureMapShapes[m]
    let f = featureCount
    let k = classCount
    Convolution.toFeatures(
      x, channels: last.channels, samples: rows, size: last.height * last.width,
      into: c.features.p)
    Dense.gemm(false, true, rows, k, f, c.features.p, f, w + weightOffsets[m], f, 0, c.logits.p, k)
    Dense.addBias(c.logits.p, rows: rows, cols: k, bias: w + biasOffsets[m])
    c.labels.withUnsafeBufferPointer { y in
      c.rowLoss.withUnsafeMutableBufferPointer { lossOut in
        CrossEntropy.forward(
          logits: c.logits.p, rows: rows, classes: k, labels: y.baseAddress!, probs: c.probs.p,
          losses: lossOut.baseAddress!)
      }
    }
  }

  /// Backward pass: stores every adjoint the tangent passes need (G at the logits, G_Z per
  /// block, and G_A ⊙ σ'' for tanh Hessian products) and, when `gradient` is non-nil, writes the
  /// chunk's gradient contribution there.
  func backward(_ c: CNNChunk, _ w: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>?) {
    let rows = c.rows
    let m = channels.count
    let k = classCount
    let f = featureCount
    let invN = 1 / Float(c.batch)
    let g = c.outputGradient.p
    for r in 0..<rows {
      let y = Int(c.labels[r])
      for j in 0..<k { g[r * k + j] = (c.probs.p[r * k + j] - (j == y ? 1 : 0)) * invN }
    }
    if let gradient {
      Dense.gemm(true, false, k, f, rows, g, k, c.features.p, f, 0, gradient + weightOffsets[m], f)
      Dense.columnSums(g, rows: rows, cols: k, into: gradient + biasOffsets[m])
    }
    Dense.gemm(false, false, rows, f, k, g, k, w + weightOffsets[m], f, 0, c.featureScratch.p, f)
    let last = featureMapShapes[m]
    Convolution.fromFeatures(
      c.featureScratch.p, channels: last.channels, samples: rows, size: last.height * last.width,
      into: c.mapScratch.p)
    let secondOrder = activation == .tanh && cache.secondOrderValid
    for l in stride(from: m - 1, through: 0, by: -1) {
      let s = featureMapShapes[l]
      let cin = s.channels
      let cout = channels[l]
      let nhw = rows * s.height * s.width
      let gz = c.gz[l].p
      Convolution.unpool(
        c.mapScratch.p, window: c.window[l], planes: cout * rows, height: s.height,
        width: s.width, into: gz)
      if secondOrder { Dense.multiply(gz, c.d2[l].p, into: c.e[l].p, count: cout * nhw) }
      Dense.multiply(gz, c.d1[l].p, into: gz, count: cout * nhw)
      if let gradient {
        Dense.gemm(
          false, true, cout, 9 * cin, nhw, gz, nhw, c.xcol[l].p, nhw, 0,
          gradient + weightOffsets[l], 9 * cin)
        Convolution.rowSums(gz, rows: cout, cols: nhw, into: gradient + biasOffsets[l])
      }
      if l > 0 {
        Dense.gemm(
          true, false, 9 * cin, nhw, cout, w + weightOffsets[l], 9 * cin, gz, nhw, 0,
          c.colScratch.p, nhw)
        Convolution.col2im(
          c.colScratch.p, channels: cin, samples: rows, height: s.height, width: s.width,
          into: c.mapScratch.p)
      }
    }
  }

  private func tangentProducts(
    _ w: UnsafeBufferPointer<Float>, _ samples: SampleSet, _ v: UnsafeBufferPointer<Float>,
    _ count: Int, _ out: UnsafeMutableBufferPointer<Float>, gaussNewton: Bool
  ) throws {
    try checkProducts(w, samples, v, count, out)
    // Only tanh has a second derivative to store (ReLU's is zero), so ReLU Hessian products
    // reuse a gradient's forward pass.
    prepareForward(w, samples, secondOrder: !gaussNewton && activation == .tanh)
    let wp = w.baseAddress!
    if !gaussNewton { prepareBackward(w) }
    let p = parameterCount
    for j in 0..<count {
      let vp = v.baseAddress! + j * p
      sumOverChunks(count: p, into: out.baseAddress! + j * p) { i, target in
        self.tangent(self.chunks[i], wp, vp, target, gaussNewton: gaussNewton)
      }
    }
  }

  /// Forward-over-reverse for one direction on one chunk; writes the P results into `out`.
  private func tangent(
    _ c: CNNChunk, _ w: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
    _ out: UnsafeMutablePointer<Float>, gaussNewton: Bool
  ) {
    let rows = c.rows
    let m = channels.count
    let k = classCount
    let f = featureCount
    // Tangent forward: Ż_l = W_l Ẋcol_l + V_l Xcol_l + v_b; Ȧ = σ' ⊙ Ż; Ẋ_{l+1} = pool at the
    // recorded maxima.
    for l in 0..<m {
      let s = featureMapShapes[l]
      let cin = s.channels
      let cout = channels[l]
      let nhw = rows * s.height * s.width
      let zt = c.zt[l].p
      if l == 0 {
        Dense.gemm(
          false, false, cout, nhw, 9 * cin, v + weightOffsets[l], 9 * cin, c.xcol[l].p, nhw, 0,
          zt, nhw)
      } else {
        Convolution.im2col(
          c.mapScratch.p, channels: cin, samples: rows, height: s.height, width: s.width,
          into: c.tcol[l].p)
        Dense.gemm2(
          false, false, cout, nhw, 9 * cin, w + weightOffsets[l], 9 * cin, c.tcol[l].p, nhw,
          9 * cin, v + weightOffsets[l], 9 * cin, c.xcol[l].p, nhw, 0, zt, nhw)
      }
      Convolution.addChannelBias(zt, channels: cout, length: nhw, bias: v + biasOffsets[l])
      Dense.multiply(c.d1[l].p, zt, into: c.actScratch.p, count: cout * nhw)
      Convolution.gatherPooled(
        c.actScratch.p, window: c.window[l], planes: cout * rows, height: s.height,
        width: s.width, into: c.mapScratch.p)
    }
    let last = featureMapShapes[m]
    Convolution.toFeatures(
      c.mapScratch.p, channels: last.channels, samples: rows, size: last.height * last.width,
      into: c.featureTangent.p)
    let zl = c.logitTangent.p
    Dense.gemm2(
      false, true, rows, k, f, c.featureTangent.p, f, w + weightOffsets[m], f, f, c.features.p, f,
      v + weightOffsets[m], f, 0, zl, k)
    Dense.addBias(zl, rows: rows, cols: k, bias: v + biasOffsets[m])
    // Output: Ġ = ∇²_z ℓ Ż / N.
    let invN = 1 / Float(c.batch)
    let gt = c.outputTangent.p
    for r in 0..<rows {
      let p = c.probs.p + r * k
      let zr = zl + r * k
      var s: Float = 0
      for j in 0..<k { s += p[j] * zr[j] }
      for j in 0..<k { gt[r * k + j] = p[j] * (zr[j] - s) * invN }
    }
    // Tangent backward.
    let g = c.outputGradient.p
    if gaussNewton {
      Dense.gemm(true, false, k, f, rows, gt, k, c.features.p, f, 0, out + weightOffsets[m], f)
      Dense.gemm(false, false, rows, f, k, gt, k, w + weightOffsets[m], f, 0, c.featureScratch.p, f)
    } else {
      Dense.gemm2(
        true, false, k, f, rows, gt, k, c.features.p, f, rows, g, k, c.featureTangent.p, f, 0,
        out + weightOffsets[m], f)
      Dense.gemm2(
        false, false, rows, f, k, gt, k, w + weightOffsets[m], f, k, g, k, v + weightOffsets[m],
        f, 0, c.featureScratch.p, f)
    }
    Dense.columnSums(gt, rows: rows, cols: k, into: out + biasOffsets[m])
    Convolution.fromFeatures(
      c.featureScratch.p, channels: last.channels, samples: rows, size: last.height * last.width,
      into: c.mapScratch.p)
    for l in stride(from: m - 1, through: 0, by: -1) {
      let s = featureMapShapes[l]
      let cin = s.channels
      let cout = channels[l]
      let nhw = rows * s.height * s.width
      let gzt = c.actScratch.p
      Convolution.unpool(
        c.mapScratch.p, window: c.window[l], planes: cout * rows, height: s.height,
        width: s.width, into: gzt)
      if !gaussNewton && activation == .tanh {
        Dense.multiplyAdd(gzt, c.d1[l].p, c.e[l].p, c.zt[l].p, count: cout * nhw)
      } else {
        Dense.multiply(c.d1[l].p, gzt, into: gzt, count: cout * nhw)
      }
      if !gaussNewton && l > 0 {
        Dense.gemm2(
          false, true, cout, 9 * cin, nhw, gzt, nhw, c.xcol[l].p, nhw, nhw, c.gz[l].p, nhw,
          c.tcol[l].p, nhw, 0, out + weightOffsets[l], 9 * cin)
      } else {
        Dense.gemm(
          false, true, cout, 9 * cin, nhw, gzt, nhw, c.xcol[l].p, nhw, 0, out + weightOffsets[l],
          9 * cin)
      }
      Convolution.rowSums(gzt, rows: cout, cols: nhw, into: out + biasOffsets[l])
      if l > 0 {
        if gaussNewton {
          Dense.gemm(
            true, false, 9 * cin, nhw, cout, w + weightOffsets[l], 9 * cin, gzt, nhw, 0,
            c.colScratch.p, nhw)
        } else {
          Dense.gemm2(
            true, false, 9 * cin, nhw, cout, w + weightOffsets[l], 9 * cin, gzt, nhw, cout,
            v + weightOffsets[l], 9 * cin, c.gz[l].p, nhw, 0, c.colScratch.p, nhw)
        }
        Convolution.col2im(
          c.colScratch.p, channels: cin, samples: rows, height: s.height, width: s.width,
          into: c.mapScratch.p)
      }
    }
  }
}

/// Per-chunk workspace of a ``CNN`` (chunk layout C × n × H × W for every feature map).
final class CNNChunk: ObjectiveChunk {
  let start: Int
  let rows: Int
  let batch: Int
  /// The gathered images (C_0 × n × H_0 W_0).
  let input: FloatBuffer
  var labels: [Int32]
  var rowLoss: [Double]
  var sampleLosses: [Double] { rowLoss }
  /// Per block: im2col of its input (9 C_in × n H W), activations (C_out × n H W), σ', σ''
  /// (tanh only), pooled outputs, window maxima positions, G_Z, G_A ⊙ σ'' (tanh only), and the
  /// im2col of the input tangent (blocks after the first).
  let xcol: [FloatBuffer]
  let act: [FloatBuffer]
  let d1: [FloatBuffer]
  let d2: [FloatBuffer]
  let pooled: [FloatBuffer]
  let window: [UnsafeMutablePointer<UInt8>]
  let gz: [FloatBuffer]
  let e: [FloatBuffer]
  let zt: [FloatBuffer]
  let tcol: [FloatBuffer]
  /// Dense layer: input features (n × F), logits, probabilities, G at the logits, tangents.
  let features: FloatBuffer
  let logits: FloatBuffer
  let probs: FloatBuffer
  let outputGradient: FloatBuffer
  let featureTangent: FloatBuffer
  let logitTangent: FloatBuffer
  let outputTangent: FloatBuffer
  /// Scratch: n × F, the largest pooled map, the largest activation, the largest im2col.
  let featureScratch: FloatBuffer
  let mapScratch: FloatBuffer
  let actScratch: FloatBuffer
  let colScratch: FloatBuffer
  var partialBuffer: FloatBuffer?

  init(start: Int, rows: Int, batch: Int, model: CNN) {
    self.start = start
    self.rows = rows
    self.batch = batch
    let shapes = model.featureMapShapes
    let m = model.channels.count
    let tanh = model.activation == .tanh
    func plane(_ l: Int) -> Int { rows * shapes[l].height * shapes[l].width }
    input = FloatBuffer(shapes[0].channels * plane(0))
    labels = [Int32](repeating: 0, count: rows)
    rowLoss = [Double](repeating: 0, count: rows)
    xcol = (0..<m).map { FloatBuffer(9 * shapes[$0].channels * plane($0)) }
    act = (0..<m).map { FloatBuffer(model.channels[$0] * plane($0)) }
    d1 = (0..<m).map { FloatBuffer(model.channels[$0] * plane($0)) }
    d2 = (0..<m).map { tanh ? FloatBuffer(model.channels[$0] * plane($0)) : FloatBuffer(0) }
    pooled = (0..<m).map { FloatBuffer(shapes[$0 + 1].channels * plane($0 + 1)) }
    window = (0..<m).map {
      let n = max(1, shapes[$0 + 1].channels * plane($0 + 1))
      let p = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
      p.initialize(repeating: 0, count: n)
      return p
    }
    gz = (0..<m).map { FloatBuffer(model.channels[$0] * plane($0)) }
    e = (0..<m).map { tanh ? FloatBuffer(model.channels[$0] * plane($0)) : FloatBuffer(0) }
    zt = (0..<m).map { FloatBuffer(model.channels[$0] * plane($0)) }
    tcol = (0..<m).map {
      $0 == 0 ? FloatBuffer(0) : FloatBuffer(9 * shapes[$0].channels * plane($0))
    }
    let f = model.featureCount
    let k = model.classCount
    features = FloatBuffer(rows * f)
    logits = FloatBuffer(rows * k)
    probs = FloatBuffer(rows * k)
    outputGradient = FloatBuffer(rows * k)
    featureTangent = FloatBuffer(rows * f)
    logitTangent = FloatBuffer(rows * k)
    outputTangent = FloatBuffer(rows * k)
    featureScratch = FloatBuffer(rows * f)
    mapScratch = FloatBuffer((0...m).map { shapes[$0].channels * plane($0) }.max()!)
    actScratch = FloatBuffer((0..<m).map { model.channels[$0] * plane($0) }.max()!)
    colScratch = FloatBuffer((0..<m).map { 9 * shapes[$0].channels * plane($0) }.max()!)
  }

  deinit { for p in window { p.deallocate() } }
}
extension CNN: ChunkedObjective {}
