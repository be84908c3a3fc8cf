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
    let r = runCurvature(["train"] + small + ["--optimizer", "bulk-sgd", "--json", "--quiet"])
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
