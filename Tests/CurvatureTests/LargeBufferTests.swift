import Testing

@testable import Curvature

@Suite struct LargeBufferTests {
  /// Small and large arrays (below and above the huge-page threshold, and not a multiple of
  /// 2 MiB) are zero-filled, of the requested length, and writable to the last element.
  @Test(arguments: [
    0, 1, 1000, LargeBuffer.threshold / 4 - 1, 3 * LargeBuffer.threshold / 4 + 12_345,
  ])
  func zerosAreZeroAndWritable(count: Int) {
    var a: [Float] = LargeBuffer.zeros(count: count)
    #expect(a.count == count)
    #expect(a.allSatisfy { $0 == 0 })
    if count > 0 {
      a[count - 1] = 7
      a[0] += 1
      #expect(a[0] == (count == 1 ? 8 : 1) && a[count - 1] == (count == 1 ? 8 : 7))
    }
    let d: [Double] = LargeBuffer.zeros(count: count)
    #expect(d.count == count && d.allSatisfy { $0 == 0 })
  }

  /// An unwritten array has the requested length and is writable to the last element; in a
  /// debug build (the tests') every element reads as NaN until written, so a workspace that
  /// read an unwritten column would poison its results.
  @Test(arguments: [1, 1000, 3 * LargeBuffer.threshold / 4 + 12_345])
  func unwrittenArraysAreNaNInDebugBuilds(count: Int) {
    var a = LargeBuffer.unwritten(count: count)
    #expect(a.count == count)
    #if DEBUG
      #expect(a.allSatisfy { $0.isNaN })
    #endif
    a[count - 1] = 7
    a[0] = 1
    #expect(a[count - 1] == (count == 1 ? 1 : 7) && a[0] == 1)
  }
}
