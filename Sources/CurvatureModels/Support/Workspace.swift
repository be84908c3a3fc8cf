import Curvature

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A fixed-size, uninitialised-at-birth Float scratch buffer with a stable address.
///
/// Model workspaces hold these instead of arrays so hot loops work on raw pointers without
/// copy-on-write checks or exclusivity bookkeeping.
final class FloatBuffer: @unchecked Sendable {
  /// The number of elements.
  let count: Int
  /// The first element.
  let p: UnsafeMutablePointer<Float>

  /// Allocates `count` elements set to zero. - Complexity: O(count).
  init(_ count: Int) {
    self.count = count
    p = .allocate(capacity: max(count, 1))
    p.initialize(repeating: 0, count: max(count, 1))
  }

  deinit { p.deallocate() }

  /// Sets every element to zero. - Complexity: O(count).
  func zero() { p.update(repeating: 0, count: count) }
}

/// Grows-on-demand storage: returns a buffer of at least `count` elements, reusing `buffer`.
@inline(__always)
func ensure(_ buffer: inout FloatBuffer?, _ count: Int) -> FloatBuffer {
  if let b = buffer, b.count >= count { return b }
  let b = FloatBuffer(count)
  buffer = b
  return b
}

/// A raw pointer that may cross into a worker thread (the caller guarantees disjoint use).
struct SendablePointer<T>: @unchecked Sendable {
  let p: UnsafeMutablePointer<T>
  init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}

/// A read-only raw pointer that may cross into a worker thread.
struct SendableConstPointer<T>: @unchecked Sendable {
  let p: UnsafePointer<T>
  init(_ p: UnsafePointer<T>) { self.p = p }
}

enum Parallel {
  /// Per-thread flag, set while a thread runs one index of a multi-index ``forEach``.
  private static let workerKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  /// Whether the calling thread is running one index of a ``forEach`` over several indices
  /// (the cores are then already busy, so nested work should stay on this thread).
  static var insideWorker: Bool { pthread_getspecific(workerKey) != nil }

  /// Runs `body(i)` for `i in 0..<count`, on both cores when `count > 1` (``WorkerPool``: on
  /// the calling thread inside a ``SerialScope``).
  ///
  /// Each index must touch disjoint memory; any reduction is done afterwards by the caller in
  /// index order, so results do not depend on thread timing.
  static func forEach(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 {
      for i in 0..<count { body(i) }
      return
    }
    let key = workerKey
    WorkerPool.shared.run(count) { i in
      let previous = pthread_getspecific(key)
      pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
      body(i)
      pthread_setspecific(key, previous)
    }
  }

  /// Splits `n` items into at most `parts` contiguous ranges of near-equal size.
  static func ranges(_ n: Int, parts: Int) -> [Range<Int>] {
    let k = max(1, min(parts, n))
    return (0..<k).map { i in (i * n / k)..<((i + 1) * n / k) }
  }
}
