/// Vectorised elementwise maths shared by the models (SIMD16<Float>, no libm calls).
enum VectorMath {
  typealias V = SIMD16<Float>

  /// tanh(x) by a clamped odd rational approximation (absolute error below 5e-7 on all of R).
  @inline(__always)
  static func tanh(_ x: V) -> V {
    let c: Float = 7.90531110763549805
    let xc = x.replacing(with: c, where: x .> c).replacing(with: -c, where: x .< -c)
    let x2 = xc * xc
    var p = V(repeating: -2.76076847742355e-16)
    p = p * x2 + 2.00018790482477e-13
    p = p * x2 - 8.60467152213735e-11
    p = p * x2 + 5.12229709037114e-08
    p = p * x2 + 1.48572235717979e-05
    p = p * x2 + 6.37261928875436e-04
    p = p * x2 + 4.89352455891786e-03
    p = p * xc
    var q = V(repeating: 1.19825839466702e-06)
    q = q * x2 + 1.18534705686654e-04
    q = q * x2 + 2.26843463243900e-03
    q = q * x2 + 4.89352518554385e-03
    let r = p / q
    return r.replacing(with: x, where: (x .< 0.0004) .& (x .> -0.0004))
  }

  /// e^x for x ≤ 0 (Cody–Waite reduction, degree-7 polynomial; relative error ~1e-7).
  /// Inputs below −87 return 0.
  @inline(__always)
  static func expNonPositive(_ x: V) -> V {
    let xc = x.replacing(with: -87, where: x .< -87).replacing(with: 0, where: x .> 0)
    // Round to nearest with the 1.5·2²³ trick; the low mantissa bits of t hold n.
    let t = xc * 1.4426950408889634 + 12_582_912
    let n = t - 12_582_912
    let r = xc - n * 0.693359375 + n * 2.12194440e-4
    var p = V(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let bits = (unsafeBitCast(t, to: SIMD16<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    let scale = unsafeBitCast(bits, to: V.self)
    return (p * scale).replacing(with: 0, where: x .< -87)
  }

  /// Loads up to 16 elements (zero-padded).
  @inline(__always)
  static func load(_ p: UnsafePointer<Float>, _ n: Int) -> V {
    if n >= 16 { return UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    var v = V()
    for i in 0..<n { v[i] = p[i] }
    return v
  }

  /// Stores the first `n` (≤ 16) lanes.
  @inline(__always)
  static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    if n >= 16 {
      UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
      return
    }
    for i in 0..<n { p[i] = v[i] }
  }
}
