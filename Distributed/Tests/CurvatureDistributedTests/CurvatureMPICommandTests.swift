import Curvature
import CurvatureCLI
import CurvatureModels
import Foundation
import Testing

/// `curvature-mpi spectrum` and `train` under `mpirun`, against one process.
@Suite("curvature-mpi commands under mpirun", .serialized, .enabled(if: MPIJob.isAvailable))
struct CurvatureMPICommandTests {
  /// A fresh directory holding the first 600 digits as X.npy / y.npy and MLP 64-32-10
  /// parameters as w.npy.
  static func fixture() throws -> String {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("curvature-mpi-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let digits = try ClassificationData.digits()
    let n = 600
    try NpyFile.write(
      NpyArray(shape: [n, 64], elements: .float32(Array(digits.inputs[0..<(n * 64)]))),
      to: "\(dir)/X.npy")
    try NpyFile.write(
      NpyArray(shape: [n], elements: .int32(digits.labels[0..<n].map { Int32($0) })),
      to: "\(dir)/y.npy")
    let data = try ClassificationData(
      inputs: Array(digits.inputs[0..<(n * 64)]), labels: Array(digits.labels[0..<n]),
      featureCount: 64, classCount: 10)
    let model = try MLP(layerSizes: [64, 32, 10], activation: .tanh, data: data)
    // Trained a little, so the spectrum has outliers rather than the initial cluster.
    var w = model.initialParameters(seed: 3)
    var sgd = SGD(learningRate: 0.5)
    for _ in 0..<100 {
      let (_, g) = try model.lossAndGradient(at: w, samples: .all(n))
      try sgd.step(parameters: &w, gradient: g)
    }
    try NpyFile.write(vector: w, to: "\(dir)/w.npy")
    return dir
  }

  /// Runs `curvature` in this process and returns its JSON.
  static func single(_ arguments: [String]) throws -> [String: Any] {
    var out = ""
    var err = ""
    let status = CurvatureCommand.run(
      arguments, standardOutput: { out += $0 }, standardError: { err += $0 })
    #expect(status == 0, "curvature \(arguments): \(err)")
    return try jsonObject(out)
  }

  @Test("spectrum: eigenvalues on 2 ranks equal the single-process ones to 1e-5 relative")
  func spectrum() throws {
    let dir = try Self.fixture()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let arguments = [
      "spectrum", "--model", "mlp:64,32,10:tanh", "--inputs", "\(dir)/X.npy", "--labels",
      "\(dir)/y.npy", "--parameters", "\(dir)/w.npy", "--k", "5", "--tolerance", "1e-6", "--json",
    ]
    let reference = try #require(try Self.single(arguments)["eigenvalues"] as? [Double])
    #expect(reference.count == 5)
    for ranks in [1, 2] {
      let job = try MPIJob.run(ranks: ranks, arguments)
      #expect(!job.timedOut)
      #expect(job.status == 0, "stderr: \(job.standardError)")
      let values = try #require(try jsonObject(job.standardOutput)["eigenvalues"] as? [Double])
      #expect(values.count == reference.count)
      for (a, b) in zip(values, reference) {
        #expect(abs(a - b) <= 1e-5 * abs(b), "\(ranks) ranks: \(a) against \(b)")
      }
    }
  }

  @Test("train: tracked Bulk-SGD on 2 ranks ends at the 1-rank final loss; only rank 0 writes")
  func train() throws {
    let dir = try Self.fixture()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func run(_ ranks: Int) throws -> [String: Any] {
      let job = try MPIJob.run(
        ranks: ranks,
        [
          "train", "--model", "mlp:64,32,10", "--dataset", "npy:\(dir)/X.npy,\(dir)/y.npy",
          "--optimizer", "bulk-sgd", "--k", "5", "--refresh-every", "25", "--steps", "100",
          "--checkpoint", "\(dir)/ck\(ranks)-{rank}", "--json",
        ])
      #expect(!job.timedOut)
      #expect(job.status == 0, "stderr: \(job.standardError)")
      #expect(job.standardOutput.split(separator: "\n").count == 1, "one JSON object, rank 0")
      return try jsonObject(job.standardOutput)
    }
    let one = try run(1)
    let two = try run(2)
    let a = try #require(one["final_loss"] as? Double)
    let b = try #require(two["final_loss"] as? Double)
    #expect(abs(a - b) <= 1e-6 * abs(a), "final loss: 1 rank \(a), 2 ranks \(b)")
    #expect(one["hvps"] as? Int == two["hvps"] as? Int)
    #expect((one["hvps"] as? Int ?? 0) > 0, "the tracker ran")
    // Like every `--json` output, it says what produced it.
    #expect(two["command"] as? String == "train")
    #expect(two["version"] as? String == CurvatureLibrary.version)
    #expect((two["settings"] as? [String: Any])?["optimizer"] as? String == "bulk-sgd")
    let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
    #expect(files.contains("ck1-0") && files.contains("ck2-0"))
    #expect(!files.contains("ck2-1"), "rank 1 wrote a checkpoint")
  }

  @Test("a rank that cannot read its input stops every rank with its message, no hang")
  func failingRank() throws {
    let dir = try Self.fixture()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Node-local copies: rank 0 has X0/y0; rank 1's X1.npy is missing.
    try FileManager.default.copyItem(atPath: "\(dir)/X.npy", toPath: "\(dir)/X0.npy")
    try FileManager.default.copyItem(atPath: "\(dir)/y.npy", toPath: "\(dir)/y0.npy")
    try FileManager.default.copyItem(atPath: "\(dir)/y.npy", toPath: "\(dir)/y1.npy")
    let job = try MPIJob.run(
      ranks: 2,
      [
        "train", "--model", "mlp:64,32,10", "--dataset",
        "npy:\(dir)/X{rank}.npy,\(dir)/y{rank}.npy",
        "--optimizer", "bulk-sgd", "--steps", "50", "--json",
      ], timeout: 120)
    #expect(!job.timedOut, "the job hung")
    #expect(job.status != 0)
    #expect(job.standardOutput.isEmpty, "nothing on stdout: \(job.standardOutput)")
    #expect(job.standardError.contains("X1.npy"), "the failing rank names its file")
    #expect(
      job.standardError.contains("[rank 0]") && job.standardError.contains("rank 1 failed"),
      "rank 0 reports rank 1's failure: \(job.standardError)")
  }
}
