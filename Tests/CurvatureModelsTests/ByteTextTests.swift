import Curvature
import Foundation
import Testing

@testable import CurvatureModels

@Suite struct ByteTextTests {
  @Test func vocabularyIsTheSortedBytesThatOccur() throws {
    let text = try ByteText(bytes: Array("banana band".utf8))
    #expect(text.vocabulary == Array(" abdn".utf8))
    #expect(text.vocabularySize == 5)
    #expect(text.tokens == [2, 1, 4, 1, 4, 1, 0, 2, 1, 4, 3])
    #expect(text.decode(text.tokens) == Array("banana band".utf8))
  }

  /// H = −Σ p log p against a hand count: "aab" has p = (2/3, 1/3).
  @Test func unigramEntropyInNats() throws {
    let text = try ByteText(bytes: Array("aab".utf8))
    let expected = -(2.0 / 3 * Foundation.log(2.0 / 3) + 1.0 / 3 * Foundation.log(1.0 / 3))
    #expect(abs(text.unigramEntropy() - expected) < 1e-12)
    #expect(abs(text.unigramEntropy(of: 0..<2)) < 1e-12)
    let uniform = try ByteText(bytes: (0..<256).map { UInt8($0) })
    #expect(abs(uniform.unigramEntropy() - Foundation.log(256.0)) < 1e-12)
  }

  /// Every window is T + 1 consecutive bytes of the text, offsets are distinct, and the same
  /// seed gives the same windows.
  @Test func windowsAreSeededDistinctSlicesOfTheText() throws {
    var rng = SeededGenerator(seed: 5)
    let bytes = (0..<300).map { _ in UInt8(rng.nextInt(below: 40)) }
    let text = try ByteText(bytes: bytes)
    let t = 9
    let w = try text.windows(length: t, seed: 4)
    #expect(w.length == t && w.vocabularySize == text.vocabularySize)
    #expect(w.count == 300 / 10)
    #expect(w.lossMask.allSatisfy { $0 })
    var starts = Set<Int>()
    for i in 0..<w.count {
      let s = Array(w.tokens[(i * (t + 1))..<((i + 1) * (t + 1))])
      let matches = (0...(300 - t - 1)).filter { Array(text.tokens[$0...($0 + t)]) == s }
      #expect(!matches.isEmpty)
      starts.insert(matches[0])
    }
    #expect(starts.count == w.count)
    #expect(try text.windows(length: t, seed: 4) == w)
    #expect(try text.windows(length: t, seed: 5) != w)
    // A range: windows lie inside it; a count caps at the number of offsets.
    let tail = try text.windows(length: t, count: 1000, seed: 1, within: 250..<300)
    #expect(tail.count == 50 - t)
    for i in 0..<tail.count {
      let s = Array(tail.tokens[(i * (t + 1))..<((i + 1) * (t + 1))])
      #expect((250...(300 - t - 1)).contains { Array(text.tokens[$0...($0 + t)]) == s })
    }
  }

  @Test func rejectsTextsALanguageModelCannotUse() throws {
    #expect(throws: CurvatureError.self) { try ByteText(bytes: []) }
    #expect(throws: CurvatureError.self) { try ByteText(bytes: [65, 65, 65]) }
    let text = try ByteText(bytes: Array("abcdefgh".utf8))
    // 8 bytes: T = 6 needs T + 2 = 8 (two windows); T = 7 needs 9.
    #expect(try text.windows(length: 6, seed: 0).count == 2)
    #expect(throws: CurvatureError.self) { try text.windows(length: 7, seed: 0) }
    #expect(throws: CurvatureError.self) { try text.windows(length: 0, seed: 0) }
    #expect(throws: CurvatureError.self) { try ByteText(contentsOf: "/nonexistent/file.txt") }
  }

  @Test func bundledCorpusLoads() throws {
    let text = try ByteText.devilsDictionary()
    #expect(text.count == 47_086 && text.vocabularySize == 79)
    let h = text.unigramEntropy()
    #expect(h > 2.9 && h < 3.2)
    #expect(String(decoding: text.bytes, as: UTF8.self).contains("ABASEMENT, n."))
  }
}
