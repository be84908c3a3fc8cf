import CCurvatureKernels

/// Allocation of large zero-filled arrays (P × k blocks at P ≈ 10⁶).
///
/// Allocations this large come straight from the operating system, fresh each time, and are
/// mapped page by page as they are first written: at 4 KiB per page fault a 135 MB Krylov
/// workspace took about 0.2 s of page faults, a sixth of a cold Lanczos solve at P ≈ 1.1M. On
/// Linux the storage is advised onto transparent huge pages before it is touched, so one fault
/// maps 2 MiB.
enum LargeBuffer {
  /// Below this many bytes (2 MiB) an array is allocated as usual.
  static let threshold = 1 << 21

  /// A zero-filled array of `count` elements, on huge pages where the system allows.
  /// - Complexity: O(count).
  static func zeros<T: BinaryFloatingPoint>(_: T.Type = T.self, count: Int) -> [T] {
    guard count * MemoryLayout<T>.stride >= threshold else {
      return [T](repeating: 0, count: count)
    }
    return uninitialized(count: count) { $0.initialize(repeating: 0, count: count) }
  }

  /// An array of `count` `Float`s whose contents are unspecified until written, for workspaces
  /// that only ever read what they wrote before: its pages are mapped on their first write (on
  /// huge pages where the system allows), so a workspace's unused columns cost nothing and no
  /// zero-fill pass precedes the real writes. Debug builds fill it with NaN instead, so that a
  /// read of an unwritten element shows up in every result that depends on it.
  /// - Complexity: O(1) in release builds, O(count) in debug builds.
  static func unwritten(count: Int) -> [Float] {
    uninitialized(count: count) { base in
      #if DEBUG
        base.initialize(repeating: .nan, count: count)
      #else
        _ = base
      #endif
    }
  }

  /// An array of `count` elements that `fill` writes in full (it receives the uninitialised
  /// storage), on huge pages where the system allows.
  /// - Complexity: that of `fill`.
  static func uninitialized<T>(
    count: Int, _ fill: (UnsafeMutablePointer<T>) -> Void
  ) -> [T] {
    [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      if count * MemoryLayout<T>.stride >= threshold {
        curvature_advise_huge_pages(buffer.baseAddress!, count * MemoryLayout<T>.stride)
      }
      if let base = buffer.baseAddress { fill(base) }
      initialized = count
    }
  }
}
