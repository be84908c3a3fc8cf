import Dispatch

/// Runs the parallel loops of the dense solvers on both cores.
enum DenseParallel {
  /// A value moved across threads by a caller that guarantees exclusive access per thread.
  struct Unchecked<T>: @unchecked Sendable {
    let value: T
  }

  /// Calls `body(0)` and `body(1)` concurrently and returns when both are done. The caller
  /// guarantees the two calls touch disjoint memory.
  static func pair(_ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
      let box = Unchecked(value: body)
      DispatchQueue.concurrentPerform(iterations: 2) { box.value($0) }
    }
  }
}
