import Foundation
import Testing

@testable import Curvature

/// Golden values computed independently with a short Python implementation of SplitMix64 +
/// xoshiro256** (and the polar method with `math.log`).
@Suite struct SeededGeneratorTests {
  @Test func referenceStreamFromState1234() throws {
    // The reference implementation's first outputs for state {1, 2, 3, 4}.
    var g = try SeededGenerator(state: [1, 2, 3, 4])
    let expected: [UInt64] = [
      11520, 0, 1_509_978_240, 1_215_971_899_390_074_240, 1_216_172_134_540_287_360,
      607_988_272_756_665_600,
    ]
    for e in expected { #expect(g.next() == e) }
  }

  @Test func goldenValuesForSeeds() {
    let cases: [(UInt64, [UInt64], [UInt64])] = [
      (
        0,
        [
          0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f,
          0xf88b_b8a8_724c_81ec,
        ],
        [
          0x99ec_5f36_cb75_f2b4, 0xbf6e_1f78_4956_452a, 0x1a5f_849d_4933_e6e0,
          0x6aa5_94f1_262d_2d2c, 0xbba5_ad4a_1f84_2e59,
        ]
      ),
      (
        42,
        [
          0xbdd7_3226_2feb_6e95, 0x28ef_e333_b266_f103, 0x4752_6757_130f_9f52,
          0x581c_e1ff_0e4a_e394,
        ],
        [
          0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1,
          0xecb8_ad47_03b3_60a1, 0xfde6_dc7f_e2ec_5e64,
        ]
      ),
      (
        0xDEAD_BEEF,
        [
          0x4adf_b90f_68c9_eb9b, 0xde58_6a31_41a1_0922, 0x021f_bc2f_8e1c_fc1d,
          0x7466_ce73_7be1_6790,
        ],
        [
          0xc555_5444_a74d_7e83, 0x65c3_0d37_b4b1_6e38, 0x54f7_7320_0a4e_fa23,
          0x429a_ed75_fb95_8af7, 0xfb0e_1dd6_9c25_5b2e,
        ]
      ),
    ]
    for (seed, state, outputs) in cases {
      var g = SeededGenerator(seed: seed)
      #expect(g.state == state)
      for o in outputs { #expect(g.next() == o) }
    }
  }

  @Test func goldenUniformGaussianAndIntegers() {
    var u = SeededGenerator(seed: 7)
    for e in [0.7005764821796896, 0.2787512294737843, 0.8396274618764198, 0.9810977250149351] {
      #expect(u.nextUniform() == e)
    }
    var g = SeededGenerator(seed: 2024)
    let gaussians = [
      0.7877704987458325, -0.7344488490158809, -0.6355328318708062, -1.4615153259586555,
      0.07886871728579309, -0.6240753429644089,
    ]
    // The portable logarithm agrees with libm to a few ulps.
    for e in gaussians { #expect(abs(g.nextGaussian() - e) <= 4e-16 * max(1, abs(e))) }
    var i = SeededGenerator(seed: 5)
    #expect((0..<8).map { _ in i.nextInt(below: 10) } == [5, 6, 2, 3, 3, 5, 5, 6])
  }

  @Test func portableLogarithmMatchesLibm() {
    var g = SeededGenerator(seed: 3)
    for _ in 0..<2000 {
      let x = g.nextUniform() * 10 + 1e-300
      let reference = Foundation.log(x)
      // Within two units in the last place (of at least 0.5, for results near zero).
      #expect(abs(Curvature._log(x) - reference) <= 2 * max(abs(reference), 0.5).ulp)
    }
    #expect(Curvature._log(1) == 0)
    #expect(abs(Curvature._log(1e-300) - Foundation.log(1e-300)) <= 1e-13)
  }

  @Test func gaussianMoments() {
    var g = SeededGenerator(seed: 99)
    let n = 200_000
    var m1 = 0.0
    var m2 = 0.0
    var m3 = 0.0
    var m4 = 0.0
    for _ in 0..<n {
      let x = g.nextGaussian()
      m1 += x
      m2 += x * x
      m3 += x * x * x
      m4 += x * x * x * x
    }
    let d = Double(n)
    // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032, skew √(15/n) ≈ 0.0087,
    // fourth moment √(96/n) ≈ 0.022; bounds are about five standard errors.
    #expect(abs(m1 / d) <= 0.011)
    #expect(abs(m2 / d - 1) <= 0.016)
    #expect(abs(m3 / d) <= 0.044)
    #expect(abs(m4 / d - 3) <= 0.11)
    let v = g.gaussianVector(count: 50_000, standardDeviation: 2)
    let variance = v.reduce(0.0) { $0 + Double($1) * Double($1) } / 50_000
    #expect(abs(variance - 4) <= 0.13)
  }

  @Test func rademacherBalanceAndUniformRange() {
    var g = SeededGenerator(seed: 17)
    let v = g.rademacherVector(count: 100_000)
    #expect(v.allSatisfy { $0 == 1 || $0 == -1 })
    let sum = Double(v.reduce(0, +))
    #expect(abs(sum) <= 5 * 100_000.0.squareRoot())  // 5 standard deviations
    // Consecutive signs are not correlated.
    var lag = 0.0
    for i in 1..<v.count { lag += Double(v[i] * v[i - 1]) }
    #expect(abs(lag) <= 5 * 100_000.0.squareRoot())
    for _ in 0..<10_000 {
      let u = g.nextUniform()
      #expect(u >= 0 && u < 1)
    }
  }

  @Test func permutationsAreValidAndUniform() {
    var g = SeededGenerator(seed: 23)
    for n in [0, 1, 2, 17, 1000] {
      let p = g.permutation(count: n)
      #expect(p.sorted() == Array(0..<n))
    }
    #expect(g.permutation(count: -3).isEmpty)
    // All 6 permutations of 3 elements appear with frequency ≈ 1/6.
    var counts: [[Int]: Int] = [:]
    for _ in 0..<12_000 { counts[g.permutation(count: 3), default: 0] += 1 }
    #expect(counts.count == 6)
    for (_, c) in counts { #expect(abs(c - 2000) <= 250) }  // ~6 standard deviations
    // nextInt(below:) is unbiased across its range.
    var buckets = [Int](repeating: 0, count: 7)
    for _ in 0..<70_000 { buckets[g.nextInt(below: 7)] += 1 }
    for b in buckets { #expect(abs(b - 10_000) <= 500) }
  }

  @Test func codableRoundTripContinuesTheStreamExactly() throws {
    var g = SeededGenerator(seed: 1234)
    _ = g.nextGaussian()  // leaves a cached spare Gaussian
    #expect(g.spareGaussian != nil)
    let data = try JSONEncoder().encode(g)
    var restored = try JSONDecoder().decode(SeededGenerator.self, from: data)
    #expect(restored == g)
    for _ in 0..<100 {
      #expect(restored.nextGaussian() == g.nextGaussian())
      #expect(restored.next() == g.next())
    }
    // Without a spare Gaussian too.
    var h = SeededGenerator(seed: 5)
    _ = h.next()
    var h2 = try JSONDecoder().decode(SeededGenerator.self, from: try JSONEncoder().encode(h))
    #expect(h2.next() == h.next())
  }

  @Test func rejectsInvalidState() {
    #expect(throws: CurvatureError.self) { try SeededGenerator(state: [0, 0, 0, 0]) }
    #expect(throws: CurvatureError.self) { try SeededGenerator(state: [1, 2, 3]) }
    #expect(throws: CurvatureError.self) {
      try SeededGenerator(state: [1, 2, 3, 4], spareGaussian: .nan)
    }
    let bad = Data(#"{"state":[0,0,0,0]}"#.utf8)
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(SeededGenerator.self, from: bad)
    }
    let short = Data(#"{"state":[1,2]}"#.utf8)
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(SeededGenerator.self, from: short)
    }
  }

  /// Uniform on [−1, 1) on a grid of 2⁻²³, reproducible, with the moments of the uniform law.
  @Test func uniformVectorIsUniformOnTheSymmetricInterval() {
    var a = SeededGenerator(seed: 12)
    var b = SeededGenerator(seed: 12)
    let n = 200_000
    let x = a.uniformVector(count: n)
    #expect(x == b.uniformVector(count: n))
    #expect(a == b)
    #expect(x.allSatisfy { $0 >= -1 && $0 < 1 && ($0 * 0x1p23).rounded() == $0 * 0x1p23 })
    let mean = x.reduce(0.0) { $0 + Double($1) } / Double(n)
    let second = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
    // Mean 0 and E x² = 1/3, within 5 standard errors.
    #expect(abs(mean) <= 5 * (1.0 / 3 / Double(n)).squareRoot())
    #expect(abs(second - 1.0 / 3) <= 5 * (4.0 / 45 / Double(n)).squareRoot())
    #expect(x.min()! < -0.999 && x.max()! > 0.999)
    #expect(a.uniformVector(count: 0).isEmpty && a.uniformVector(count: -3).isEmpty)
  }
}
