import Curvature
import CurvatureModels
import Foundation
import Testing

@testable import CurvatureCLI

@Suite struct SpectrumCommandTests {
  static let dir: String = {
    let d = NSTemporaryDirectory() + "curvature-spectrum-cli-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }()

  func write(_ name: String, shape: [Int], _ values: [Double]) throws -> String {
    let path = "\(Self.dir)/\(name).npy"
    try NpyFile.write(NpyArray(shape: shape, elements: .float64(values)), to: path)
    return path
  }

  /// diag(1..n) rotated by one Householder reflection.
  func matrix(_ n: Int) -> [Double] {
    var h = (0..<n).map { Double($0 % 5) - 2 + 0.1 }
    let nh = (h.reduce(0) { $0 + $1 * $1 }).squareRoot()
    h = h.map { $0 / nh }
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n {
        var s = 0.0
        for l in 0..<n {
          let qil = (i == l ? 1 : 0) - 2 * h[i] * h[l]
          let qjl = (j == l ? 1 : 0) - 2 * h[j] * h[l]
          s += qil * Double(l + 1) * qjl
        }
        a[i * n + j] = s
      }
    }
    for i in 0..<n { for j in 0..<i { a[j * n + i] = a[i * n + j] } }
    return a
  }

  /// --method sketch: with a sketch as large as the matrix the eigenvalues are exact; with a
  /// smaller sketch every error stays within the reported bound; bad settings are usage errors.
  @Test func sketchMethodReportsEigenvaluesWithinItsBound() throws {
    let n = 40
    let path = try write("sketch", shape: [n, n], matrix(n))
    func run(_ extra: [String]) throws -> [String: Any] {
      let r = runCurvature(
        ["spectrum", "--matrix", path, "--k", "5", "--method", "sketch", "--json"] + extra)
      #expect(r.status == 0, "\(r.stderr)")
      return try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }
    let full = try run(["--sketch-size", "\(n)"])
    let exact = try #require(full["eigenvalues"] as? [Double])
    for i in 0..<5 { #expect(abs(exact[i] - Double(n - i)) <= 1e-3 * Double(n)) }
    let small = try run(["--sketch-size", "12"])
    let values = try #require(small["eigenvalues"] as? [Double])
    let bound = try #require(small["error_bound"] as? Double)
    #expect(small["matvecs"] as? Int == 12 + 10 + 12)  // two passes (rayleigh-ritz)
    #expect(bound > 0)
    for i in 0..<5 { #expect(abs(values[i] - Double(n - i)) <= bound * (1 + 1e-6)) }
    let onePass = try run(["--sketch-size", "12", "--sketch-method", "symmetric"])
    let onePassValues = try #require(onePass["eigenvalues"] as? [Double])
    let onePassBound = try #require(onePass["error_bound"] as? Double)
    #expect(onePass["matvecs"] as? Int == 12 + 10)
    for i in 0..<5 { #expect(abs(onePassValues[i] - Double(n - i)) <= onePassBound * (1 + 1e-6)) }
    for bad in [
      ["--sketch-size", "3"], ["--sketch-size", "41"], ["--which", "smallest"],
      ["--sketch-method", "nystrom"],
    ] {
      let e = runCurvature(["spectrum", "--matrix", path, "--k", "5", "--method", "sketch"] + bad)
      #expect(e.status == 2, "\(bad): \(e.stderr)")
    }
    let lanczosWithSize = runCurvature(
      ["spectrum", "--matrix", path, "--k", "5", "--sketch-size", "12"])
    #expect(lanczosWithSize.status == 2 && lanczosWithSize.stderr.contains("--method sketch"))
    // Out-of-core storage: the same numbers, nothing left behind; a bad directory is a usage
    // error before any work.
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("curvature-cli-sketch-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let mapped = try run(["--sketch-size", "12", "--sketch-directory", directory])
    #expect(mapped["eigenvalues"] as? [Double] == values)
    #expect(mapped["error_bound"] as? Double == bound)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    let missing = runCurvature(
      [
        "spectrum", "--matrix", path, "--k", "5", "--method", "sketch", "--sketch-directory",
        directory + "/absent",
      ])
    #expect(missing.status == 2 && missing.stderr.contains("not a writable directory"))
    let lanczosWithDirectory = runCurvature(
      ["spectrum", "--matrix", path, "--k", "5", "--sketch-directory", directory])
    #expect(lanczosWithDirectory.status == 2)
  }

  @Test func matrixJSON() throws {
    let n = 30
    let path = try write("m", shape: [n, n], matrix(n))
    let r = CommandTests.run([
      "spectrum", "--matrix", path, "--k", "3", "--tolerance", "1e-6", "--json",
    ])
    #expect(r.status == 0)
    let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    let values = obj["eigenvalues"] as! [Double]
    #expect(values.count == 3)
    for (v, x) in zip(values, [30.0, 29, 28]) { #expect(abs(v - x) <= 1e-5 * x) }
    #expect((obj["converged"] as! [Bool]) == [true, true, true])
    #expect((obj["residuals"] as! [Double]).count == 3)
    #expect((obj["matvecs"] as! Int) > 0)
    let small = CommandTests.run([
      "spectrum", "--matrix", path, "--k", "2", "--which", "smallest", "--json",
    ])
    let s = try JSONSerialization.jsonObject(with: Data(small.stdout.utf8)) as! [String: Any]
    let sv = s["eigenvalues"] as! [Double]
    #expect(abs(sv[0] - 1) < 1e-4 && abs(sv[1] - 2) < 1e-4)
  }

  @Test func badMatricesExitWithStatus2() throws {
    let n = 6
    var nonsym = matrix(n)
    nonsym[1] += 0.01
    var nan = matrix(n)
    nan[7] = .nan
    let cases: [[String]] = [
      ["--matrix", try write("rect", shape: [2, 3], [1, 2, 3, 4, 5, 6]), "--k", "1"],
      ["--matrix", try write("nonsym", shape: [n, n], nonsym), "--k", "1"],
      ["--matrix", try write("nan", shape: [n, n], nan), "--k", "1"],
      ["--matrix", "\(Self.dir)/missing.npy", "--k", "1"],
      ["--matrix", try write("ok", shape: [n, n], matrix(n)), "--k", "6"],
      ["--k", "2"],
    ]
    let garbage = "\(Self.dir)/garbage.npy"
    try Data("not a numpy file".utf8).write(to: URL(fileURLWithPath: garbage))
    for args in cases + [["--matrix", garbage, "--k", "1"]] {
      let r = CommandTests.run(["spectrum"] + args)
      #expect(r.status == 2, "\(args)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
      #expect(r.stdout.isEmpty)
    }
  }

  @Test func modelHessian() throws {
    let data = try ClassificationData.gaussianMixture(
      classes: 3, dimension: 4, samplesPerClass: 10, separation: 2, seed: 1)
    let x = "\(Self.dir)/X.npy"
    let y = "\(Self.dir)/y.npy"
    try data.save(inputs: x, labels: y)
    let model = try MLP(layerSizes: [4, 5, 3], activation: .tanh, data: data)
    let w = model.initialParameters(seed: 2)
    let wPath = "\(Self.dir)/w.npy"
    try NpyFile.write(vector: w, to: wPath)
    let r = CommandTests.run([
      "spectrum", "--model", "mlp:4,5,3:tanh", "--inputs", x, "--labels", y,
      "--parameters", wPath, "--k", "2", "--tolerance", "1e-5", "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    let values = obj["eigenvalues"] as! [Double]
    // Against the dense Hessian built column by column from exact HVPs.
    let p = model.parameterCount
    var h = [Double](repeating: 0, count: p * p)
    for j in 0..<p {
      var e = [Float](repeating: 0, count: p)
      e[j] = 1
      let col = try model.hessianVectorProduct(at: w, samples: .range(0..<data.count), direction: e)
      for i in 0..<p { h[i * p + j] = Double(col[i]) }
    }
    // `decompose` symmetrises the assembled columns as ½(H + Hᵀ).
    let dense = try SymmetricEigensolver.decompose(h, order: p)
    for i in 0..<2 { #expect(abs(values[i] - dense.values[i]) <= 1e-4 * abs(dense.values[0])) }
    // Bad model inputs: wrong parameter length, labels out of range, mismatched counts, NaN.
    let short = "\(Self.dir)/short.npy"
    try NpyFile.write(vector: Array(w.dropLast()), to: short)
    let badLabels = try write(
      "badlabels", shape: [data.count], data.labels.map { Double($0 == 0 ? 7 : $0) })
    try NpyFile.write(
      NpyArray(shape: [data.count], elements: .int64(data.labels.map { Int64($0 == 0 ? 7 : $0) })),
      to: badLabels)
    let fewLabels = "\(Self.dir)/few.npy"
    try NpyFile.write(
      NpyArray(shape: [data.count - 1], elements: .int64(data.labels.dropLast().map { Int64($0) })),
      to: fewLabels)
    var nanInputs = data.inputs.map { Double($0) }
    nanInputs[3] = .nan
    let nanX = try write("nanX", shape: [data.count, 4], nanInputs)
    var nanW = w
    nanW[0] = .nan
    let nanWPath = "\(Self.dir)/nanw.npy"
    try NpyFile.write(vector: nanW, to: nanWPath)
    let base = ["spectrum", "--model", "mlp:4,5,3", "--k", "2"]
    for extra in [
      ["--inputs", x, "--labels", y, "--parameters", short],
      ["--inputs", x, "--labels", badLabels, "--parameters", wPath],
      ["--inputs", x, "--labels", fewLabels, "--parameters", wPath],
      ["--inputs", nanX, "--labels", y, "--parameters", wPath],
      ["--inputs", x, "--labels", y, "--parameters", nanWPath],
      ["--inputs", x, "--labels", y],
      ["--inputs", x, "--labels", y, "--parameters", wPath, "--matrix", wPath],
    ] {
      let r = CommandTests.run(base + extra)
      #expect(r.status == 2, "\(extra): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(extra): \(r.stderr)")
    }
    let badSpec = CommandTests.run([
      "spectrum", "--model", "cnn:3", "--inputs", x, "--labels", y, "--parameters", wPath, "--k",
      "1",
    ])
    #expect(badSpec.status == 2)
  }

  /// `--hessian-batch`, `--confidence` and `--target-rel-error`: the JSON's error bars are the
  /// library's (BatchJackknife on the same seeded batch), vanish for the whole data set, and
  /// bad values fail with one line and status 2.
  @Test func errorBarsFromHessianBatch() throws {
    let data = try ClassificationData.gaussianMixture(
      classes: 3, dimension: 4, samplesPerClass: 40, separation: 2, seed: 3)
    let x = "\(Self.dir)/Xb.npy"
    let y = "\(Self.dir)/yb.npy"
    try data.save(inputs: x, labels: y)
    let model = try MLP(layerSizes: [4, 5, 3], activation: .tanh, data: data)
    let w = model.initialParameters(seed: 2)
    let wPath = "\(Self.dir)/wb.npy"
    try NpyFile.write(vector: w, to: wPath)
    let base = [
      "spectrum", "--model", "mlp:4,5,3:tanh", "--inputs", x, "--labels", y, "--parameters", wPath,
      "--k", "2", "--tolerance", "1e-5", "--seed", "4",
    ]
    func json(_ extra: [String]) throws -> [String: Any] {
      let r = CommandTests.run(base + extra + ["--json"])
      #expect(r.status == 0, "\(extra): \(r.stderr)")
      return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }
    let sub = try json(["--hessian-batch", "40", "--confidence", "0.9"])
    #expect(sub["samples"] as? Int == 40)
    #expect(sub["population"] as? Int == 120)
    let intervals = sub["eigenvalue_intervals"] as! [[Double]]
    let errors = sub["sampling_std_error"] as! [Double]
    #expect(intervals.count == 2 && errors.count == 2)
    // The library on the same batch and Lanczos result.
    let samples = try HessianBatch.subset(count: 40, seed: 4).fixedSamples(sampleCount: 120)!
    let pairs = try Lanczos(configuration: .init(tolerance: 1e-5, seed: 4)).eigenpairs(
      of: ObjectiveHessian(objective: model, at: w, samples: samples), count: 2)
    let u = try BatchJackknife(
      objective: model, at: w, samples: samples,
      configuration: .init(confidence: 0.9, seed: 4)
    ).eigenvalues(of: pairs)
    for j in 0..<2 {
      #expect(errors[j] > 0)
      #expect(abs(errors[j] - u.eigenvalues[j].samplingStandardError) <= 1e-9 * errors[j])
      #expect(abs(intervals[j][0] - u.eigenvalues[j].lower) <= 1e-9 * abs(intervals[j][0]))
      #expect(abs(intervals[j][1] - u.eigenvalues[j].upper) <= 1e-9 * abs(intervals[j][1]))
      #expect(intervals[j][0] < pairs.eigenvalues[j] && pairs.eigenvalues[j] < intervals[j][1])
    }
    let all = try json([])
    #expect(all["samples"] as? Int == 120)
    #expect((all["sampling_std_error"] as! [Double]).allSatisfy { $0 == 0 })
    let values = all["eigenvalues"] as! [Double]
    let residuals = all["residuals"] as! [Double]
    for (j, iv) in (all["eigenvalue_intervals"] as! [[Double]]).enumerated() {
      #expect(abs(iv[0] - (values[j] - residuals[j])) <= 1e-12 * values[j])
      #expect(abs(iv[1] - (values[j] + residuals[j])) <= 1e-12 * values[j])
    }
    let grown = try json(["--hessian-batch", "20", "--target-rel-error", "0.3"])
    let target = grown["target"] as! [String: Any]
    let rounds = target["rounds"] as! [[String: Any]]
    let needed = grown["samples"] as! Int
    #expect(rounds.first?["samples"] as? Int == 20)
    #expect(rounds.last?["samples"] as? Int == needed)
    if target["reached"] as! Bool {
      let iv = (grown["eigenvalue_intervals"] as! [[Double]])[0]
      let lambda = (grown["bias_corrected_eigenvalues"] as! [Double])[0]
      #expect((iv[1] - iv[0]) / 2 <= 0.3 * abs(lambda) * (1 + 1e-12))
      #expect(target["samples_needed"] as? Int == needed)
    } else {
      #expect(needed == 120)
    }
    for extra in [
      ["--hessian-batch", "0"], ["--hessian-batch", "121"], ["--confidence", "0"],
      ["--confidence", "1"], ["--confidence", "1.5"], ["--confidence", "-0.5"],
      ["--target-rel-error", "0"], ["--target-rel-error", "-1"],
    ] {
      let r = CommandTests.run(base + extra)
      #expect(r.status == 2, "\(extra): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(extra): \(r.stderr)")
      #expect(r.stdout.isEmpty, "\(extra)")
    }
    let matrix = try write("m4", shape: [4, 4], matrix(4))
    for extra in [["--hessian-batch", "2"], ["--target-rel-error", "0.1"]] {
      let r = CommandTests.run(["spectrum", "--matrix", matrix, "--k", "1"] + extra)
      #expect(r.status == 2, "\(extra)")
    }
  }
}
