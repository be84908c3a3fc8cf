import Curvature
import Testing

@testable import CurvatureModels

@Suite struct TokenSequencesTests {
  @Test func modularAdditionEnumeratesEveryPairOnce() throws {
    let d = try TokenSequences.modularAddition(modulus: 7, seed: 3)
    #expect(d.count == 49 && d.length == 3 && d.vocabularySize == 8)
    #expect(d.lossMask == [false, false, true])
    var seen = Set<[Int]>()
    for i in 0..<d.count {
      let s = Array(d.tokens[(i * 4)..<((i + 1) * 4)])
      #expect(s[2] == 7 && s[3] == (s[0] + s[1]) % 7)
      seen.insert([s[0], s[1]])
    }
    #expect(seen.count == 49)
    #expect(try TokenSequences.modularAddition(modulus: 7, seed: 3) == d)
    #expect(try TokenSequences.modularAddition(modulus: 7, fraction: 0.5, seed: 3).count == 25)
    #expect(throws: CurvatureError.self) { try TokenSequences.modularAddition(modulus: 1, seed: 0) }
    #expect(throws: CurvatureError.self) {
      try TokenSequences.modularAddition(modulus: 5, fraction: 0, seed: 0)
    }
  }

  @Test func markovSequencesFollowTheirTransitions() throws {
    let d = try TokenSequences.markov(
      vocabularySize: 10, length: 20, count: 50, branching: 2, seed: 8)
    #expect(d.count == 50 && d.tokens.count == 50 * 21)
    #expect(d.tokens.allSatisfy { (0..<10).contains($0) })
    // Every token is followed by at most `branching` distinct successors.
    var successors = [Set<Int>](repeating: [], count: 10)
    for i in 0..<d.count {
      for p in 0..<20 { successors[d.tokens[i * 21 + p]].insert(d.tokens[i * 21 + p + 1]) }
    }
    #expect(successors.allSatisfy { $0.count <= 2 })
    #expect(successors.contains { $0.count == 2 })
    #expect(
      try TokenSequences.markov(vocabularySize: 10, length: 20, count: 50, branching: 2, seed: 8)
        == d)
    #expect(throws: CurvatureError.self) {
      try TokenSequences.markov(vocabularySize: 10, length: 5, count: 5, branching: 11, seed: 0)
    }
  }

  @Test func validatesAndSplits() throws {
    #expect(throws: CurvatureError.self) {
      try TokenSequences(tokens: [0, 1, 2], length: 3, vocabularySize: 4)
    }
    #expect(throws: CurvatureError.self) {
      try TokenSequences(tokens: [0, 5], length: 1, vocabularySize: 4)
    }
    #expect(throws: CurvatureError.self) {
      try TokenSequences(tokens: [0, 1], length: 1, vocabularySize: 4, lossMask: [false])
    }
    let d = try TokenSequences.modularAddition(modulus: 5, seed: 1)
    let (train, test) = d.split(testFraction: 0.2, seed: 2)
    #expect(train.count == 20 && test.count == 5)
    let testPairs: Set<[Int]> = Set((0..<5).map { Array(test.tokens[($0 * 4)..<($0 * 4 + 2)]) })
    let trainPairs: Set<[Int]> = Set((0..<20).map { Array(train.tokens[($0 * 4)..<($0 * 4 + 2)]) })
    #expect(testPairs.isDisjoint(with: trainPairs))
  }

  @Test func transformerLearnsNothingFromMaskedPositions() throws {
    // With only the answer position counted, changing the other targets' logits cannot matter:
    // the per-sample loss equals the loss at position 2.
    let d = try TokenSequences.modularAddition(modulus: 5, seed: 1)
    let m = try Transformer(
      configuration: .init(
        vocabularySize: 6, contextLength: 3, modelWidth: 8, headCount: 2, layerCount: 1),
      data: d)
    let w = m.initialParameters(seed: 4)
    let pos = try m.positionLosses(at: w, samples: .range(0..<4))
    let per = try m.perSampleLosses(at: w, samples: .range(0..<4))
    for i in 0..<4 { #expect(abs(per[i] - pos[i * 3 + 2]) < 1e-12) }
  }
}

@Suite struct TokenSequencesEdgeTests {
  @Test func singleSequenceSplitDoesNotCrash() throws {
    let d = try TokenSequences(tokens: [0, 1, 2], length: 2, vocabularySize: 3)
    let (train, test) = d.split(testFraction: 0.9, seed: 1)
    #expect(train == d && test == d)
  }
}
