import Curvature
import Foundation

/// Writes a `CurvatureReport` as a self-contained HTML page (inline SVG and CSS, no scripts) plus
/// the raw data as CSV files and one JSON file.
///
/// Files in the output directory: `index.html`, `report.json`, `summary.csv`, `losses.csv`,
/// `sharpness.csv`, `alignment.csv`, `refreshes.csv`, `spectrum.csv`, `density.csv`,
/// `stabilization.csv`. Non-finite values (a diverged loss) are written as empty CSV fields and
/// JSON `null`, and are left out of the plots.
enum ReportWriter {
  /// The ids of the plots, in page order (each is an `<svg id=...>` in `index.html`).
  static let plotIDs = [
    "loss", "sharpness", "eigenvalues", "outliers", "density", "alignment", "overlap",
    "stabilization",
  ]

  /// The data files written next to `index.html`.
  static let dataFiles = [
    "report.json", "summary.csv", "losses.csv", "sharpness.csv", "alignment.csv", "refreshes.csv",
    "spectrum.csv", "density.csv", "stabilization.csv",
  ]

  /// Writes the report into `directory` (created if needed) and returns the path of `index.html`.
  /// - Throws: `CurvatureError.fileSystem` when the directory or a file cannot be written.
  static func write(_ report: CurvatureReport, to directory: String) throws -> String {
    let fm = FileManager.default
    do {
      try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw CurvatureError.fileSystem(
        path: directory, reason: "cannot create directory: \(error.localizedDescription)")
    }
    var files: [(String, String)] = [("index.html", html(report))]
    files.append(("report.json", try json(report).serialized() + "\n"))
    files.append(contentsOf: csvFiles(report))
    for (name, text) in files {
      let path = (directory as NSString).appendingPathComponent(name)
      try AtomicFile.write(Array(text.utf8), to: path)
    }
    return (directory as NSString).appendingPathComponent("index.html")
  }

  // MARK: Plots

  /// The plots of the report, in `plotIDs` order.
  static func plots(_ r: CurvatureReport) -> [SVGPlot] {
    let curvatureUnit = "nats / parameter²"
    var plots: [SVGPlot] = []

    // Training loss per optimizer.
    var loss = SVGPlot(
      id: "loss", title: "Training loss per optimizer", xLabel: "training step",
      yLabel: "training loss (cross-entropy, nats)", yLog: true)
    for run in r.runs {
      loss.series.append(
        PlotSeries(
          name: run.optimizer, x: run.steps.map(Double.init), y: run.losses, lineWidth: 1.8))
    }
    plots.append(loss)

    // Sharpness against 2/η.
    var sharp = SVGPlot(
      id: "sharpness", title: "Sharpness λ₁ against the stability edge 2/η",
      xLabel: "training step",
      yLabel: "λ₁ (\(curvatureUnit))")
    for run in r.runs where !run.sharpness.isEmpty {
      sharp.series.append(
        PlotSeries(
          name: "λ₁, \(run.optimizer)", x: run.sharpnessSteps.map(Double.init), y: run.sharpness,
          style: .lineAndMarkers,
          band: run.sharpnessLower.count == run.sharpness.count
            ? (run.sharpnessLower, run.sharpnessUpper) : nil))
    }
    let rates = Array(Set(r.runs.map(\.learningRate))).filter { $0 > 0 && $0.isFinite }.sorted()
    for eta in rates {
      sharp.references.append(
        ReferenceLine(
          orientation: .horizontal, value: 2 / eta,
          label: "2/η = \(short(2 / eta))" + (rates.count > 1 ? " (η = \(short(eta)))" : ""),
          color: "#B00020"))
    }
    sharp.emptyNote = "sharpness not measured"
    plots.append(sharp)

    // Top-k eigenvalues at each refresh.
    let allPositive = r.refreshes.allSatisfy { $0.eigenvalues.allSatisfy { $0 > 0 } }
    var eig = SVGPlot(
      id: "eigenvalues",
      title: "Top-\(r.k) Hessian eigenvalues at each refresh (\(r.referenceRun))",
      xLabel: "training step", yLabel: "eigenvalue λⱼ (\(curvatureUnit))",
      yLog: allPositive && !r.refreshes.isEmpty)
    let depth = r.refreshes.map(\.eigenvalues.count).max() ?? 0
    for j in 0..<depth {
      let points = r.refreshes.filter { $0.eigenvalues.count > j }
      let name =
        j == 0
        ? "λ₁"
        : j == depth - 1 ? "λ" + subscriptDigits(depth) : "λ₂ … λ" + subscriptDigits(depth - 1)
      let shade = 0.25 + 0.55 * Double(j) / Double(max(1, depth - 1))
      let color = j == 0 ? SVGPlot.palette[0] : j == depth - 1 ? SVGPlot.palette[1] : gray(shade)
      eig.series.append(
        PlotSeries(
          name: name, x: points.map { Double($0.step) }, y: points.map { $0.eigenvalues[j] },
          style: .lineAndMarkers, color: color, inLegend: j == 0 || j == 1 || j == depth - 1,
          lineWidth: j == 0 ? 2.2 : 1.2))
    }
    eig.emptyNote = "no subspace refreshes recorded"
    plots.append(eig)

    // The leading spectrum along training: the C outliers.
    let spectrumPositive = r.spectra.allSatisfy { $0.eigenvalues.allSatisfy { $0 > 0 } }
    var outliers = SVGPlot(
      id: "outliers", title: "Leading Hessian eigenvalues: about C outliers",
      xLabel: "eigenvalue index j",
      yLabel: "λⱼ (\(curvatureUnit))", yLog: spectrumPositive && !r.spectra.isEmpty)
    for (i, spectrum) in r.spectra.enumerated() {
      let first = i == 0
      let last = i == r.spectra.count - 1
      let color =
        last
        ? SVGPlot.palette[1]
        : first ? SVGPlot.palette[0] : gray(0.75 - 0.3 * Double(i) / Double(r.spectra.count))
      outliers.series.append(
        PlotSeries(
          name: "step \(spectrum.step)" + (last ? " (end)" : ""),
          x: spectrum.eigenvalues.indices.map { Double($0 + 1) },
          y: spectrum.eigenvalues, style: .lineAndMarkers, color: color, inLegend: first || last,
          lineWidth: first || last ? 1.8 : 1))
    }
    if !r.spectra.isEmpty {
      outliers.references.append(
        ReferenceLine(
          orientation: .vertical, value: Double(r.classCount) + 0.5,
          label: "C = \(r.classCount) classes"))
    }
    outliers.emptyNote = "leading spectrum not measured"
    plots.append(outliers)

    // Spectral density.
    let peak = r.density.filter(\.isFinite).max() ?? 0
    let floorValue = peak * 1e-6
    var dens = SVGPlot(
      id: "density",
      title: "Hessian spectral density (stochastic Lanczos quadrature)",
      xLabel: "eigenvalue λ (\(curvatureUnit))", yLabel: "density (per unit λ)", yLog: true)
    dens.series.append(
      PlotSeries(
        name: "density", x: r.densityGrid, y: r.density.map { $0 >= floorValue ? $0 : .nan },
        inLegend: false))
    if let lk = r.refreshes.last?.eigenvalues.last, lk.isFinite, dens.hasData {
      dens.references.append(
        ReferenceLine(orientation: .vertical, value: lk, label: "λ" + subscriptDigits(r.k)))
    }
    dens.emptyNote = "spectral density not measured"
    plots.append(dens)

    // Gradient alignment.
    var align = SVGPlot(
      id: "alignment", title: "Gradient alignment with the dominant subspace",
      xLabel: "training step",
      yLabel: "f_top = ‖P_dom g‖² / ‖g‖²", yLog: true)
    for run in r.runs where !run.alignment.isEmpty {
      align.series.append(
        PlotSeries(
          name: run.optimizer, x: run.alignmentSteps.map(Double.init), y: run.alignment,
          lineWidth: 1.5))
    }
    align.references.append(
      ReferenceLine(
        orientation: .horizontal, value: r.chanceLevel,
        label: "chance k/P = \(short(r.chanceLevel))"))
    align.emptyNote = "alignment not measured"
    plots.append(align)

    // Subspace overlap between refreshes.
    var overlap = SVGPlot(
      id: "overlap", title: "Subspace overlap with the previous refresh", xLabel: "training step",
      yLabel: "overlap (fraction; 1 = same subspace)")
    let withOverlap = r.refreshes.filter { $0.overlap != nil }
    overlap.series.append(
      PlotSeries(
        name: "overlap", x: withOverlap.map { Double($0.step) }, y: withOverlap.map { $0.overlap! },
        style: .lineAndMarkers, inLegend: false))
    overlap.references.append(
      ReferenceLine(
        orientation: .horizontal, value: r.chanceLevel,
        label: "chance k/P = \(short(r.chanceLevel))"))
    overlap.references.append(
      ReferenceLine(orientation: .horizontal, value: 1, label: "same subspace"))
    overlap.emptyNote = "fewer than two refreshes"
    plots.append(overlap)

    // Stabilisation.
    var stab = SVGPlot(
      id: "stabilization",
      title:
        "Δ₂⁽ᴰ⁾ against the sample count k (D = \(r.stabilizationD), σ = \(short(r.stabilizationSigma)))",
      xLabel: "sample count k (samples)", yLabel: "Δ₂⁽ᴰ⁾ (nats²)", xLog: true, yLog: true)
    for (i, curve) in r.stabilization.enumerated() {
      let last = i == r.stabilization.count - 1
      stab.series.append(
        PlotSeries(
          name: "step \(curve.step)", x: curve.k.map(Double.init), y: curve.delta,
          style: last ? .lineAndMarkers : .line,
          color: last
            ? SVGPlot.palette[0]
            : gray(0.78 - 0.4 * Double(i) / Double(max(1, r.stabilization.count - 1))),
          inLegend: last || i == 0, lineWidth: last ? 2 : 1.2))
    }
    if let last = r.stabilization.last, let k0 = last.k.min(), let k1 = last.k.max(), k0 > 0,
      k1 > k0,
      last.slope.isFinite, last.intercept.isFinite
    {
      let xs = [Double(k0), Double(k1)]
      stab.series.append(
        PlotSeries(
          name: "fit: slope \(AxisScale.trim(last.slope, 2))", x: xs,
          y: xs.map { pow(10, last.intercept + last.slope * log10($0)) }, style: .dashedLine,
          color: SVGPlot.palette[1]))
    }
    if let eps = r.stabilizationEpsilon {
      stab.references.append(
        ReferenceLine(orientation: .horizontal, value: eps, label: "ε = \(short(eps))"))
    }
    stab.emptyNote = "stabilisation not measured"
    plots.append(stab)
    return plots
  }

  /// Captions: what each plot shows and what to look for.
  static let captions: [String: String] = [
    "loss":
      "Loss on the whole training set every 10 steps, log scale. Expect Bulk-SGD to track SGD while Dom-SGD, which only moves inside the top-k subspace, stalls.",
    "sharpness":
      "Largest Hessian eigenvalue at each refresh. Gradient descent is stable on a quadratic only while λ₁ < 2/η; λ₁ often rises early in training, towards that edge, and then falls as training settles into flatter regions.",
    "eigenvalues":
      "The k largest eigenvalues of the Hessian on the Hessian batch, recomputed (warm-started Lanczos) at every refresh.",
    "outliers":
      "About C = number of classes eigenvalues stand out above the bulk (Fort & Ganguli; Gur-Ari et al.); the softmax makes it often C − 1. A gap after j = C − 1 or C is the signature (lighter curves: earlier in training).",
    "density":
      "Density of the whole Hessian spectrum, smoothed. A bulk near zero and a few isolated outliers far to the right.",
    "alignment":
      "Fraction of the minibatch gradient's squared norm inside the top-k eigenspace (mean over 10 steps). A random k-dimensional subspace would hold k/P of it.",
    "overlap":
      "Overlap ‖UᵀV‖²_F / k between consecutive bases U, V: how much of the previous subspace the new one keeps (1 = identical). High overlap is what makes warm starts cheap.",
    "stabilization":
      "Curvature-aligned stabilisation Δ₂⁽ᴰ⁾(k): the mean squared change of the local loss surface when sample k+1 is added. Theory predicts slope ≈ −2 on log–log axes (lighter curves: earlier in training).",
  ]

  // MARK: HTML

  static func html(_ r: CurvatureReport) -> String {
    var h = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8"/>
      <meta name="viewport" content="width=device-width, initial-scale=1"/>
      <title>\(esc(r.title))</title>
      <style>
      body { font-family: Helvetica, Arial, sans-serif; margin: 0; background: #f4f5f7; color: #222; }
      main { max-width: 1180px; margin: 0 auto; padding: 20px 16px 40px; }
      h1 { font-size: 24px; margin: 4px 0 6px; }
      .settings { color: #555; font-size: 14px; margin-bottom: 14px; }
      .settings span { margin-right: 16px; white-space: nowrap; }
      table { border-collapse: collapse; background: #fff; font-size: 14px; margin-bottom: 8px; }
      th, td { padding: 6px 14px; border-bottom: 1px solid #e3e3e3; text-align: right; }
      th { background: #eef0f3; }
      td:first-child, th:first-child { text-align: left; font-weight: bold; }
      .notes { font-size: 13px; color: #555; margin: 6px 0 16px; padding-left: 18px; }
      .grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
      figure { margin: 0; background: #fff; border: 1px solid #dde0e4; border-radius: 6px; padding: 8px 8px 10px; }
      figure svg { width: 100%; height: auto; display: block; }
      figcaption { font-size: 13px; color: #444; padding: 4px 6px 0; line-height: 1.35; }
      footer { font-size: 12px; color: #777; margin-top: 18px; }
      </style>
      </head>
      <body>
      <main>

      """
    h += "<h1>\(esc(r.title))</h1>\n<div class=\"settings\">"
    for (key, value) in r.settings {
      h += "<span><b>\(esc(key))</b> \(esc(value))</span>"
    }
    h += "</div>\n"
    h +=
      "<table class=\"summary\">\n<tr><th>optimizer</th><th>steps</th><th>final train loss</th><th>test accuracy</th>"
    h += "<th>HVPs</th><th>seconds</th><th>ended</th></tr>\n"
    for run in r.runs {
      h +=
        "<tr><td>\(esc(run.optimizer))</td><td>\(run.stepsTaken)</td><td>\(esc(number(run.finalTrainLoss, digits: 4)))</td>"
      h += "<td>\(esc(percent(run.testAccuracy)))</td><td>\(run.hessianVectorProducts)</td>"
      h += "<td>\(esc(number(run.seconds, digits: 3)))</td><td>\(esc(run.ending))</td></tr>\n"
    }
    h += "</table>\n"
    if !r.notes.isEmpty {
      h += "<ul class=\"notes\">\n"
      for note in r.notes { h += "<li>\(esc(note))</li>\n" }
      h += "</ul>\n"
    }
    h += "<div class=\"grid\">\n"
    for plot in plots(r) {
      var caption = captions[plot.id] ?? ""
      if plot.id == "outliers", let gaps = outlierGaps(r) { caption += " " + gaps }
      if plot.id == "density", !r.densityNote.isEmpty { caption += " Measured \(r.densityNote)." }
      h += "<figure>\n\(plot.render())\n<figcaption>\(esc(caption))</figcaption>\n</figure>\n"
    }
    h += "</div>\n"
    h += "<footer>Raw data: "
    h += dataFiles.map { "<a href=\"\($0)\">\($0)</a>" }.joined(separator: ", ")
    h += ". This page is self-contained (inline SVG, no scripts).</footer>\n"
    h += "</main>\n</body>\n</html>\n"
    return h
  }

  /// "Measured gap: λ₉/λ₁₀ = 1.52 at step 200; …" — the larger of the gaps after j = C − 1 and
  /// j = C for the first and the last spectrum, or nil without a spectrum long enough.
  static func outlierGaps(_ r: CurvatureReport) -> String? {
    let c = r.classCount
    var parts: [String] = []
    let shown = r.spectra.count > 2 ? [r.spectra.first!, r.spectra.last!] : r.spectra
    for s in shown where s.eigenvalues.count > c && c >= 2 {
      let v = s.eigenvalues
      let (j, ratio) =
        v[c - 2] / v[c - 1] >= v[c - 1] / v[c] ? (c - 1, v[c - 2] / v[c - 1]) : (c, v[c - 1] / v[c])
      guard ratio.isFinite else { continue }
      parts.append(
        "λ" + subscriptDigits(j) + "/λ" + subscriptDigits(j + 1) + " = " + AxisScale.trim(ratio, 2)
          + " at step \(s.step)")
    }
    return parts.isEmpty ? nil : "Measured gap: " + parts.joined(separator: "; ") + "."
  }

  // MARK: JSON and CSV

  static func json(_ r: CurvatureReport) -> JSONValue {
    func nums(_ v: [Double]) -> JSONValue { .array(v.map(num)) }
    var runs: [JSONValue] = []
    for run in r.runs {
      runs.append([
        "optimizer": .string(run.optimizer), "learning_rate": num(run.learningRate),
        "steps_taken": .int(run.stepsTaken),
        "final_train_loss": num(run.finalTrainLoss), "test_accuracy": num(run.testAccuracy),
        "hvps": .int(run.hessianVectorProducts), "seconds": num(run.seconds),
        "ended": .string(run.ending),
        "steps": .ints(run.steps), "losses": nums(run.losses),
        "sharpness_steps": .ints(run.sharpnessSteps), "sharpness": nums(run.sharpness),
        "sharpness_lower": nums(run.sharpnessLower), "sharpness_upper": nums(run.sharpnessUpper),
        "alignment_steps": .ints(run.alignmentSteps), "alignment": nums(run.alignment),
      ])
    }
    let refreshes: [JSONValue] = r.refreshes.map { x in
      [
        "step": .int(x.step), "eigenvalues": nums(x.eigenvalues),
        "overlap": x.overlap.map(num) ?? .null,
        "hvps": .int(x.hessianVectorProducts), "max_residual": num(x.residualMax),
      ]
    }
    let curves: [JSONValue] = r.stabilization.map { c in
      [
        "step": .int(c.step), "k": .ints(c.k), "delta": nums(c.delta),
        "stderr": nums(c.standardError),
        "slope": num(c.slope), "intercept": num(c.intercept),
      ]
    }
    return [
      "title": .string(r.title),
      "settings": .object(r.settings.map { ($0.0, JSONValue.string($0.1)) }),
      "k": .int(r.k), "parameters": .int(r.parameterCount), "classes": .int(r.classCount),
      "chance_level": num(r.chanceLevel), "reference_run": .string(r.referenceRun),
      "runs": .array(runs), "refreshes": .array(refreshes),
      "spectra": .array(
        r.spectra.map { ["step": .int($0.step), "eigenvalues": nums($0.eigenvalues)] }),
      "density": ["grid": nums(r.densityGrid), "density": nums(r.density)],
      "stabilization": [
        "D": .int(r.stabilizationD), "sigma": num(r.stabilizationSigma),
        "epsilon": r.stabilizationEpsilon.map(num) ?? .null, "curves": .array(curves),
      ],
      "notes": .strings(r.notes),
    ]
  }

  static func csvFiles(_ r: CurvatureReport) -> [(String, String)] {
    var summary =
      "optimizer,learning_rate,steps,final_train_loss,test_accuracy,hvps,seconds,ended\n"
    var losses = "optimizer,step,loss\n"
    var sharpness = "optimizer,step,lambda1,two_over_eta\n"
    var alignment = "optimizer,step,f_top,chance_level\n"
    for run in r.runs {
      let name = csvField(run.optimizer)
      summary +=
        "\(name),\(cell(run.learningRate)),\(run.stepsTaken),\(cell(run.finalTrainLoss)),\(cell(run.testAccuracy)),"
        + "\(run.hessianVectorProducts),\(cell(run.seconds)),\(csvField(run.ending))\n"
      for (s, l) in zip(run.steps, run.losses) { losses += "\(name),\(s),\(cell(l))\n" }
      for (s, l) in zip(run.sharpnessSteps, run.sharpness) {
        sharpness += "\(name),\(s),\(cell(l)),\(cell(2 / run.learningRate))\n"
      }
      for (s, a) in zip(run.alignmentSteps, run.alignment) {
        alignment += "\(name),\(s),\(cell(a)),\(cell(r.chanceLevel))\n"
      }
    }
    var refreshes = "step,j,eigenvalue,overlap_with_previous,hvps,max_residual\n"
    for x in r.refreshes {
      for (j, v) in x.eigenvalues.enumerated() {
        refreshes +=
          "\(x.step),\(j + 1),\(cell(v)),\(x.overlap.map(cell) ?? ""),\(x.hessianVectorProducts),\(cell(x.residualMax))\n"
      }
    }
    var spectrum = "step,j,eigenvalue\n"
    for s in r.spectra {
      for (j, v) in s.eigenvalues.enumerated() { spectrum += "\(s.step),\(j + 1),\(cell(v))\n" }
    }
    var density = "lambda,density\n"
    for (x, d) in zip(r.densityGrid, r.density) { density += "\(cell(x)),\(cell(d))\n" }
    var stabilization = "step,k,delta,stderr,slope,intercept\n"
    for c in r.stabilization {
      for i in 0..<min(c.k.count, c.delta.count) {
        let se = i < c.standardError.count ? cell(c.standardError[i]) : ""
        stabilization +=
          "\(c.step),\(c.k[i]),\(cell(c.delta[i])),\(se),\(cell(c.slope)),\(cell(c.intercept))\n"
      }
    }
    return [
      ("summary.csv", summary), ("losses.csv", losses), ("sharpness.csv", sharpness),
      ("alignment.csv", alignment), ("refreshes.csv", refreshes), ("spectrum.csv", spectrum),
      ("density.csv", density), ("stabilization.csv", stabilization),
    ]
  }

  // MARK: Formatting helpers

  /// A JSON number, or null when not finite.
  static func num(_ x: Double) -> JSONValue { x.isFinite ? .number(x) : .null }

  /// A CSV number (shortest round-trip), or an empty field when not finite.
  static func cell(_ x: Double) -> String { x.isFinite ? JSONValue.format(x) : "" }

  static func csvField(_ s: String) -> String {
    if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) {
      return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
  }

  /// `digits` significant digits, "—" when not finite.
  static func number(_ x: Double, digits: Int) -> String {
    guard x.isFinite else { return "—" }
    if x == 0 { return "0" }
    let magnitude = abs(x)
    if magnitude >= 1e5 || magnitude < 1e-3 {
      return String(format: "%.\(max(0, digits - 1))e", x)
    }
    let decimals = max(0, digits - 1 - Int(floor(log10(magnitude))))
    return String(format: "%.\(decimals)f", x)
  }

  /// Compact: up to 3 significant digits, trailing zeros removed (0.001, 1e-06, 20).
  static func short(_ x: Double) -> String {
    guard x.isFinite else { return "—" }
    if x != 0 && (abs(x) >= 1e5 || abs(x) < 1e-3) {
      let exponent = Int(floor(log10(abs(x))))
      let mantissa = AxisScale.trim(x / pow(10, Double(exponent)), 2)
      return (mantissa == "1" ? "" : mantissa + "×") + "10" + AxisScale.superscript(exponent)
    }
    return AxisScale.trim(x, max(0, 2 - Int(floor(log10(max(abs(x), 1e-300))))))
  }

  static func percent(_ x: Double) -> String {
    x.isFinite ? String(format: "%.1f %%", 100 * x) : "—"
  }

  static func gray(_ level: Double) -> String {
    let v = Int((max(0, min(1, level)) * 255).rounded())
    let hex = String(v, radix: 16)
    let two = hex.count == 1 ? "0" + hex : hex
    return "#" + two + two + two
  }

  static func subscriptDigits(_ n: Int) -> String {
    let digits: [Character] = ["₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"]
    return String(String(n).map { digits[Int(String($0))!] })
  }
}
