import Curvature
import Foundation
import Testing

@testable import CurvatureCLI

/// Runs `curvature ARGS` capturing stdout and stderr.
func runCurvature(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
  final class Box: @unchecked Sendable {
    var out = ""
    var err = ""
  }
  let box = Box()
  let status = CurvatureCommand.run(
    arguments, standardOutput: { box.out += $0 }, standardError: { box.err += $0 })
  return (status, box.out, box.err)
}

@Suite struct TrainCommandTests {
  let small = [
    "--model", "mlp:64,8,10:relu", "--steps", "12", "--refresh-every", "5", "--k", "4",
    "--hessian-batch", "64", "--batch-size", "16", "--seed", "2",
  ]

  @Test func trainsBulkSGDAndReportsJSON() throws {
    let r = runCurvature(
      ["train"] + small + ["--optimizer", "bulk-sgd", "--error-bars", "--json", "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try #require(
      JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(o["optimizer"] as? String == "bulk-sgd")
    let losses = try #require(o["losses"] as? [Double])
    #expect(losses.count == 12 && losses.allSatisfy { $0.isFinite && $0 > 0 })
    // 12 steps, refreshing at steps 0, 5, 10.
    #expect(o["refreshes"] as? Int == 3)
    #expect((o["hvps"] as? Int ?? 0) > 0)
    #expect((o["eigenvalues"] as? [Double])?.count == 4)
    let final = try #require(o["final_loss"] as? Double)
    #expect(final.isFinite && final < losses[0] + 1)
    // Error bars for the tracked eigenvalues (Hessian batch 64 of the training part).
    let eigenvalues = try #require(o["eigenvalues"] as? [Double])
    let intervals = try #require(o["eigenvalue_intervals"] as? [[Double]])
    let errors = try #require(o["sampling_std_error"] as? [Double])
    #expect(intervals.count == 4 && errors.count == 4)
    for j in 0..<4 {
      #expect(intervals[j][0] <= eigenvalues[j] && eigenvalues[j] <= intervals[j][1])
      #expect(errors[j] > 0)
    }
    let reports = try #require(o["refresh_reports"] as? [[String: Any]])
    #expect(reports.map { $0["step"] as? Int } == [0, 5, 10])
    #expect(reports.allSatisfy { ($0["error_bar_hvps"] as? Int) == 16 * 4 })
    // Without --error-bars (the default) none are computed: no extra HVPs.
    let plain = runCurvature(["train"] + small + ["--optimizer", "bulk-sgd", "--json", "--quiet"])
    let p = try #require(
      JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
    #expect(p["eigenvalue_intervals"] == nil)
    #expect((p["hvps"] as? Int ?? 0) == (o["hvps"] as? Int ?? -1))
    let bad = runCurvature(["train"] + small + ["--confidence", "1"])
    #expect(bad.status == 2 && bad.stderr.split(separator: "\n").count == 1)
  }

  /// Warm refreshes by subspace iteration cost exactly k HVPs each; an unknown method is a
  /// usage error.
  @Test func refreshMethodSelectsTheWarmRefresh() throws {
    func hvps(_ method: String) throws -> Int {
      let r = runCurvature(
        ["train"] + small + [
          "--optimizer", "bulk-sgd", "--refresh-method", method, "--json", "--quiet",
        ])
      #expect(r.status == 0, "\(r.stderr)")
      let o = try #require(
        JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
      return try #require(o["hvps"] as? Int)
    }
    let lanczos = try hvps("lanczos")
    let subspace = try hvps("subspace-iteration")
    let blockRitz = try hvps("block-ritz")
    // Refreshes at steps 0 (Lanczos in every case), 5 and 10.
    #expect(lanczos - subspace > 0)
    #expect(blockRitz - subspace == 2 * 4)
    let bad = runCurvature(["train"] + small + ["--refresh-method", "power"])
    #expect(bad.status == 2 && bad.stderr.contains("--refresh-method"))
  }

  /// An adaptive interval that always doubles refreshes at steps 0, 1, 3 and 7 (then every
  /// --refresh-every = 5 steps, next at 12); a target outside (0, 1] is a usage error.
  @Test func refreshOverlapAdaptsTheInterval() throws {
    let r = runCurvature(
      ["train"] + small + [
        "--optimizer", "bulk-sgd", "--refresh-overlap", "1e-9", "--json", "--quiet",
      ])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try #require(
      JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(o["refreshes"] as? Int == 4)
    for bad in ["0", "1.5", "nan"] {
      let e = runCurvature(["train"] + small + ["--refresh-overlap", bad])
      #expect(e.status == 2 && e.stderr.contains("--refresh-overlap"), "\(bad): \(e.stderr)")
    }
  }

  @Test func plainSGDSpendsNoHVPsAndWritesACheckpoint() throws {
    let path =
      NSTemporaryDirectory() + "curvature-train-\(ProcessInfo.processInfo.processIdentifier).ckpt"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = runCurvature(["train"] + small + ["--checkpoint", path, "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("HVPs        0"))
    let c = try Checkpoint.read(from: path)
    #expect(c.step == 12 && c.optimizer.kind == "SGD" && c.tracker == nil)
    #expect(c.parameters.count == 64 * 8 + 8 + 8 * 10 + 10)
  }

  /// --save writes the parameters, the basis (P × k, orthonormal columns) and the eigenvalues
  /// as .npy; the parameters equal a checkpoint's; an unwritable prefix fails before training.
  @Test func saveWritesParametersBasisAndEigenvalues() throws {
    let dir = NSTemporaryDirectory() + "curvature-save-\(ProcessInfo.processInfo.processIdentifier)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = runCurvature(
      ["train"] + small + [
        "--optimizer", "bulk-sgd", "--save", dir + "/run", "--checkpoint", dir + "/run.ckpt",
        "--json", "--quiet",
      ])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try #require(
      JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let p = 64 * 8 + 8 + 8 * 10 + 10
    let w = try NpyFile.read(path: dir + "/run.parameters.npy")
    #expect(w.shape == [p])
    #expect(try w.floats() == (try Checkpoint.read(from: dir + "/run.ckpt")).parameters)
    let u = try NpyFile.read(path: dir + "/run.basis.npy")
    #expect(u.shape == [p, 4])
    let columns = try u.floats()  // row-major P × k
    for i in 0..<4 {
      for j in 0...i {
        var d = 0.0
        for l in 0..<p { d += Double(columns[l * 4 + i]) * Double(columns[l * 4 + j]) }
        #expect(abs(d - (i == j ? 1 : 0)) < 1e-4)
      }
    }
    let lambda = try NpyFile.read(path: dir + "/run.eigenvalues.npy").doubles()
    let reported = try #require(o["eigenvalues"] as? [Double])
    #expect(lambda.count == 4)
    #expect(zip(lambda, reported).allSatisfy { abs($0 - $1) <= 1e-12 * abs($1) })
    #expect(zip(lambda, lambda.dropFirst()).allSatisfy { $0 >= $1 })
    // Plain SGD: parameters only.
    let sgd = runCurvature(["train"] + small + ["--save", dir + "/sgd", "--quiet"])
    #expect(sgd.status == 0, "\(sgd.stderr)")
    #expect(FileManager.default.fileExists(atPath: dir + "/sgd.parameters.npy"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/sgd.basis.npy"))
    // Unwritable targets fail before training (no progress, no files).
    try FileManager.default.createDirectory(
      atPath: dir + "/taken.parameters.npy", withIntermediateDirectories: true)
    for bad in [dir + "/missing/run", dir + "/taken", dir + "/"] {
      let e = runCurvature(
        ["train"] + replacing(small, "--steps", "100000") + [
          "--optimizer", "bulk-sgd", "--save", bad,
        ])
      #expect(
        e.status != 0 && e.stderr.contains(bad.hasSuffix("/") ? "--save" : bad), "\(e.stderr)")
    }
  }

  /// A minibatch Hessian batch with averaging trains, and bad values are usage errors.
  @Test func minibatchHessianWithAveraging() throws {
    let r = runCurvature(
      ["train"] + replacing(small, "--hessian-batch", "minibatch") + [
        "--optimizer", "bulk-sgd", "--refresh-method",
        "subspace-iteration", "--refresh-averaging", "0.5", "--json", "--quiet",
      ])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try #require(
      JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(o["refreshes"] as? Int == 3)
    for (flag, bad) in [
      ("--hessian-batch", "0"), ("--hessian-batch", "some"), ("--refresh-averaging", "1"),
      ("--basis-precision", "quarter"),
    ] {
      let e = runCurvature(["train"] + replacing(small, flag, bad))
      #expect(e.status == 2 && e.stderr.contains(flag), "\(flag) \(bad): \(e.stderr)")
    }
  }

  /// Without tracking flags `train` uses the library's recommended settings: the run is
  /// bit-identical to one with them spelled out, and differs from the former defaults
  /// (Lanczos on a fixed 64-sample batch).
  @Test func trackingDefaultsAreTheRecommendedSettings() throws {
    let base = [
      "--model", "mlp:64,8,10:relu", "--steps", "12", "--refresh-every", "5", "--k", "4",
      "--batch-size", "16", "--seed", "2", "--optimizer", "bulk-sgd", "--json", "--quiet",
    ]
    func run(_ extra: [String]) throws -> [String: Any] {
      let r = runCurvature(["train"] + base + extra)
      #expect(r.status == 0, "\(r.stderr)")
      return try #require(
        JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }
    let defaults = try run([])
    let spelled = try run([
      "--hessian-batch", "minibatch", "--refresh-method", "subspace-iteration",
      "--refresh-averaging", "0.5", "--basis-precision", "int8", "--refresh-tolerance", "0.1",
      "--curvature", "gauss-newton",
    ])
    // The first (cold Lanczos) refresh stops at 0.1 on the minibatch Hessian: solving it to
    // 10⁻³ costs more products and gives other eigenvalues.
    let tight = try run(["--refresh-tolerance", "0.001"])
    let hvps = try #require(defaults["hvps"] as? Int)
    #expect(hvps < (try #require(tight["hvps"] as? Int)))
    // The Float basis changes the projected steps by rounding only.
    let single = try run(["--basis-precision", "single"])
    let singleLosses = try #require(single["losses"] as? [Double])
    let former = try run([
      "--hessian-batch", "64", "--refresh-method", "lanczos", "--refresh-averaging", "0",
    ])
    let losses = try #require(defaults["losses"] as? [Double])
    #expect(losses == spelled["losses"] as? [Double])
    #expect(defaults["eigenvalues"] as? [Double] == spelled["eigenvalues"] as? [Double])
    #expect(defaults["hvps"] as? Int == spelled["hvps"] as? Int)
    #expect(defaults["eigenvalues"] as? [Double] != former["eigenvalues"] as? [Double])
    #expect(singleLosses != losses)
    for (a, b) in zip(singleLosses, losses) { #expect(abs(a - b) <= 1e-3 * abs(b)) }
    // So does the binary16 copy.
    let halfLosses = try #require(try run(["--basis-precision", "half"])["losses"] as? [Double])
    #expect(halfLosses != losses)
    for (a, b) in zip(halfLosses, losses) { #expect(abs(a - b) <= 1e-3 * abs(b)) }
    // The refreshes follow the Gauss–Newton matrix, and say so; the Hessian gives other
    // eigenvalues.
    #expect(defaults["curvature"] as? String == "gauss-newton")
    let hessian = try run(["--curvature", "hessian"])
    #expect(hessian["curvature"] as? String == "hessian")
    let gEigen = try #require(defaults["eigenvalues"] as? [Double])
    let hEigen = try #require(hessian["eigenvalues"] as? [Double])
    #expect(gEigen != hEigen && gEigen.count == hEigen.count)
    let bad = runCurvature(["train"] + small + ["--curvature", "fisher"])
    #expect(bad.status == 2 && bad.stderr.contains("--curvature"), "\(bad.stderr)")
    let help = runCurvature(["train", "--help"]).stdout
    #expect(help.contains("minibatch") && help.contains("subspace-iteration"))
    #expect(help.contains("--basis-precision") && help.contains("half") && help.contains("int8"))
    #expect(help.contains("--refresh-tolerance"))
    for bad in ["0", "0.6", "nan", "x"] {
      let e = runCurvature(["train"] + small + ["--refresh-tolerance", bad])
      #expect(e.status == 2 && e.stderr.contains("--refresh-tolerance"), "\(bad): \(e.stderr)")
    }
  }

  /// `arguments` with the value of `flag` replaced (or the flag appended).
  private func replacing(_ arguments: [String], _ flag: String, _ value: String) -> [String] {
    var a = arguments
    if let i = a.firstIndex(of: flag) { a[i + 1] = value } else { a += [flag, value] }
    return a
  }

  @Test func rejectsBadOptimizerNames() {
    for bad in ["sgdd", "interpolated:1", "interpolated:-1:1", "bulk-foo", "interpolated:1:nan"] {
      let r = runCurvature(["train"] + small + ["--optimizer", bad])
      #expect(r.status == 2, "\(bad)")
      #expect(r.stderr.contains("--optimizer"))
    }
    let r = runCurvature([
      "train", "--model", "mlp:64,8,10", "--k", "100000", "--optimizer", "bulk-sgd",
    ])
    #expect(r.status == 2)
  }
}
