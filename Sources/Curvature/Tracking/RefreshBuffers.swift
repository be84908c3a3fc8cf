/// The P × k arrays a tracker's synchronous subspace-iteration refreshes reuse from one refresh to
/// the next instead of allocating them afresh.
///
/// Fresh memory is not free: arrays this large (45 MB at P ≈ 1.1M, k = 10) come straight from
/// the operating system and are mapped page by page on their first write, and memory returned
/// between refreshes is often taken back by the host of a virtual machine. On the machine the
/// benchmarks run on that costs about 0.7 ms per MB written (`Benchmarks/Floors/fresh_memory.c`),
/// 40–60 ms per refresh, against some 90 ms for the refresh's k HVPs. The tracker keeps the
/// products H U as scratch and the columns (and reduced copy) of the basis it last replaced,
/// which become the next basis.
///
/// An array is taken out before it is written, so it is uniquely referenced unless the caller
/// still holds the retired basis; in that case the write copies it first, as any `Array` does,
/// and the result is the same.
final class RefreshBuffers {
  /// Scratch for Y = H U.
  private var products: [Float] = []
  /// The `Float` columns of the basis the last install replaced.
  private var retiredColumns: [Float] = []
  /// The reduced copy of that basis (empty arrays in single precision).
  private var retiredCopy = Basis.ReducedCopy()

  /// The products scratch when it holds `count` elements, else an empty array (the caller
  /// allocates). - Complexity: O(1).
  func takeProducts(count: Int) -> [Float] {
    Self.take(&products, count: count)
  }

  /// Keeps `array` as the products scratch. - Complexity: O(1).
  func returnProducts(_ array: [Float]) {
    products = array
  }

  /// The retired basis columns when they hold `count` elements, else an empty array.
  /// - Complexity: O(1).
  func takeRetiredColumns(count: Int) -> [Float] {
    Self.take(&retiredColumns, count: count)
  }

  /// The retired basis's reduced copy (moved out, leaving nothing behind).
  /// - Complexity: O(1).
  func takeRetiredCopy() -> Basis.ReducedCopy {
    defer { retiredCopy = Basis.ReducedCopy() }
    return retiredCopy
  }

  /// Keeps the storage of `basis`, which a refresh has just replaced, for the next one.
  /// - Complexity: O(1).
  func retire(_ basis: Basis?) {
    retiredColumns = basis?.storage ?? []
    retiredCopy = basis?.reducedCopy ?? Basis.ReducedCopy()
  }

  /// Moves `array` out when it holds `count` elements (leaving it empty).
  private static func take<T>(_ array: inout [T], count: Int) -> [T] {
    guard array.count == count else { return [] }
    defer { array = [] }
    return array
  }
}
