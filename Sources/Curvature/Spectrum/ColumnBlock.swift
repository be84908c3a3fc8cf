/// Level-2 kernels on a block of contiguous `Float` columns (P × n, column-major), the shapes
/// every Krylov solver needs: c = Vᵀx, x ← x − V c and Y ← V B. Long vectors are split into two
/// row ranges computed on both cores.
enum ColumnBlock {
  /// Runs `body(0)` and `body(1)` concurrently.
  static func onBothCores(_ body: (Int) -> Void) {
    if SerialScope.isActive {
      body(0)
      body(1)
      return
    }
    WorkerPool.shared.run(2, body)
  }

  /// Rows per parallel chunk below which one core does the whole job.
  static let parallelThreshold = 1 << 16

  /// c[j] = V[:, j]ᵀ x for j < n (accumulated like `Kernels.dot`).
  /// - Complexity: O(P n).
  static func transposeTimes(
    _ v: UnsafePointer<Float>, rows p: Int, columns n: Int, _ x: UnsafePointer<Float>,
    into c: UnsafeMutablePointer<Double>
  ) {
    if n == 0 { return }
    if p * n < parallelThreshold || p < 4096 {
      for j in 0..<n {
        c[j] = Kernels.dot(
          UnsafeBufferPointer(start: v + j * p, count: p), UnsafeBufferPointer(start: x, count: p))
      }
      return
    }
    let half = (p / 2 + 7) & ~7
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n)
    defer { partial.deallocate() }
    onBothCores { part in
      let lo = part == 0 ? 0 : half
      let hi = part == 0 ? half : p
      for j in 0..<n {
        partial[part * n + j] = Kernels.dot(
          UnsafeBufferPointer(start: v + j * p + lo, count: hi - lo),
          UnsafeBufferPointer(start: x + lo, count: hi - lo))
      }
    }
    for j in 0..<n { c[j] = partial[j] + partial[n + j] }
  }

  /// x ← x − V c (or x + V c when `add`).
  /// - Complexity: O(P n).
  static func subtractTimes(
    _ v: UnsafePointer<Float>, rows p: Int, columns n: Int, _ c: UnsafePointer<Double>,
    from x: UnsafeMutablePointer<Float>, add: Bool = false
  ) {
    if n == 0 { return }
    let sign: Double = add ? 1 : -1
    func range(_ lo: Int, _ hi: Int) {
      let out = UnsafeMutableBufferPointer(start: x + lo, count: hi - lo)
      for j in 0..<n {
        Kernels.axpy(
          Float(sign * c[j]), UnsafeBufferPointer(start: v + j * p + lo, count: hi - lo), out)
      }
    }
    if p * n < parallelThreshold || p < 4096 {
      range(0, p)
      return
    }
    let half = (p / 2 + 7) & ~7
    onBothCores { part in
      if part == 0 { range(0, half) } else { range(half, p) }
    }
  }

  /// Y ← V B with B an n × m column-major `Double` matrix (Y is P × m, may not alias V).
  /// Rows are processed in cache-sized tiles so V is streamed once per tile.
  /// - Complexity: O(P n m).
  static func times(
    _ v: UnsafePointer<Float>, rows p: Int, columns n: Int, _ b: UnsafePointer<Double>,
    columns m: Int, into y: UnsafeMutablePointer<Float>
  ) {
    if m == 0 { return }
    let tile = 2048
    let tiles = (p + tile - 1) / tile
    func work(_ t: Int) {
      let lo = t * tile
      let len = min(p, lo + tile) - lo
      for jj in 0..<m {
        let out = UnsafeMutableBufferPointer(start: y + jj * p + lo, count: len)
        out.update(repeating: 0)
        for i in 0..<n {
          let coef = Float(b[jj * n + i])
          if coef != 0 {
            Kernels.axpy(coef, UnsafeBufferPointer(start: v + i * p + lo, count: len), out)
          }
        }
      }
    }
    if p * n * m < parallelThreshold * 4 || tiles < 2 {
      for t in 0..<tiles { work(t) }
    } else {
      onBothCores { part in
        var t = part
        while t < tiles {
          work(t)
          t += 2
        }
      }
    }
  }

  /// V[:, 0..<m] ← V[:, 0..<n] · B in place (m ≤ n; B an n × m column-major `Double` matrix),
  /// row tile by row tile through a small buffer, so no P-length scratch is allocated. Each
  /// element is computed exactly as ``times(_:rows:columns:_:columns:into:)`` computes it.
  /// - Complexity: O(P n m) time, O(tile · m) extra memory per core.
  static func multiplyInPlace(
    _ v: UnsafeMutablePointer<Float>, rows p: Int, columns n: Int, _ b: UnsafePointer<Double>,
    columns m: Int
  ) {
    precondition(m <= n, "multiplyInPlace: more output than input columns")
    if m == 0 || p == 0 { return }
    let tile = 2048
    let tiles = (p + tile - 1) / tile
    func work(_ t: Int, _ buffer: UnsafeMutablePointer<Float>) {
      let lo = t * tile
      let len = min(p, lo + tile) - lo
      for jj in 0..<m {
        let out = UnsafeMutableBufferPointer(start: buffer + jj * tile, count: len)
        out.update(repeating: 0)
        for i in 0..<n {
          let coef = Float(b[jj * n + i])
          if coef != 0 {
            Kernels.axpy(coef, UnsafeBufferPointer(start: v + i * p + lo, count: len), out)
          }
        }
      }
      for jj in 0..<m { (v + jj * p + lo).update(from: buffer + jj * tile, count: len) }
    }
    let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 2 * tile * m)
    defer { buffers.deallocate() }
    if p * n * m < parallelThreshold * 4 || tiles < 2 {
      for t in 0..<tiles { work(t, buffers) }
    } else {
      onBothCores { part in
        var t = part
        while t < tiles {
          work(t, buffers + part * tile * m)
          t += 2
        }
      }
    }
  }

  /// Orthonormalises column `x` against V (n columns) with classical Gram–Schmidt applied twice.
  ///
  /// Writes the total coefficients Vᵀx (both passes) into `c` and returns ‖x‖ after
  /// orthogonalisation (x is left orthogonalised, not normalised).
  /// - Complexity: O(P n).
  static func orthogonalize(
    _ x: UnsafeMutablePointer<Float>, against v: UnsafePointer<Float>, rows p: Int, columns n: Int,
    coefficients c: UnsafeMutablePointer<Double>
  ) -> Double {
    if n > 0 {
      let c2 = UnsafeMutablePointer<Double>.allocate(capacity: n)
      defer { c2.deallocate() }
      transposeTimes(v, rows: p, columns: n, x, into: c)
      subtractTimes(v, rows: p, columns: n, c, from: x)
      transposeTimes(v, rows: p, columns: n, x, into: c2)
      subtractTimes(v, rows: p, columns: n, c2, from: x)
      for j in 0..<n { c[j] += c2[j] }
    }
    return Kernels.norm(UnsafeBufferPointer(start: x, count: p))
  }
}
