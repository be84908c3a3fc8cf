import Curvature
import CurvatureModels
import Foundation
import Testing

@testable import CurvatureCLI

@Suite struct StabilizationCommandTests {
  func run(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
    final class Box: @unchecked Sendable {
      var out = ""
      var err = ""
    }
    let box = Box()
    let status = CurvatureCommand.run(
      ["stabilization"] + arguments, standardOutput: { box.out += $0 },
      standardError: { box.err += $0 })
    return (status, box.out, box.err)
  }

  func object(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  let small = [
    "--model", "mlp:64,8,10", "--k-grid", "8,16,32", "--D", "2", "--orders", "2", "--seed", "3",
  ]

  @Test func trainsThenPrintsTheCurveAsJSON() throws {
    let r = run(small + ["--train-steps", "10", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try object(r.stdout)
    #expect(Set(o.keys).isSuperset(of: ["k", "delta", "stderr", "slope", "settings", "version"]))
    #expect(o["k"] as? [Int] == [8, 16, 32])
    let delta = try #require(o["delta"] as? [Double])
    let se = try #require(o["stderr"] as? [Double])
    #expect(delta.count == 3 && se.count == 3 && delta.allSatisfy { $0 > 0 && $0.isFinite })
    #expect(o["slope"] is Double)
  }

  /// With --parameters the command measures exactly what the library computes there.
  @Test func measuresAtGivenParametersLikeTheLibrary() throws {
    let model = try #require(
      try Workload(model: .parse("mlp:64,8,10"), dataset: .digits, seed: 3).mlp)
    let w = model.initialParameters(seed: 9)
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("stab-\(UInt32.random(in: 0...UInt32.max)).npy").path
    try ParameterFile.save(w, to: path)
    defer { try? FileManager.default.removeItem(atPath: path) }
    for estimator in ["gm", "quadratic", "delta1"] {
      let r = run(
        small + ["--parameters", path, "--estimator", estimator, "--probes", "8", "--json"])
      #expect(r.status == 0, "\(r.stderr)")
      let o = try object(r.stdout)
      let expected = try StabilizationEstimator(
        configuration: .init(subspaceDimension: 2, probeCount: 8, orderCount: 2, seed: 3)
      ).curve(
        of: model, at: w, sampleCounts: [8, 16, 32],
        method: StabilizationMethod(rawValue: estimator)!)
      // JSON carries 16 significant digits.
      let delta = try #require(o["delta"] as? [Double])
      let se = try #require(o["stderr"] as? [Double])
      for i in 0..<3 {
        #expect(abs(delta[i] - expected.mean[i]) <= 1e-14 * expected.mean[i])
        #expect(abs(se[i] - expected.standardError[i]) <= 1e-14 * expected.standardError[i])
      }
    }
    let text = run(small + ["--parameters", path])
    #expect(text.status == 0 && text.stdout.contains("log–log slope"))
  }

  @Test func transformerOnModularAddition() throws {
    let r = run([
      "--model", "transformer:8,2,1", "--dataset", "modadd:7", "--k-grid", "4,8,16", "--D", "2",
      "--orders", "2", "--train-steps", "3", "--estimator", "gm", "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try object(r.stdout)
    let delta = try #require(o["delta"] as? [Double])
    #expect(delta.count == 3 && delta.allSatisfy { $0 > 0 && $0.isFinite })
    #expect(run(["--model", "transformer:8,2", "--dataset", "modadd:7"]).status == 2)
    #expect(run(["--model", "transformer:8,2,1", "--dataset", "digits"]).status == 2)
  }

  @Test func badInputsAreUsageErrors() {
    for args in [
      ["--k-grid", "16,8", "--train-steps", "0"],
      ["--k-grid", "8,5000", "--train-steps", "0"],
      ["--model", "mlp:64,8,10", "--D", "100000", "--train-steps", "0", "--k-grid", "8"],
      ["--model", "cnn:3", "--train-steps", "0"],
      ["--model", "mlp:64,8,10:swish", "--train-steps", "0"],
      ["--model", "mlp:32,10", "--train-steps", "0"],
      ["--dataset", "imagenet", "--train-steps", "0"],
      ["--parameters", "/nonexistent/w.npy"],
      ["--sigma", "0"],
    ] {
      let r = run(args)
      #expect(r.status == 2, "\(args)")
      let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("curvature: error:") }
      #expect(errors.count == 1 && r.stdout.isEmpty, "\(args): \(r.stderr)")
    }
  }
}
