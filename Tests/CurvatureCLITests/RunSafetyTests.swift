import Curvature
import Foundation
import Testing

@testable import CurvatureCLI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Nothing is lost: bad settings are refused before any work, divergence stops a run before
/// the parameters turn non-finite, runs resume bit-identically, and every JSON output says
/// what produced it.
@Suite struct RunSafetyTests {
  static let small = [
    "--model", "mlp:64,8,10:relu", "--refresh-every", "5", "--k", "4", "--hessian-batch", "64",
    "--batch-size", "16", "--seed", "3",
  ]

  static func folder(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "curvature-run-safety-\(name)-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  static func object(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  // MARK: Up-front validation

  /// Each of these fails in well under a second (no training starts) with status 2 and a message
  /// naming the problem: a 100,000-step run must not train before finding out.
  @Test(arguments: [
    (["train", "--steps", "100000", "--checkpoint", "/nonexistent/dir/ck"], "does not exist"),
    (["train", "--steps", "100000", "--save", "/nonexistent/dir/run"], "does not exist"),
    (["train", "--steps", "100000", "--checkpoint-every", "10"], "--checkpoint"),
    (["train", "--steps", "100000", "--optimizer", "bulk-rmsprop"], "unknown optimizer"),
    (["train", "--steps", "100000", "--optimizer", "bulk-sgd", "--k", "5000"], "--k"),
    (["compare", "--steps", "100000", "--optimizers", "sgd,bulk-sgd", "--k", "5000"], "--k"),
    (["train", "--steps", "100000", "--model", "mlp:63,10"], "63"),
    (["compare", "--steps", "100000", "--optimizers", "sgd,nope"], "unknown optimizer"),
    (["stabilization", "--k-grid", "16,8"], "strictly increasing"),
    (["stabilization", "--k-grid", "8,5000"], "sampleCounts"),
    (["stabilization", "--D", "5000"], "subspaceDimension"),
    (["stabilization", "--parameters", "/nonexistent/w.npy"], "/nonexistent/w.npy"),
    (["spectrum", "--model", "mlp:64,10", "--dataset", "digits", "--k", "3"], "--parameters"),
    (["demo", "--output", "/proc/curvature-report", "--k-grid", "16,32"], "/proc"),
    (["reproduce", "gilmer2022", "--output", "/proc/curvature-reproduce"], "/proc"),
  ])
  func badSettingsAreRefusedBeforeAnyWork(_ arguments: [String], _ expected: String) {
    let clock = ContinuousClock()
    let start = clock.now
    let r = runCurvature(arguments + ["--quiet"])
    let elapsed = clock.now - start
    #expect(r.status == 2, "\(arguments): \(r.stderr)")
    #expect(r.stderr.contains(expected), "\(arguments): \(r.stderr)")
    #expect(r.stdout.isEmpty)
    // No training step ran: the refusal comes long before 100,000 (or 500) steps could.
    #expect(elapsed < .seconds(20), "\(arguments) took \(elapsed)")
  }

  // MARK: Divergence

  @Test func trainStopsOnDivergenceWithStatusOne() throws {
    let dir = try Self.folder("diverge")
    let checkpoint = dir + "/ck"
    let r = runCurvature(
      ["train"] + Self.small + [
        "--learning-rate", "1e30", "--steps", "50", "--checkpoint", checkpoint, "--json",
        "--quiet",
      ])
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stderr.contains("diverged at step"), "\(r.stderr)")
    #expect(r.stderr.contains("loss"))
    let o = try Self.object(r.stdout)
    #expect(o["diverged"] as? Bool == true)
    let step = try #require(o["diverged_at_step"] as? Int)
    #expect(step >= 1 && step < 50)
    #expect(r.stderr.contains("diverged at step \(step)"))
    // Every loss recorded before the divergence is finite; no checkpoint of a broken state.
    let losses = try #require(o["losses"] as? [Double])
    #expect(losses.count == step && losses.allSatisfy { $0.isFinite })
    #expect(!FileManager.default.fileExists(atPath: checkpoint))
    // The settings came along.
    #expect(o["command"] as? String == "train")
  }

  /// A run that blows up through loss growth (η = 30 with momentum: the loss passes 10× its
  /// first value within a few steps) stops with status 1, and the periodic checkpoint holds the
  /// last good state, never a non-finite one.
  @Test func trainDivergenceKeepsTheLastPeriodicCheckpointFinite() throws {
    let dir = try Self.folder("diverge-periodic")
    let checkpoint = dir + "/ck"
    let r = runCurvature(
      ["train"] + Self.small + [
        "--learning-rate", "30", "--optimizer", "momentum", "--steps", "400", "--checkpoint",
        checkpoint, "--checkpoint-every", "1", "--quiet",
      ])
    #expect(r.status == 1, "\(r.stderr)")
    #expect(r.stderr.contains("diverged at step"), "\(r.stderr)")
    let saved = try Checkpoint.read(from: checkpoint)
    #expect(saved.parameters.allSatisfy { $0.isFinite })
    #expect(saved.step >= 1 && saved.step < 400)
  }

  /// SGD at η = 1e30 diverges; interpolated:0:0 (a zero step) cannot: the second run still
  /// runs all its steps, and the first is marked in the JSON, the table and on stderr.
  @Test func compareMarksTheDivergedRunAndGoesOn() throws {
    let base =
      ["compare"] + Self.small + [
        "--learning-rate", "1e30", "--optimizers", "sgd,interpolated:0:0", "--steps", "20",
        "--quiet",
      ]
    let r = runCurvature(base + ["--json"])
    #expect(r.status == 1, "\(r.stderr)")
    let o = try Self.object(r.stdout)
    let runs = try #require(o["runs"] as? [[String: Any]])
    #expect(runs.count == 2)
    let step = try #require(runs[0]["diverged_at_step"] as? Int)
    #expect(step >= 1 && step < 20)
    #expect(r.stderr.contains("sgd diverged at step \(step)"), "\(r.stderr)")
    #expect(runs[1]["diverged_at_step"] == nil)
    #expect((runs[1]["losses"] as? [Double])?.count == 20)
    #expect(o["version"] as? String == CurvatureLibrary.version)
    let table = runCurvature(base)
    #expect(table.status == 1)
    #expect(table.stdout.contains("diverged at step \(step)"), "\(table.stdout)")
  }

  // MARK: Resume

  /// 10 + 7 + 7 steps through two resumes equal 24 uninterrupted steps bit for bit: parameters,
  /// optimizer (Adam moments), tracker (basis, counters), random streams, step count.
  @Test(arguments: ["bulk-adam", "momentum"])
  func resumedTrainingIsBitIdentical(_ optimizer: String) throws {
    let dir = try Self.folder("resume-\(optimizer)")
    let whole = dir + "/whole"
    let part = dir + "/part"
    let base = ["train"] + Self.small + ["--optimizer", optimizer, "--quiet"]
    let a = runCurvature(base + ["--steps", "24", "--checkpoint", whole, "--json"])
    #expect(a.status == 0, "\(a.stderr)")
    let b1 = runCurvature(base + ["--steps", "10", "--checkpoint", part])
    #expect(b1.status == 0, "\(b1.stderr)")
    // Settings not given come from the checkpoint.
    let b2 = runCurvature(
      ["train", "--resume", part, "--steps", "17", "--checkpoint", part, "--quiet"])
    #expect(b2.status == 0, "\(b2.stderr)")
    let b3 = runCurvature(
      ["train", "--resume", part, "--steps", "24", "--checkpoint", part, "--json", "--quiet"])
    #expect(b3.status == 0, "\(b3.stderr)")
    let x = try Checkpoint.read(from: whole)
    let y = try Checkpoint.read(from: part)
    #expect(x.step == 24 && y.step == 24)
    #expect(x.parameters.map(\.bitPattern) == y.parameters.map(\.bitPattern))
    #expect(x.optimizer == y.optimizer)
    #expect(x.tracker == y.tracker)
    #expect(x.generator == y.generator)
    let oa = try Self.object(a.stdout)
    let ob = try Self.object(b3.stdout)
    #expect(oa["final_loss"] as? Double == ob["final_loss"] as? Double)
    let la = try #require(oa["losses"] as? [Double])
    let lb = try #require(ob["losses"] as? [Double])
    #expect(Array(la.suffix(7)) == lb)
    #expect(ob["first_step"] as? Int == 17)
  }

  @Test func resumeRefusesDisagreeingSettingsAndFinishedRuns() throws {
    let dir = try Self.folder("resume-checks")
    let path = dir + "/ck"
    let r = runCurvature(
      ["train"] + Self.small + ["--steps", "6", "--checkpoint", path, "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    let k = runCurvature(["train", "--resume", path, "--steps", "12", "--k", "5", "--quiet"])
    #expect(k.status == 2 && k.stderr.contains("--k"), "\(k.stderr)")
    let done = runCurvature(["train", "--resume", path, "--steps", "6", "--quiet"])
    #expect(done.status == 2 && done.stderr.contains("already at step 6"), "\(done.stderr)")
    let missing = runCurvature(["train", "--resume", dir + "/none", "--quiet"])
    #expect(missing.status == 2 && missing.stderr.contains(dir + "/none"))
    try Data("CURVCKPT garbage".utf8).write(to: URL(fileURLWithPath: dir + "/torn"))
    let torn = runCurvature(["train", "--resume", dir + "/torn", "--quiet"])
    #expect(torn.status == 2 && torn.stderr.contains("malformed"), "\(torn.stderr)")
    // The same settings given explicitly are fine.
    let same = runCurvature(
      ["train", "--resume", path, "--steps", "8", "--k", "4", "--seed", "3", "--quiet"])
    #expect(same.status == 0, "\(same.stderr)")
  }

  /// A checkpoint written before `--curvature` existed (no `flag.curvature` recorded) resumes
  /// on the Hessian it started on: bit for bit the run of `--curvature hessian`.
  @Test func checkpointsWithoutCurvatureResumeOnTheHessian() throws {
    let dir = try Self.folder("resume-curvature")
    let (whole, part) = (dir + "/whole", dir + "/part")
    let base = ["train"] + Self.small + ["--optimizer", "bulk-sgd", "--quiet"]
    let a = runCurvature(base + ["--curvature", "hessian", "--steps", "12", "--checkpoint", whole])
    #expect(a.status == 0, "\(a.stderr)")
    let b = runCurvature(base + ["--curvature", "hessian", "--steps", "6", "--checkpoint", part])
    #expect(b.status == 0, "\(b.stderr)")
    var old = try Checkpoint.read(from: part)
    #expect(old.metadata["flag.curvature"] == "hessian")
    old.metadata["flag.curvature"] = nil
    try old.write(to: part)
    let other = runCurvature(
      ["train", "--resume", part, "--steps", "12", "--curvature", "gauss-newton", "--quiet"])
    #expect(other.status == 2 && other.stderr.contains("--curvature"), "\(other.stderr)")
    let c = runCurvature([
      "train", "--resume", part, "--steps", "12", "--checkpoint", part, "--quiet",
    ])
    #expect(c.status == 0, "\(c.stderr)")
    let x = try Checkpoint.read(from: whole)
    let y = try Checkpoint.read(from: part)
    #expect(x.step == 12 && y.step == 12)
    #expect(x.parameters.map(\.bitPattern) == y.parameters.map(\.bitPattern))
    #expect(x.tracker == y.tracker)
  }

  // MARK: Provenance

  @Test(arguments: [
    ["train", "--steps", "3", "--batch-size", "8"],
    ["compare", "--steps", "3", "--optimizers", "sgd", "--batch-size", "8"],
    ["stabilization", "--k-grid", "8,16", "--train-steps", "0", "--orders", "1"],
    ["selfcheck"],
  ])
  func everyJSONOutputSaysWhatProducedIt(_ arguments: [String]) throws {
    let r = runCurvature(arguments + ["--json", "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try Self.object(r.stdout)
    #expect(o["command"] as? String == arguments[0])
    #expect(o["version"] as? String == CurvatureLibrary.version)
    let settings = try #require(o["settings"] as? [String: Any])
    #expect(settings["json"] == nil && settings["quiet"] == nil)
    if arguments[0] != "selfcheck" {
      #expect(settings["seed"] as? Int == 1)
      #expect(settings["model"] as? String == "mlp:64,32,10")
      #expect(settings["dataset"] as? String == "digits")
    }
    if arguments[0] == "stabilization" {
      #expect(settings["k-grid"] as? [Int] == [8, 16])
      #expect(settings["sigma"] as? Double == 1e-3)
      #expect(settings["D"] as? Int == 10)
    }
  }
}
