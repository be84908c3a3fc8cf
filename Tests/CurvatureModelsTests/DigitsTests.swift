import Testing

@testable import CurvatureModels

@Suite struct DigitsTests {
  @Test func loadsAllSamples() throws {
    let d = try Digits.load()
    #expect(d.count == 1797)
    #expect(d.inputs.count == 1797 * 64)
    #expect(Set(d.labels) == Set(0...9))
    #expect(d.inputs.allSatisfy { $0 >= 0 && $0 <= 1 })
  }
}
