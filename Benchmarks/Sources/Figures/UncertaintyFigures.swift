import Curvature
import CurvatureModels
import Foundation

/// Prints the error-bar figures: calibration of the 95 % eigenvalue intervals on a digits MLP
/// 64-H-10 (40 seeded 128-sample batches, λ₁…λ₅ against the all-samples Hessian), the width at
/// 128, 512 and 1,024 samples, and the HVPs and seconds the intervals add to a `spectrum` run and
/// to a tracker refresh (interleaved repeats, min and median).
///
///     swift run -c release Figures uncertainty [--hidden 32] [--k 8] [--trials 40] [--repeats 5]
///
/// `--hidden 16 --k 6` is the configuration of the test suite's calibration test.
func uncertaintyFigures(arguments: [String]) throws {
  func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count,
      let v = Int(arguments[i + 1])
    else { return fallback }
    return v
  }
  let trials = option("--trials", 40)
  let hidden = option("--hidden", 32)
  let k = option("--k", 8)
  let repeats = option("--repeats", 5)
  let clock = ContinuousClock()
  func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
  let data = try ClassificationData.digits()
  let model = try MLP(layerSizes: [64, hidden, 10], activation: .tanh, data: data)
  var w = model.initialParameters(seed: 1)
  var rng = SeededGenerator(seed: 2)
  for _ in 0..<200 {
    let batch = SampleSet.indices((0..<64).map { _ in rng.nextInt(below: data.count) })
    let (_, g) = try model.lossAndGradient(at: w, samples: batch)
    for i in 0..<w.count { w[i] -= 0.5 * g[i] }
  }
  let n = data.count
  let truth = try Lanczos(configuration: .init(tolerance: 1e-5, maxProducts: 3000, seed: 1))
    .eigenpairs(of: ObjectiveHessian(objective: model, at: w, samples: .all(n)), count: k)
  print(
    "\n## Error bars (digits MLP 64-\(hidden)-10 tanh, P = \(model.parameterCount), N = \(n), 200 SGD "
      + "steps; k = \(k) pairs computed, G = 16 groups, 95 %)")
  print(
    "all-samples λ₁…λ₅: " + truth.eigenvalues.prefix(5).map { fmtG($0, 4) }.joined(separator: ", "))

  func measure(batch: Int, seed: UInt64) throws -> (
    EigenResult, EigenvalueUncertainty, Double, Double
  ) {
    let samples = try HessianBatch.subset(count: batch, seed: seed).fixedSamples(sampleCount: n)!
    var pairs: EigenResult? = nil
    let solve = try clock.measure {
      pairs = try Lanczos(configuration: .init(tolerance: 1e-4, maxProducts: 3000, seed: 1))
        .eigenpairs(of: ObjectiveHessian(objective: model, at: w, samples: samples), count: k)
    }
    var u: EigenvalueUncertainty? = nil
    let bars = try clock.measure {
      u = try BatchJackknife(
        objective: model, at: w, samples: samples, configuration: .init(seed: seed)
      ).eigenvalues(of: pairs!)
    }
    return (pairs!, u!, seconds(solve), seconds(bars))
  }

  // 1. Calibration at 128 samples.
  var covered = [Int](repeating: 0, count: 5)
  var rawAbove = 0
  var rawMean = [Double](repeating: 0, count: 5)
  var estimateMean = [Double](repeating: 0, count: 5)
  var halfWidth = [Double](repeating: 0, count: 5)
  var overlapPredicted = 0.0
  var bases: [Basis] = []
  for t in 0..<trials {
    let (pairs, u, _, _) = try measure(batch: 128, seed: UInt64(100 + t))
    bases.append(pairs.vectors)
    overlapPredicted += u.expectedOverlapBetweenEstimates / Double(trials)
    if pairs.eigenvalues[0] > truth.eigenvalues[0] { rawAbove += 1 }
    for j in 0..<5 {
      let v = u.eigenvalues[j]
      if v.contains(truth.eigenvalues[j]) { covered[j] += 1 }
      rawMean[j] += v.raw / Double(trials)
      estimateMean[j] += v.estimate / Double(trials)
      halfWidth[j] += v.halfWidth / Double(trials)
    }
  }
  var overlapMeasured = 0.0
  var pairCount = 0
  for a in 0..<bases.count {
    for b in (a + 1)..<bases.count {
      overlapMeasured += try SubspaceMetrics.overlap(bases[a], bases[b])
      pairCount += 1
    }
  }
  overlapMeasured /= Double(max(pairCount, 1))
  print("\n### Calibration: \(trials) seeded 128-sample batches")
  print("| | λ₁ | λ₂ | λ₃ | λ₄ | λ₅ |\n|---|---:|---:|---:|---:|---:|")
  print(
    "| all samples | " + truth.eigenvalues.prefix(5).map { fmtG($0, 4) }.joined(separator: " | ")
      + " |")
  print("| mean batch value | " + rawMean.map { fmtG($0, 4) }.joined(separator: " | ") + " |")
  print(
    "| mean bias-corrected | " + estimateMean.map { fmtG($0, 4) }.joined(separator: " | ") + " |")
  print("| mean half-width | " + halfWidth.map { fmtG($0, 4) }.joined(separator: " | ") + " |")
  print(
    "| intervals containing the all-samples value | "
      + covered.map { "\($0)/\(trials)" }.joined(separator: " | ") + " |")
  print("λ₁ of a batch above the all-samples λ₁: \(rawAbove)/\(trials)")
  print(
    "expected overlap between two batches' top-\(k) subspaces: predicted \(fmtG(overlapPredicted, 3)), "
      + "measured \(fmtG(overlapMeasured, 3)) (mean over \(pairCount) pairs)")

  // 2. Width against n.
  print("\n### Width against batch size (λ₁, mean over 8 seeded batches)")
  print("| samples n | half-width | sampling s.e. | s.e. × √n | s.e. ÷ √(1/n − 1/N) |")
  print("|---:|---:|---:|---:|---:|")
  for batch in [128, 512, 1024] {
    var hw = 0.0
    var se = 0.0
    for t in 0..<8 {
      let v = try measure(batch: batch, seed: UInt64(500 + t)).1.eigenvalues[0]
      hw += v.halfWidth / 8
      se += v.samplingStandardError / 8
    }
    let law = (1 / Double(batch) - 1 / Double(n)).squareRoot()
    print(
      "| \(batch) | \(fmtG(hw, 4)) | \(fmtG(se, 4)) | \(fmtG(se * Double(batch).squareRoot(), 3)) | \(fmtG(se / law, 3)) |"
    )
  }

  // 3. Cost: a spectrum run (cold Lanczos) and a tracker refresh (warm), with and without bars.
  print("\n### Cost of the error bars (\(repeats) interleaved repeats; load \(loadAverage()))")
  print(
    "| what | n | solver HVPs | error-bar HVP directions | solver s (min / median) | error bars s (min / median) | ratio (median) |"
  )
  print("|---|---:|---:|---:|---:|---:|---:|")
  for batch in [128, 512] {
    var solveTimes: [Double] = []
    var barTimes: [Double] = []
    var hvps = 0
    var barHVPs = 0
    for r in 0..<repeats {
      let (pairs, u, s, b) = try measure(batch: batch, seed: UInt64(900 + r))
      solveTimes.append(s)
      barTimes.append(b)
      hvps = pairs.productCount
      barHVPs = u.productCount
    }
    print(
      "| spectrum (cold Lanczos, k = \(k)) | \(batch) | \(hvps) | \(barHVPs) | \(minMed(solveTimes)) | \(minMed(barTimes)) | "
        + "\(fmtG(median(barTimes) / median(solveTimes), 2)) |")
  }
  for batch in [128, 512] {
    var plainTimes: [Double] = []
    var barTimes: [Double] = []
    var hvps = 0
    var barHVPs = 0
    for r in 0..<repeats {
      for withBars in [false, true] {
        let tracker = try DominantSubspaceTracker(
          objective: model,
          configuration: .init(
            k: k, hessianBatch: .subset(count: batch, seed: UInt64(r + 1)), refresh: .every(1),
            uncertainty: withBars ? .init(seed: UInt64(r)) : nil))
        try tracker.refresh(parameters: w)
        var w2 = w
        for i in 0..<w2.count { w2[i] += 1e-3 * Float(sin(Double(i))) }
        var report: RefreshReport? = nil
        let d = try clock.measure { report = try tracker.refresh(parameters: w2) }
        if withBars {
          barTimes.append(seconds(d))
          barHVPs = report!.eigenvalueUncertainty!.productCount
        } else {
          plainTimes.append(seconds(d))
          hvps = report!.productCount
        }
      }
    }
    let extra = zip(barTimes, plainTimes).map { $0 - $1 }
    print(
      "| warm tracker refresh (Lanczos, k = \(k)) | \(batch) | \(hvps) | \(barHVPs) | \(minMed(plainTimes)) | "
        + "\(minMed(extra)) (added) | \(fmtG(median(extra) / median(plainTimes), 2)) |")
  }
}

private func fmtG(_ x: Double, _ digits: Int) -> String {
  String(format: "%.\(digits)g", x)
}

private func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.isEmpty
    ? .nan : s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}

private func minMed(_ xs: [Double]) -> String {
  "\(String(format: "%.4f", xs.min() ?? .nan)) / \(String(format: "%.4f", median(xs)))"
}
