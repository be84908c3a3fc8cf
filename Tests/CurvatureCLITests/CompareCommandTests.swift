import Curvature
import Foundation
import Testing

@testable import CurvatureCLI

@Suite struct CompareCommandTests {
  @Test func runsEveryOptimizerFromTheSameStart() throws {
    let r = runCurvature([
      "compare", "--model", "mlp:64,8,10:relu", "--steps", "10", "--refresh-every", "5", "--k", "4",
      "--hessian-batch", "64", "--batch-size", "16", "--optimizers",
      "sgd,dom-sgd,bulk-sgd,interpolated:1:1,adam", "--json", "--quiet",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let runs = try #require(o["runs"] as? [[String: Any]])
    #expect(
      runs.map { $0["optimizer"] as? String } == [
        "sgd", "dom-sgd", "bulk-sgd", "interpolated:1:1", "adam",
      ])
    for run in runs {
      #expect(
        Set(run.keys).isSuperset(of: ["optimizer", "final_loss", "losses", "hvps", "seconds"]))
    }
    let losses = runs.map { $0["losses"] as? [Double] ?? [] }
    // Same initial parameters and minibatch order: identical first losses.
    #expect(Set(losses.map { $0.first ?? -1 }).count == 1)
    // interpolated:1:1 is exactly SGD.
    #expect(
      losses[3] == losses[0] && runs[3]["final_loss"] as? Double == runs[0]["final_loss"] as? Double
    )
    #expect(runs[0]["hvps"] as? Int == 0 && (runs[2]["hvps"] as? Int ?? 0) > 0)
  }

  @Test func runsAreThoseOfTrain() throws {
    let common = [
      "--model", "mlp:64,8,10", "--steps", "8", "--refresh-every", "4", "--k", "3",
      "--hessian-batch", "64", "--batch-size", "16", "--json", "--quiet",
    ]
    let compared = runCurvature(["compare", "--optimizers", "sgd,bulk-sgd"] + common)
    let o = try #require(
      JSONSerialization.jsonObject(with: Data(compared.stdout.utf8)) as? [String: Any])
    let runs = try #require(o["runs"] as? [[String: Any]])
    for (i, name) in ["sgd", "bulk-sgd"].enumerated() {
      let trained = runCurvature(["train", "--optimizer", name] + common)
      let t = try #require(
        JSONSerialization.jsonObject(with: Data(trained.stdout.utf8)) as? [String: Any])
      #expect(runs[i]["losses"] as? [Double] == t["losses"] as? [Double])
      #expect(runs[i]["final_loss"] as? Double == t["final_loss"] as? Double)
      #expect(runs[i]["hvps"] as? Int == t["hvps"] as? Int)
      #expect(runs[i]["diverged_at_step"] == nil)
    }
  }

  /// --save PREFIX writes PREFIX.NAME.* per run (names made file-safe); the same final
  /// parameters as `train --save`; two runs with the same file name are refused before training.
  @Test func saveWritesEveryRun() throws {
    let dir =
      NSTemporaryDirectory() + "curvature-compare-\(ProcessInfo.processInfo.processIdentifier)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let common = [
      "--model", "mlp:64,8,10:relu", "--steps", "6", "--refresh-every", "3", "--k", "3",
      "--hessian-batch", "64", "--batch-size", "16", "--quiet",
    ]
    let r = runCurvature(
      ["compare"] + common + [
        "--optimizers", "sgd,bulk-sgd,interpolated:0.5:1", "--save", dir + "/c",
      ])
    #expect(r.status == 0, "\(r.stderr)")
    let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
    #expect(
      files == [
        "c.sgd.parameters.npy", "c.bulk-sgd.parameters.npy", "c.bulk-sgd.basis.npy",
        "c.bulk-sgd.eigenvalues.npy", "c.interpolated_0.5_1.parameters.npy",
        "c.interpolated_0.5_1.basis.npy", "c.interpolated_0.5_1.eigenvalues.npy",
      ])
    let t = runCurvature(["train"] + common + ["--optimizer", "bulk-sgd", "--save", dir + "/t"])
    #expect(t.status == 0, "\(t.stderr)")
    #expect(
      try NpyFile.read(path: dir + "/t.parameters.npy").floats()
        == (try NpyFile.read(path: dir + "/c.bulk-sgd.parameters.npy").floats()))
    let twice = runCurvature(
      ["compare"] + common + ["--optimizers", "sgd,bulk-sgd,sgd", "--save", dir + "/d"])
    #expect(twice.status != 0 && twice.stderr.contains("--save"), "\(twice.stderr)")
  }

  @Test func humanTableAndBadList() {
    let ok = runCurvature([
      "compare", "--model", "mlp:64,4,10", "--steps", "3", "--optimizers", "sgd,momentum",
      "--quiet",
    ])
    #expect(ok.status == 0 && ok.stdout.contains("momentum") && ok.stdout.contains("final loss"))
    let bad = runCurvature(["compare", "--optimizers", "sgd,nope"])
    #expect(bad.status == 2 && bad.stderr.contains("nope"))
  }
}
