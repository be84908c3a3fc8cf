extension MLP.Activation {
  /// In place over a rows × cols block: z ← σ(z + bias), with σ'(z) into `d1` and σ''(z) into
  /// `d2` (when given) at the same positions.
  /// - Complexity: O(rows · cols), vectorised 16 lanes at a time.
  func apply(
    _ z: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>?,
    d1: UnsafeMutablePointer<Float>, d2: UnsafeMutablePointer<Float>?
  ) {
    // Two inlined copies of one loop, so the first-order one does not evaluate σ'' at all.
    if let d2 {
      applyRows(z, rows: rows, cols: cols, bias: bias, d1: d1, d2: d2)
    } else {
      applyRows(z, rows: rows, cols: cols, bias: bias, d1: d1, d2: nil)
    }
  }

  @inline(__always)
  private func applyRows(
    _ z: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>?,
    d1: UnsafeMutablePointer<Float>, d2: UnsafeMutablePointer<Float>?
  ) {
    for r in 0..<rows {
      let row = z + r * cols
      let o1 = d1 + r * cols
      let o2 = d2.map { $0 + r * cols }
      var c = 0
      while c < cols {
        let w = min(16, cols - c)
        var x = VectorMath.load(row + c, w)
        if let b = bias { x += VectorMath.load(b + c, w) }
        let (a, s1, s2) = evaluate(x)
        VectorMath.store(a, row + c, w)
        VectorMath.store(s1, o1 + c, w)
        if let o2 { VectorMath.store(s2, o2 + c, w) }
        c += 16
      }
    }
  }

  /// (σ(x), σ'(x), σ''(x)) lane by lane.
  @inline(__always)
  func evaluate(_ x: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
    switch self {
    case .tanh:
      let a = VectorMath.tanh(x)
      let s1 = 1 - a * a
      return (a, s1, -2 * a * s1)
    case .relu:
      let zero = SIMD16<Float>()
      let pos = x .> zero
      return (
        x.replacing(with: 0, where: .!pos),
        SIMD16<Float>(repeating: 0).replacing(with: 1, where: pos),
        zero
      )
    case .gelu:
      // Tanh approximation: ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))).
      let k: Float = 0.7978845608028654
      let c: Float = 0.044715
      let x2 = x * x
      let u = k * (x + c * x2 * x)
      let t = VectorMath.tanh(u)
      let sech2 = 1 - t * t
      let du = k * (1 + 3 * c * x2)
      let ddu = (6 * k * c) * x
      let a = 0.5 * x * (1 + t)
      let s1 = 0.5 * (1 + t) + 0.5 * x * sech2 * du
      let s2 = sech2 * (du + 0.5 * x * (ddu - 2 * t * du * du))
      return (a, s1, s2)
    }
  }
}
