import CCurvatureKernels
import Foundation

/// Fixed-partition parallel loops for the compute kernels.
///
/// Work is always cut into parts that depend only on the problem size, never on timing or on
/// which thread runs which part, so results are bit-for-bit reproducible.
enum Parallel {
  /// Online processors, read once.
  static let processorCount: Int = Int(curvature_cpu_count())

  /// Runs `body(i)` for every `i` in `0..<count` on all cores (``WorkerPool``), handing out
  /// indices dynamically (a preempted core does not hold the others up). Each index must write
  /// only its own output, so the result does not depend on which thread ran it.
  /// - Complexity: the cost of the calls, divided over the cores.
  static func forEach(_ count: Int, _ body: (Int) -> Void) {
    WorkerPool.shared.run(count, body)
  }

  /// Splits `0..<count` into `parts` contiguous ranges whose boundaries are multiples of `align`.
  static func range(_ part: Int, of parts: Int, count: Int, align: Int) -> Range<Int> {
    let blocks = (count + align - 1) / align
    let lo = (blocks * part / parts) * align
    let hi = Swift.min(count, (blocks * (part + 1) / parts) * align)
    return Swift.min(lo, count)..<hi
  }
}

/// Keeps the parallel loops of Curvature (and of models built on it) on the calling thread
/// while a closure runs.
///
/// Background work that should occupy one core only — an asynchronous tracker refresh, which
/// leaves the other cores to the training loop — runs inside ``run(_:)``. Results do not
/// change: parallel loops are cut into fixed parts either way and only the thread that runs
/// each part differs.
public enum SerialScope {
  private static let key = "org.curvature.SerialScope.depth"

  /// Whether the calling thread is inside ``run(_:)``.
  /// - Complexity: O(1) (a thread-local lookup).
  public static var isActive: Bool {
    (Thread.current.threadDictionary[key] as? Int ?? 0) > 0
  }

  /// Runs `body` with the library's parallel loops kept on the calling thread (nests).
  /// - Complexity: that of `body`.
  public static func run<R>(_ body: () throws -> R) rethrows -> R {
    let dictionary = Thread.current.threadDictionary
    let depth = dictionary[key] as? Int ?? 0
    dictionary[key] = depth + 1
    defer { dictionary[key] = depth }
    return try body()
  }
}
