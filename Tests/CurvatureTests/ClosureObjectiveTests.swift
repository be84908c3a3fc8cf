import Curvature
import Testing

@Suite struct ClosureObjectiveTests {
  /// ℓ_i(w) = ½ a_i ‖w‖² − w_0, so the mean Hessian is mean(a_i) I.
  static let a: [Double] = [1, 2, 3, 6]

  static func objective(withHVP: Bool) -> ClosureObjective {
    ClosureObjective(
      parameterCount: 3, sampleCount: 4,
      perSampleLosses: { w, idx in
        idx.map { i in 0.5 * a[i] * w.reduce(0) { $0 + Double($1 * $1) } - Double(w[0]) }
      },
      gradient: { w, idx in
        let m = idx.reduce(0) { $0 + a[$1] } / Double(idx.count)
        return w.enumerated().map { Float(m) * $0.element - ($0.offset == 0 ? 1 : 0) }
      },
      hessianVectorProduct: withHVP
        ? { _, idx, v in
          let m = idx.reduce(0) { $0 + a[$1] } / Double(idx.count)
          return v.map { Float(m) * $0 }
        } : nil)
  }

  @Test func adaptsClosuresWithAndWithoutHVP() throws {
    for withHVP in [true, false] {
      let o = Self.objective(withHVP: withHVP)
      let w: [Float] = [1, -2, 0.5]
      let hv = try o.hessianVectorProduct(at: w, samples: .indices([0, 3]), direction: [1, 2, 3])
      for (x, y) in zip(hv, [3.5, 7, 10.5] as [Float]) { #expect(abs(x - y) < 1e-3) }
      let loss = try o.loss(at: w, samples: .all(4))
      let per = try o.perSampleLosses(at: w, samples: .all(4))
      #expect(abs(loss - per.reduce(0, +) / 4) < 1e-12)
      let h = try ObjectiveHessian(objective: o, at: w, samples: .all(4))
      #expect(try h.apply([0, 1, 0])[1] > 2.9)
      #expect(throws: CurvatureError.self) { try o.loss(at: [1], samples: .all(4)) }
      #expect(throws: CurvatureError.self) {
        var out = [Float](repeating: 0, count: 3)
        try w.withUnsafeBufferPointer { wp in
          try out.withUnsafeMutableBufferPointer {
            try o.gaussNewtonVectorProduct(at: wp, samples: .all(4), direction: wp, into: $0)
          }
        }
      }
    }
  }

  /// The combined closure: one call per gradient, per-sample losses only when asked, the same
  /// numbers as the separate closures.
  @Test func combinedLossAndGradientClosure() throws {
    final class Counter {
      var calls = 0
      var asked = 0
    }
    let counter = Counter()
    let separate = Self.objective(withHVP: false)
    let combined = ClosureObjective(parameterCount: 3, sampleCount: 4) { w, idx, wantsPerSample in
      counter.calls += 1
      if wantsPerSample { counter.asked += 1 }
      let losses = idx.map { i in
        0.5 * Self.a[i] * w.reduce(0) { $0 + Double($1 * $1) } - Double(w[0])
      }
      let m = idx.reduce(0) { $0 + Self.a[$1] } / Double(idx.count)
      let g = w.enumerated().map { Float(m) * $0.element - ($0.offset == 0 ? 1 : 0) }
      return .init(
        loss: losses.reduce(0, +) / Double(losses.count), gradient: g,
        perSampleLosses: wantsPerSample ? losses : nil)
    }
    let w: [Float] = [1, -2, 0.5]
    let (l1, g1) = try combined.lossAndGradient(at: w, samples: .indices([0, 2]))
    #expect(counter.calls == 1 && counter.asked == 0)
    let (l2, g2) = try separate.lossAndGradient(at: w, samples: .indices([0, 2]))
    #expect(abs(l1 - l2) < 1e-12)
    #expect(g1 == g2)
    let per = try combined.perSampleLosses(at: w, samples: .all(4))
    #expect(counter.asked == 1)
    #expect(per == (try separate.perSampleLosses(at: w, samples: .all(4))))
    let hv = try combined.hessianVectorProduct(
      at: w, samples: .indices([0, 3]), direction: [1, 2, 3])
    for (x, y) in zip(hv, [3.5, 7, 10.5] as [Float]) { #expect(abs(x - y) < 1e-3) }
    #expect(combined.hessianProductAccuracy == .centralDifferenceDefault)
    // A closure that ignores the request for per-sample losses gets a clear error.
    let forgetful = ClosureObjective(parameterCount: 3, sampleCount: 4) { w, _, _ in
      .init(loss: 0, gradient: w)
    }
    #expect(throws: CurvatureError.self) { try forgetful.perSampleLosses(at: w, samples: .all(4)) }
    let wrongSize = ClosureObjective(parameterCount: 3, sampleCount: 4) { _, _, _ in
      .init(loss: 0, gradient: [1])
    }
    #expect(throws: CurvatureError.self) { try wrongSize.lossAndGradient(at: w, samples: .all(4)) }
  }
}
