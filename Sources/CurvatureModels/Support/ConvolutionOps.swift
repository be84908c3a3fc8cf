/// The data movement of a convolutional network on a chunk of n samples, in the chunk layout
/// C × n × H × W (channel-major over the whole chunk: plane (c, s) starts at (c·n + s)·H·W).
///
/// In this layout a 3×3 'same' convolution is one GEMM, Z (C_out × nHW) = W (C_out × 9 C_in) ·
/// X_col (9 C_in × nHW), where row c·9 + 3·kh + kw of X_col is the input plane c shifted by
/// (kh − 1, kw − 1) with zero fill (``im2col(_:channels:samples:height:width:into:)``); the
/// weight rows are PyTorch's [out, in, 3, 3] flattened. Every routine is single-threaded (the
/// models run one chunk per core) and deterministic.
enum Convolution {
  /// X_col ← the 9 shifted copies of every input plane (zero padding), 9C × nHW.
  /// - Complexity: O(9 C n H W) copies.
  static func im2col(
    _ src: UnsafePointer<Float>, channels C: Int, samples n: Int, height H: Int, width W: Int,
    into dst: UnsafeMutablePointer<Float>
  ) {
    let hw = H * W
    let length = n * hw
    for c in 0..<C {
      for kh in 0..<3 {
        for kw in 0..<3 {
          let row = dst + (c * 9 + kh * 3 + kw) * length
          let dy = kh - 1
          for s in 0..<n {
            let plane = src + (c * n + s) * hw
            let out = row + s * hw
            for y in 0..<H {
              let o = out + y * W
              let yy = y + dy
              if yy < 0 || yy >= H {
                o.update(repeating: 0, count: W)
                continue
              }
              let i = plane + yy * W
              switch kw {
              case 0:
                o[0] = 0
                (o + 1).update(from: i, count: W - 1)
              case 1:
                o.update(from: i, count: W)
              default:
                o.update(from: i + 1, count: W - 1)
                o[W - 1] = 0
              }
            }
          }
        }
      }
    }
  }

  /// The adjoint of ``im2col(_:channels:samples:height:width:into:)``: dst (C × nHW) ← the sum
  /// of the 9 shifted-back rows of `col` (9C × nHW) of every channel.
  /// - Complexity: O(9 C n H W) additions.
  static func col2im(
    _ col: UnsafePointer<Float>, channels C: Int, samples n: Int, height H: Int, width W: Int,
    into dst: UnsafeMutablePointer<Float>
  ) {
    let hw = H * W
    let length = n * hw
    dst.update(repeating: 0, count: C * length)
    for c in 0..<C {
      for kh in 0..<3 {
        for kw in 0..<3 {
          let row = col + (c * 9 + kh * 3 + kw) * length
          let dy = kh - 1
          for s in 0..<n {
            let plane = dst + (c * n + s) * hw
            let out = row + s * hw
            for y in 0..<H {
              let yy = y + dy
              if yy < 0 || yy >= H { continue }
              let o = out + y * W
              let d = plane + yy * W
              switch kw {
              case 0: Dense.add(o + 1, into: d, count: W - 1)
              case 1: Dense.add(o, into: d, count: W)
              default: Dense.add(o, into: d + 1, count: W - 1)
              }
            }
          }
        }
      }
    }
  }

  /// 2×2 max pooling with stride 2 over `planes` planes of H × W into ⌊H/2⌋ × ⌊W/2⌋ (an odd
  /// last row or column is dropped, as PyTorch's `MaxPool2d(2)`). `window` receives, per output,
  /// the position of the maximum in its window (0 top-left, 1 top-right, 2 bottom-left,
  /// 3 bottom-right; the first in that order on ties).
  /// - Complexity: O(planes · H · W).
  static func maxPool(
    _ src: UnsafePointer<Float>, planes: Int, height H: Int, width W: Int,
    into dst: UnsafeMutablePointer<Float>, window: UnsafeMutablePointer<UInt8>
  ) {
    let ho = H / 2
    let wo = W / 2
    for p in 0..<planes {
      let a = src + p * H * W
      let o = dst + p * ho * wo
      let k = window + p * ho * wo
      for oy in 0..<ho {
        let r0 = a + 2 * oy * W
        let r1 = r0 + W
        for ox in 0..<wo {
          let x = 2 * ox
          var best = r0[x]
          var at: UInt8 = 0
          if r0[x + 1] > best {
            best = r0[x + 1]
            at = 1
          }
          if r1[x] > best {
            best = r1[x]
            at = 2
          }
          if r1[x + 1] > best {
            best = r1[x + 1]
            at = 3
          }
          o[oy * wo + ox] = best
          k[oy * wo + ox] = at
        }
      }
    }
  }

  /// The offset within an H × W plane of pooled output (oy, ox) whose window maximum is `at`.
  @inline(__always)
  private static func source(_ oy: Int, _ ox: Int, _ at: UInt8, _ W: Int) -> Int {
    (2 * oy + Int(at >> 1)) * W + 2 * ox + Int(at & 1)
  }

  /// The linearisation of max pooling at the recorded maxima: dst (planes × ⌊H/2⌋⌊W/2⌋) ← the
  /// values of `src` (planes × H W) at the `window` positions.
  /// - Complexity: O(planes · H · W / 4).
  static func gatherPooled(
    _ src: UnsafePointer<Float>, window: UnsafePointer<UInt8>, planes: Int, height H: Int,
    width W: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    let ho = H / 2
    let wo = W / 2
    for p in 0..<planes {
      let a = src + p * H * W
      let o = dst + p * ho * wo
      let k = window + p * ho * wo
      for oy in 0..<ho {
        for ox in 0..<wo { o[oy * wo + ox] = a[source(oy, ox, k[oy * wo + ox], W)] }
      }
    }
  }

  /// The adjoint of ``gatherPooled(_:window:planes:height:width:into:)``: dst (planes × H W) ←
  /// zero except the recorded maxima, which receive `src` (planes × ⌊H/2⌋⌊W/2⌋).
  /// - Complexity: O(planes · H · W).
  static func unpool(
    _ src: UnsafePointer<Float>, window: UnsafePointer<UInt8>, planes: Int, height H: Int,
    width W: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    let ho = H / 2
    let wo = W / 2
    dst.update(repeating: 0, count: planes * H * W)
    for p in 0..<planes {
      let a = dst + p * H * W
      let o = src + p * ho * wo
      let k = window + p * ho * wo
      for oy in 0..<ho {
        for ox in 0..<wo { a[source(oy, ox, k[oy * wo + ox], W)] = o[oy * wo + ox] }
      }
    }
  }

  /// y[c, :] += bias[c] for each of `channels` rows of `length` values.
  /// - Complexity: O(channels · length).
  static func addChannelBias(
    _ y: UnsafeMutablePointer<Float>, channels: Int, length: Int, bias: UnsafePointer<Float>
  ) {
    for c in 0..<channels {
      let row = y + c * length
      let b = SIMD16<Float>(repeating: bias[c])
      var i = 0
      while i < length {
        let w = min(16, length - i)
        VectorMath.store(VectorMath.load(row + i, w) + b, row + i, w)
        i += 16
      }
    }
  }

  /// dst[r] ← Σ_j src[r, j] (a fixed summation order, so the result is deterministic).
  /// - Complexity: O(rows · cols).
  static func rowSums(
    _ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows {
      let row = src + r * cols
      var acc = SIMD16<Float>()
      var i = 0
      while i < cols {
        acc += VectorMath.load(row + i, min(16, cols - i))
        i += 16
      }
      dst[r] = acc.sum()
    }
  }

  /// Chunk layout (C × n × S) → per-sample features (n × C S), channel-major as
  /// `torch.flatten` of (C, H, W). - Complexity: O(C n S).
  static func toFeatures(
    _ src: UnsafePointer<Float>, channels C: Int, samples n: Int, size S: Int,
    into dst: UnsafeMutablePointer<Float>
  ) {
    for c in 0..<C {
      for s in 0..<n { (dst + s * C * S + c * S).update(from: src + (c * n + s) * S, count: S) }
    }
  }

  /// The inverse of ``toFeatures(_:channels:samples:size:into:)``. - Complexity: O(C n S).
  static func fromFeatures(
    _ src: UnsafePointer<Float>, channels C: Int, samples n: Int, size S: Int,
    into dst: UnsafeMutablePointer<Float>
  ) {
    for c in 0..<C {
      for s in 0..<n { (dst + (c * n + s) * S).update(from: src + s * C * S + c * S, count: S) }
    }
  }
}
