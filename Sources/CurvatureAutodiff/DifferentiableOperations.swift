import Curvature
import Foundation
import _Differentiation

// Batched building blocks with registered derivatives for `@differentiable(reverse)` models on
// flat row-major arrays. Differentiating element-by-element loops works but records one
// closure per scalar operation (hundreds of times slower); these run as matrix products
// (``Gemm``) and vector loops in both directions.

/// The affine layer y = x Wᵀ + b on a batch: `x` is batch × `inputs` (row-major), `weight` is
/// `outputs` × `inputs` (row-major, as PyTorch's `nn.Linear.weight`), `bias` has `outputs`
/// elements; the result is batch × `outputs`. Differentiable in `x`, `weight` and `bias`.
/// - Precondition: the sizes agree (a programming error in the model otherwise).
/// - Complexity: O(batch · inputs · outputs), forward and backward.
@differentiable(reverse,wrt: (x, weight, bias))
public func linear(
  _ x: [Float], weight: [Float], bias: [Float], inputs: Int, outputs: Int
) -> [Float] {
  linearValue(x, weight: weight, bias: bias, inputs: inputs, outputs: outputs)
}

func linearValue(
  _ x: [Float], weight: [Float], bias: [Float], inputs: Int, outputs: Int
) -> [Float] {
  precondition(
    inputs > 0 && outputs > 0 && x.count % inputs == 0 && weight.count == inputs * outputs
      && bias.count == outputs, "linear: sizes do not agree")
  let batch = x.count / inputs
  var y = [Float](repeating: 0, count: batch * outputs)
  y.withUnsafeMutableBufferPointer { yp in
    for r in 0..<batch {
      for c in 0..<outputs { yp[r * outputs + c] = bias[c] }
    }
    x.withUnsafeBufferPointer { xp in
      weight.withUnsafeBufferPointer { wp in
        Gemm.multiply(
          transposeA: false, transposeB: true, m: batch, n: outputs, k: inputs, alpha: 1,
          a: xp.baseAddress!, lda: inputs, b: wp.baseAddress!, ldb: inputs, beta: 1,
          c: yp.baseAddress!, ldc: outputs)
      }
    }
  }
  return y
}

@derivative(of: linear, wrt: (x, weight, bias))
@usableFromInline
func linearVJP(
  _ x: [Float], weight: [Float], bias: [Float], inputs: Int, outputs: Int
) -> (
  value: [Float],
  pullback: ([Float].TangentVector) -> (
    [Float].TangentVector, [Float].TangentVector, [Float].TangentVector
  )
) {
  let y = linearValue(x, weight: weight, bias: bias, inputs: inputs, outputs: outputs)
  let batch = x.count / inputs
  return (
    y,
    { seed in
      let dy = seed.base
      if dy.isEmpty { return (.zero, .zero, .zero) }
      precondition(dy.count == batch * outputs, "linear: seed of the wrong size")
      var dx = [Float](repeating: 0, count: x.count)
      var dw = [Float](repeating: 0, count: weight.count)
      var db = [Float](repeating: 0, count: outputs)
      dy.withUnsafeBufferPointer { gp in
        // dx = dy W (batch × inputs); dW = dyᵀ x (outputs × inputs); db = Σ_rows dy.
        weight.withUnsafeBufferPointer { wp in
          dx.withUnsafeMutableBufferPointer { dxp in
            Gemm.multiply(
              transposeA: false, transposeB: false, m: batch, n: inputs, k: outputs, alpha: 1,
              a: gp.baseAddress!, lda: outputs, b: wp.baseAddress!, ldb: inputs, beta: 0,
              c: dxp.baseAddress!, ldc: inputs)
          }
        }
        x.withUnsafeBufferPointer { xp in
          dw.withUnsafeMutableBufferPointer { dwp in
            Gemm.multiply(
              transposeA: true, transposeB: false, m: outputs, n: inputs, k: batch, alpha: 1,
              a: gp.baseAddress!, lda: outputs, b: xp.baseAddress!, ldb: inputs, beta: 0,
              c: dwp.baseAddress!, ldc: inputs)
          }
        }
        db.withUnsafeMutableBufferPointer { dbp in
          for r in 0..<batch {
            for c in 0..<outputs { dbp[c] += gp[r * outputs + c] }
          }
        }
      }
      return (.init(dx), .init(dw), .init(db))
    }
  )
}

/// tanh of every element. - Complexity: O(count), forward and backward.
@differentiable(reverse)
public func tanhElementwise(_ x: [Float]) -> [Float] { x.map { Foundation.tanh($0) } }

@derivative(of: tanhElementwise)
@usableFromInline
func tanhElementwiseVJP(_ x: [Float]) -> (
  value: [Float], pullback: ([Float].TangentVector) -> [Float].TangentVector
) {
  let y = x.map { Foundation.tanh($0) }
  return (
    y,
    { seed in
      let dy = seed.base
      if dy.isEmpty { return .zero }
      precondition(dy.count == y.count, "tanhElementwise: seed of the wrong size")
      var dx = [Float](repeating: 0, count: y.count)
      for i in 0..<y.count { dx[i] = dy[i] * (1 - y[i] * y[i]) }
      return .init(dx)
    }
  )
}

/// max(0, x) of every element (derivative 0 at 0). - Complexity: O(count).
@differentiable(reverse)
public func reluElementwise(_ x: [Float]) -> [Float] { x.map { Swift.max(0, $0) } }

@derivative(of: reluElementwise)
@usableFromInline
func reluElementwiseVJP(_ x: [Float]) -> (
  value: [Float], pullback: ([Float].TangentVector) -> [Float].TangentVector
) {
  (
    x.map { Swift.max(0, $0) },
    { seed in
      let dy = seed.base
      if dy.isEmpty { return .zero }
      precondition(dy.count == x.count, "reluElementwise: seed of the wrong size")
      var dx = [Float](repeating: 0, count: x.count)
      for i in 0..<x.count where x[i] > 0 { dx[i] = dy[i] }
      return .init(dx)
    }
  )
}

/// Per-sample softmax cross-entropy logsumexp(z) − z_y of a batch of logits (`labels.count` ×
/// `classes`, row-major), computed stably for any finite logits. Differentiable in `logits`.
/// - Precondition: `logits.count == labels.count · classes` and every label in `0..<classes`.
/// - Complexity: O(batch · classes), forward and backward.
@differentiable(reverse,wrt: logits)
public func softmaxCrossEntropy(logits: [Float], labels: [Int], classes: Int) -> [Float] {
  crossEntropyForward(logits: logits, labels: labels, classes: classes).losses
}

/// The losses and the softmax probabilities.
func crossEntropyForward(logits: [Float], labels: [Int], classes: Int) -> (
  losses: [Float], probabilities: [Float]
) {
  precondition(
    classes > 0 && logits.count == labels.count * classes
      && labels.allSatisfy { (0..<classes).contains($0) },
    "softmaxCrossEntropy: sizes or labels do not agree")
  var losses = [Float](repeating: 0, count: labels.count)
  var p = [Float](repeating: 0, count: logits.count)
  for r in 0..<labels.count {
    let row = (r * classes)..<((r + 1) * classes)
    var m = -Float.infinity
    for i in row { m = Swift.max(m, logits[i]) }
    var s: Float = 0
    for i in row {
      let e = Foundation.exp(logits[i] - m)
      p[i] = e
      s += e
    }
    for i in row { p[i] /= s }
    losses[r] = Foundation.log(s) + m - logits[r * classes + labels[r]]
  }
  return (losses, p)
}

@derivative(of: softmaxCrossEntropy, wrt: logits)
@usableFromInline
func softmaxCrossEntropyVJP(logits: [Float], labels: [Int], classes: Int) -> (
  value: [Float], pullback: ([Float].TangentVector) -> [Float].TangentVector
) {
  let (losses, p) = crossEntropyForward(logits: logits, labels: labels, classes: classes)
  return (
    losses,
    { seed in
      let dl = seed.base
      if dl.isEmpty { return .zero }
      precondition(dl.count == labels.count, "softmaxCrossEntropy: seed of the wrong size")
      var dz = p
      for r in 0..<labels.count {
        for c in 0..<classes { dz[r * classes + c] *= dl[r] }
        dz[r * classes + labels[r]] -= dl[r]
      }
      return .init(dz)
    }
  )
}
