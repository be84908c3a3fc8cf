import Foundation

@testable import CurvatureCLI

/// A report filled with deterministic synthetic values (shapes like a real run, including a
/// diverged loss and a non-finite eigenvalue that must not reach the output).
enum ReportFixture {
  static func make(empty: Bool = false) -> CurvatureReport {
    var r = CurvatureReport()
    r.title = "Curvature report <test & check>"
    r.settings = [("model", "MLP 64-32-10"), ("η", "0.1")]
    r.k = 10
    r.parameterCount = 2410
    r.classCount = 10
    r.referenceRun = "SGD"
    if empty { return r }
    let names = ["SGD", "Dom-SGD", "Bulk-SGD", "interpolated(1, 0.5)"]
    for (i, name) in names.enumerated() {
      var run = CurvatureReport.Run(optimizer: name, learningRate: 0.1)
      run.steps = Array(stride(from: 0, through: 300, by: 5))
      run.losses = run.steps.map {
        2.3 * exp(-Double($0) / Double(60 + 200 * (i == 1 ? 10 : 1))) + 0.01
      }
      if i == 1 { run.losses[run.losses.count - 1] = .infinity }
      run.finalTrainLoss = run.losses.last!
      run.testAccuracy = 0.9 - 0.1 * Double(i)
      run.hessianVectorProducts = 400 + i
      run.seconds = 1.5
      run.sharpnessSteps = [0, 100, 200, 300]
      run.sharpness = [2, 8, 15, 18.5].map { $0 + Double(i) }
      if i == 0 {
        run.sharpnessLower = run.sharpness.map { $0 * 0.8 }
        run.sharpnessUpper = run.sharpness.map { $0 * 1.3 }
      }
      run.alignmentSteps = run.steps
      run.alignment = run.steps.map { 0.2 + 0.6 * (1 - exp(-Double($0) / 50)) }
      run.ending = i == 1 ? "diverged" : "completed"
      r.runs.append(run)
    }
    for (n, step) in [0, 100, 200, 300].enumerated() {
      r.refreshes.append(
        CurvatureReport.Refresh(
          step: step, eigenvalues: (1...10).map { 20 / Double($0) + Double(n) },
          overlap: n == 0 ? nil : 0.9,
          hessianVectorProducts: n == 0 ? 120 : 40, residualMax: 1e-5))
    }
    r.spectra = [100, 300].map { step in
      CurvatureReport.Spectrum(
        step: step, eigenvalues: (1...20).map { $0 <= 10 ? 20 / Double($0) : 0.5 / Double($0) })
    }
    r.densityGrid = (0..<200).map { -1 + 0.11 * Double($0) }
    r.density = r.densityGrid.map { exp(-$0 * $0 * 20) + 0.01 * exp(-($0 - 15) * ($0 - 15)) }
    r.density[5] = .nan
    for (i, step) in [100, 200, 300].enumerated() {
      let k = [8, 16, 32, 64, 128, 256, 512]
      r.stabilization.append(
        CurvatureReport.StabilizationCurve(
          step: step, k: k, delta: k.map { 1e-2 * Double(i + 1) / Double($0 * $0) },
          standardError: k.map { 1e-3 / Double($0 * $0) }, slope: -2,
          intercept: log10(1e-2 * Double(i + 1))))
    }
    r.stabilizationEpsilon = 1e-6
    r.notes = ["synthetic data for the report tests"]
    return r
  }
}
