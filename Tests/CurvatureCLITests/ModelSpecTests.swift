import CurvatureModels
import Foundation
import Testing

@testable import CurvatureCLI

@Suite struct ModelSpecTests {
  @Test func parsesEveryModel() throws {
    #expect(try ModelSpec.parse("softmax") == .softmax)
    #expect(try ModelSpec.parse("mlp:64,32,10") == .mlp(sizes: [64, 32, 10], activation: .tanh))
    #expect(try ModelSpec.parse("mlp:4,3:gelu") == .mlp(sizes: [4, 3], activation: .gelu))
    #expect(
      try ModelSpec.parse("cnn:16,32,10")
        == .cnn(channels: [16, 32], classCount: 10, activation: .relu))
    #expect(
      try ModelSpec.parse("cnn:8,3:tanh") == .cnn(channels: [8], classCount: 3, activation: .tanh))
    #expect(
      try ModelSpec.parse("transformer:64,4,2") == .transformer(width: 64, heads: 4, layers: 2))
  }

  /// The canonical spelling parses back to the same model.
  @Test func descriptionRoundTrips() throws {
    for text in ["softmax", "mlp:64,32,10:relu", "cnn:16,32,10:tanh", "transformer:32,2,1"] {
      let spec = try ModelSpec.parse(text)
      #expect(spec.description == text)
      #expect(try ModelSpec.parse(spec.description) == spec)
    }
    #expect(try ModelSpec.parse("mlp:4,3").description == "mlp:4,3:tanh")
  }

  @Test func rejectsMalformedSpecsNamingThem() {
    for bad in [
      "", "mlp", "mlp:", "mlp:64", "mlp:64,0,10", "mlp:64,-3,10", "mlp:64,x,10", "mlp:64,,10",
      "mlp:64,10:sigmoid", "mlp:64,10:tanh:x", "cnn:10", "cnn:16,10:gelu", "cnn",
      "transformer:64,4",
      "transformer:64,5,2", "transformer:64,4,2:relu", "softmax:3", "resnet:18",
    ] {
      do {
        _ = try ModelSpec.parse(bad)
        Issue.record("'\(bad)' was accepted")
      } catch {
        #expect(error.message.hasPrefix("--model"), "\(bad): \(error.message)")
        #expect(!error.message.contains("\n"))
      }
    }
  }

  @Test func parsesEveryDataSet() throws {
    #expect(try DatasetSpec.parse("digits") == .digits)
    #expect(try DatasetSpec.parse("mixture") == .mixture)
    #expect(try DatasetSpec.parse("npy:a.npy,b.npy") == .npy(inputs: "a.npy", labels: "b.npy"))
    #expect(try DatasetSpec.parse("modadd:23") == .modularAddition(modulus: 23))
    #expect(try DatasetSpec.parse("text:corpus.txt") == .text(path: "corpus.txt", length: 32))
    #expect(try DatasetSpec.parse("text:corpus.txt:16") == .text(path: "corpus.txt", length: 16))
    #expect(try DatasetSpec.parse("text:C:/x.txt:8") == .text(path: "C:/x.txt", length: 8))
    #expect(try DatasetSpec.parse("bierce") == .text(path: nil, length: 32))
    #expect(try DatasetSpec.parse("bierce:12") == .text(path: nil, length: 12))
    for bad in [
      "cifar", "npy:a.npy", "npy:,b.npy", "modadd:1", "modadd:x", "text:", "text:f.txt:0",
      "text:f.txt:-3", "bierce:0", "bierce:4:5",
    ] {
      #expect(throws: UsageError.self, "\(bad)") { try DatasetSpec.parse(bad) }
    }
    for text in ["digits", "npy:a.npy,b.npy", "modadd:7", "text:f.txt:9", "bierce:32"] {
      #expect(try DatasetSpec.parse(text).description == text)
    }
  }

  /// Sizes are checked against the data: `mlp:n0,…` must start at the data's feature count and
  /// end at its class count; a model must suit the kind of data.
  @Test func sizesThatDisagreeWithTheDataNameBothNumbers() throws {
    func message(_ model: String, _ dataset: String) -> String? {
      do {
        _ = try Workload(
          model: try ModelSpec.parse(model), dataset: try DatasetSpec.parse(dataset), seed: 1)
        return nil
      } catch let e as UsageError { return e.message } catch { return "\(error)" }
    }
    let input = message("mlp:32,16,10", "digits")
    #expect(
      input?.contains("32") == true && input?.contains("64") == true, "\(input ?? "accepted")")
    let classes = message("mlp:64,16,7", "digits")
    #expect(classes?.contains("7") == true && classes?.contains("10") == true)
    #expect(message("cnn:8,7", "digits")?.contains("7") == true)
    #expect(message("cnn:8,10", "mixture")?.contains("images") == true)
    #expect(message("cnn:8,8,8,8,10", "digits")?.contains("8×8") == true)
    #expect(message("transformer:16,2,1", "digits")?.contains("token") == true)
    #expect(message("mlp:64,10", "modadd:7")?.contains("transformer") == true)
    // mlp:n0,…,nL builds exactly n0-…-nL (the same words mean the same model everywhere).
    let w = try Workload(model: .parse("mlp:64,32,10"), dataset: .digits, seed: 1)
    #expect(w.mlp?.layerSizes == [64, 32, 10])
    let mixture = try Workload(model: .parse("mlp:12,10"), dataset: .mixture, seed: 1)
    #expect(mixture.mlp?.layerSizes == [12, 10])
    let softmax = try Workload(model: .softmax, dataset: .digits, testFraction: 0.2, seed: 1)
    #expect(softmax.mlp?.layerSizes == [64, 10])
    #expect(softmax.testCount == 359 && softmax.objective.sampleCount == 1797 - 359)
  }

  /// A text model trains on the leading part of the text and is tested on its tail.
  @Test func textWorkloadHoldsOutTheTail() throws {
    let w = try Workload(
      model: .parse("transformer:16,2,1"), dataset: .parse("bierce:16"), testFraction: 0.1,
      seed: 3)
    let text = try #require(w.text)
    #expect(text.bytes.count == 47_086)
    #expect(text.training == 0..<(47_086 - 4_709))
    let t = try #require(w.objective as? Transformer)
    #expect(t.configuration.vocabularySize == 79 && t.configuration.contextLength == 16)
    #expect(t.sampleCount == (47_086 - 4_709) / 17)
    #expect(w.testCount == 4_709 / 17)
    let loss = try #require(try w.test(at: w.initialParameters(seed: 1))?.loss)
    // Near log V at initialisation.
    #expect(abs(loss - Foundation.log(79.0)) < 0.5)
  }
}
