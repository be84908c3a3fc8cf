import Curvature
import Foundation
import Testing

@testable import CurvatureCLI

/// Transformer language models on text from the commands, and the text and image inputs they
/// refuse.
@Suite struct LanguageModelCommandTests {
  static let dir: String = {
    let d = NSTemporaryDirectory() + "curvature-text-cli-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }()

  static func file(_ name: String, _ bytes: [UInt8]) -> String {
    let path = "\(dir)/\(name)"
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
  }

  /// 1,000 bytes of a few sentences in a seeded order.
  static let sentences: String = {
    let s = ["the cat sat on the mat. ", "a dog ran to the park. ", "we saw the cat. "]
    var rng = SeededGenerator(seed: 11)
    var text = ""
    while text.utf8.count < 1_000 { text += s[rng.nextInt(below: s.count)] }
    return String(text.prefix(1_000))
  }()

  /// Adam and Bulk-Adam (tracked) train the byte-level model on a text file; the JSON reports
  /// the held-out loss and the unigram entropy of the training part of the text.
  @Test(arguments: ["adam", "bulk-adam"]) func trainsOnAText(optimizer: String) throws {
    let text = Self.file("sentences-\(optimizer).txt", Array(Self.sentences.utf8))
    let small = [
      "--model", "transformer:16,2,1", "--dataset", "text:\(text):8", "--steps", "30",
      "--batch-size", "16", "--k", "3", "--refresh-every", "15", "--hessian-batch", "16",
      "--seed", "4",
    ]
    let r = CommandTests.run(["train"] + small + ["--optimizer", optimizer, "--json", "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    let o = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let losses = try #require(o["losses"] as? [Double])
    #expect(losses.count == 30)
    // From about log V at the start, Adam at 3e-3 gets below the unigram entropy.
    let v = Double(Set(Self.sentences.utf8.prefix(800)).count)
    #expect(abs(losses[0] - Foundation.log(v)) < 0.3)
    let final = try #require(o["final_loss"] as? Double)
    let entropy = try #require(o["unigram_entropy"] as? Double)
    let counts = Dictionary(grouping: Self.sentences.utf8.prefix(800), by: { $0 }).mapValues(
      \.count)
    let expected = counts.values.reduce(0.0) { h, c in
      h - Double(c) / 800 * Foundation.log(Double(c) / 800)
    }
    #expect(abs(entropy - expected) < 1e-9)
    #expect(final < entropy)
    #expect(o["test_loss"] is Double)
    #expect(o["accuracy"] is NSNull)
    if optimizer == "bulk-adam" {
      #expect(o["refreshes"] as? Int == 2)
      #expect((o["eigenvalues"] as? [Double])?.count == 3)
    }
  }

  @Test func stabilizationAndSpectrumReadTheSameText() throws {
    let text = Self.file(
      "abc.txt", Array(String(repeating: "the cat sat on the mat. ", count: 12).utf8))
    let stab = CommandTests.run([
      "stabilization", "--model", "transformer:8,2,1", "--dataset", "text:\(text):6",
      "--k-grid", "4,8", "--orders", "2", "--D", "2", "--train-steps", "5", "--json", "--quiet",
    ])
    #expect(stab.status == 0, "\(stab.stderr)")
    let w = try Workload(
      model: .parse("transformer:8,2,1"), dataset: .parse("text:\(text):6"), seed: 1)
    let wPath = "\(Self.dir)/w.npy"
    try NpyFile.write(vector: w.initialParameters(seed: 2), to: wPath)
    let spectrum = CommandTests.run([
      "spectrum", "--model", "transformer:8,2,1", "--dataset", "text:\(text):6", "--parameters",
      wPath, "--k", "2", "--json",
    ])
    #expect(spectrum.status == 0, "\(spectrum.stderr)")
  }

  /// Empty, too short and single-byte texts, and images of the wrong shape: one line, exit 2.
  @Test func badTextsAndImagesAreUsageErrors() throws {
    let empty = Self.file("empty.txt", [])
    let short = Self.file("short.txt", Array("abcdefghi".utf8))  // 9 bytes < T + 2 = 10
    let fits = Self.file("fits.txt", Array("abcdefghij".utf8))  // 10 bytes = T + 2
    let single = Self.file("single.txt", [UInt8](repeating: 97, count: 100))
    let images = "\(Self.dir)/images.npy"
    try NpyFile.write(
      NpyArray(shape: [4, 2, 3], elements: .float32([Float](repeating: 0.5, count: 24))), to: images
    )
    let labels = "\(Self.dir)/labels.npy"
    try NpyFile.write(NpyArray(shape: [4], elements: .int64([0, 1, 0, 1])), to: labels)
    let base = ["train", "--steps", "2", "--batch-size", "2", "--quiet"]
    let cases: [([String], String)] = [
      (["--model", "transformer:8,2,1", "--dataset", "text:\(empty):8"], "empty"),
      (["--model", "transformer:8,2,1", "--dataset", "text:\(short):8"], "9 bytes"),
      (["--model", "transformer:8,2,1", "--dataset", "text:\(single):8"], "one byte"),
      (["--model", "transformer:8,2,1", "--dataset", "text:\(Self.dir)/missing.txt"], "missing"),
      (["--model", "cnn:4,2", "--dataset", "npy:\(images),\(labels)"], "[2, 3]"),
      (["--model", "mlp:6,2", "--dataset", "npy:\(images),\(labels)"], "[2, 3]"),
      (["--model", "mlp:64,2", "--dataset", "text:\(fits):8"], "token"),
    ]
    for (extra, phrase) in cases {
      let r = CommandTests.run(base + extra)
      #expect(r.status == 2, "\(extra): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(extra): \(r.stderr)")
      #expect(r.stderr.contains(phrase), "\(extra): \(r.stderr)")
    }
    let ok = CommandTests.run(
      base + ["--model", "transformer:8,2,1", "--dataset", "text:\(fits):8", "--optimizer", "adam"])
    #expect(ok.status == 0, "\(ok.stderr)")
  }
}
