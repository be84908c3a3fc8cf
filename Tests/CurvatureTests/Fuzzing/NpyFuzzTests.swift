import Curvature
import Foundation
import Testing

/// The `.npy` reader against a seeded sample of fuzz inputs (``NpyFuzzer``). Set
/// `CURVATURE_NPY_FUZZ_COUNT` (and optionally `CURVATURE_NPY_FUZZ_SEED`) for a longer run.
@Suite struct NpyFuzzTests {
  @Test func readerSurvivesSeededFuzzInputs() {
    let environment = ProcessInfo.processInfo.environment
    let count = environment["CURVATURE_NPY_FUZZ_COUNT"].flatMap(Int.init) ?? 4000
    let seed = environment["CURVATURE_NPY_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_261_204
    var fuzzer = NpyFuzzer(seed: seed)
    let summary = fuzzer.run(count: count)
    #expect(summary.failures.isEmpty, "\(summary.failures.prefix(5))")
    // Both outcomes are exercised in bulk: the sample is not trivially all-valid or all-junk.
    #expect(summary.accepted > count / 20 && summary.rejected > count / 2, "\(summary)")
    #expect(summary.slowest < 0.5, "\(summary)")
    if environment["CURVATURE_NPY_FUZZ_COUNT"] != nil { print("npy fuzz, seed \(seed): \(summary)") }
  }

  /// The fuzzer's valid files are what the reader must accept: a shape check that would fail
  /// if the generator or the reader mishandled Fortran order, versions or empty arrays.
  @Test func validInputsDecodeToTheirShape() throws {
    var fuzzer = NpyFuzzer(seed: 7)
    for _ in 0..<300 {
      let (bytes, shape, descriptor) = fuzzer.validFile()
      let array = try NpyFile.read(data: bytes)
      #expect(array.shape == shape)
      #expect(array.dataType.rawValue == descriptor)
    }
  }
}
