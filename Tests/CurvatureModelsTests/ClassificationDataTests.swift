import Curvature
import Foundation
import Testing

@testable import CurvatureModels

@Suite final class ClassificationDataTests {
  /// This test's own directory for the `.npy` files it writes, removed when the test ends.
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("curvature-classification-data-\(UUID().uuidString)")

  deinit { try? FileManager.default.removeItem(at: directory) }

  // Files written by NumPy 2 (np.save): a Fortran-ordered float64 2×3 array
  // [[0.5, 1, −2], [3, 4.25, 0]], int32 labels [2, 0], float32 weights [1.5, −2, 0.25],
  // int64 labels [0, −1].
  static let x64F =
    "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADgPwAAAAAAAAhAAAAAAAAA8D8AAAAAAAARQAAAAAAAAADAAAAAAAAAAAA="
  static let y32 =
    "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoCAAAAAAAAAA=="
  static let w32 =
    "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAgD4="
  static let yBad =
    "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAP//////////"

  func file(_ base64: String?, bytes: Data? = nil) -> String {
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("\(UUID().uuidString).npy").path
    let d = bytes ?? Data(base64Encoded: base64!)!
    try! d.write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test func loadsNumPyFiles() throws {
    let d = try ClassificationData.load(inputs: file(Self.x64F), labels: file(Self.y32))
    #expect(d.count == 2 && d.featureCount == 3 && d.classCount == 3)
    #expect(d.inputs == [0.5, 1, -2, 3, 4.25, 0])
    #expect(d.labels == [2, 0])
    #expect(try ParameterFile.load(from: file(Self.w32), count: 3) == [1.5, -2, 0.25])
  }

  @Test func rejectsBadFiles() throws {
    let x = file(Self.x64F)
    #expect(throws: CurvatureError.self) {
      try ClassificationData.load(inputs: x, labels: file(Self.yBad))
    }
    #expect(throws: CurvatureError.self) { try ClassificationData.load(inputs: x, labels: x) }
    #expect(throws: CurvatureError.self) {
      try ClassificationData.load(inputs: x, labels: file(Self.y32), classCount: 2)
    }
    let truncated = Data(base64Encoded: Self.x64F)!.dropLast(3)
    #expect(throws: CurvatureError.self) {
      try ClassificationData.load(
        inputs: file(nil, bytes: Data(truncated)), labels: file(Self.y32))
    }
    #expect(throws: CurvatureError.self) {
      try ClassificationData.load(
        inputs: file(nil, bytes: Data("hello".utf8)), labels: file(Self.y32))
    }
    #expect(throws: CurvatureError.self) {
      try ClassificationData.load(inputs: "/nonexistent.npy", labels: x)
    }
    #expect(throws: CurvatureError.self) {
      try ParameterFile.load(from: file(Self.w32), count: 4)
    }
    #expect(throws: CurvatureError.self) { try ParameterFile.load(from: file(Self.y32)) }
  }

  @Test func rejectsNonFiniteAndMismatchedData() throws {
    #expect(throws: CurvatureError.self) {
      try ClassificationData(inputs: [1, .nan], labels: [0], featureCount: 2)
    }
    #expect(throws: CurvatureError.self) {
      try ClassificationData(inputs: [1, 2, 3], labels: [0], featureCount: 2)
    }
    #expect(throws: CurvatureError.self) {
      try ClassificationData(inputs: [1, 2], labels: [3], featureCount: 2, classCount: 3)
    }
    let path = file(
      nil,
      bytes: Data(try NpyFile.encode(NpyArray(shape: [1, 2], elements: .float32([1, .infinity])))))
    let labels = file(
      nil, bytes: Data(try NpyFile.encode(NpyArray(shape: [1], elements: .int64([0])))))
    #expect(throws: CurvatureError.self) {
      try ClassificationData.load(inputs: path, labels: labels)
    }
  }

  @Test func roundTripsThroughNpy() throws {
    let d = try ClassificationData.gaussianMixture(
      classes: 3, dimension: 4, samplesPerClass: 5, separation: 2, seed: 1)
    let xp = file(nil, bytes: Data())
    let yp = file(nil, bytes: Data())
    try d.save(inputs: xp, labels: yp)
    #expect(try ClassificationData.load(inputs: xp, labels: yp) == d)
    var rng = SeededGenerator(seed: 3)
    let w = rng.gaussianVector(count: 37)
    try ParameterFile.save(w, to: xp)
    #expect(try ParameterFile.load(from: xp, count: 37) == w)
  }

  @Test func digitsSplitIsSeededAndDisjoint() throws {
    let d = try ClassificationData.digits()
    #expect(d.count == 1797 && d.featureCount == 64 && d.classCount == 10)
    #expect(d.inputs.allSatisfy { $0 >= 0 && $0 <= 1 })
    let (train, test) = d.split(testFraction: 0.25, seed: 4)
    #expect(test.count == 449 && train.count == 1348)
    let again = d.split(testFraction: 0.25, seed: 4)
    #expect(again.train == train && again.test == test)
    #expect(d.split(testFraction: 0.25, seed: 5).test != test)
    // Every digit image appears exactly once across the two parts (as a multiset).
    func rows(_ x: ClassificationData) -> [[Float]] {
      (0..<x.count).map { Array(x.inputs[($0 * 64)..<(($0 + 1) * 64)]) + [Float(x.labels[$0])] }
    }
    let all = (rows(train) + rows(test)).map { $0.description }.sorted()
    #expect(all == rows(d).map { $0.description }.sorted())
    #expect(d.split(testFraction: 2, seed: 1).train.count == 1)
    #expect(d.split(testFraction: .nan, seed: 1).test.count == 1)
  }

  @Test func gaussianMixtureIsSeededBalancedAndSeparated() throws {
    let d = try ClassificationData.gaussianMixture(
      classes: 4, dimension: 6, samplesPerClass: 200, separation: 10, seed: 2)
    #expect(d.count == 800 && d.classCount == 4)
    #expect(d.labels.prefix(8) == [0, 1, 2, 3, 0, 1, 2, 3])
    #expect(
      try ClassificationData.gaussianMixture(
        classes: 4, dimension: 6, samplesPerClass: 200, separation: 10, seed: 2) == d)
    // Empirical class means: norm ≈ 10 and mutually orthogonal (distance ≈ 10√2).
    var means = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 4)
    for i in 0..<d.count {
      for j in 0..<6 { means[d.labels[i]][j] += Double(d.inputs[i * 6 + j]) / 200 }
    }
    for c in 0..<4 {
      let n = means[c].reduce(0) { $0 + $1 * $1 }.squareRoot()
      #expect(abs(n - 10) < 0.5)
      for e in (c + 1)..<4 {
        let dot = zip(means[c], means[e]).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(dot) < 6)
      }
    }
    #expect(throws: CurvatureError.self) {
      try ClassificationData.gaussianMixture(
        classes: 1, dimension: 2, samplesPerClass: 2, separation: 1, seed: 0)
    }
    #expect(throws: CurvatureError.self) {
      try ClassificationData.gaussianMixture(
        classes: 2, dimension: 2, samplesPerClass: 2, separation: .nan, seed: 0)
    }
  }
}
