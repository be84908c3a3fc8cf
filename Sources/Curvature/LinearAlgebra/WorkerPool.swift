import CCurvatureKernels
import Dispatch
import Foundation
import Synchronization

/// The threads behind the library's parallel loops: one per extra core, started on first use.
///
/// A loop hands its indices out through an atomic counter; the calling thread takes indices
/// too, so a loop always finishes even when no worker is awake. After a loop a worker keeps
/// polling for the next one for ``spinDuration`` before it sleeps, so the back-to-back loops of
/// an eigensolver (one Hessian-vector product, a little bookkeeping, the next product) start on
/// both cores within a microsecond instead of waiting tens of microseconds for a thread to wake.
/// One loop runs at a time: a loop started while another is running (from another thread, or
/// nested inside a loop body), or inside ``SerialScope/run(_:)``, runs its indices on its own
/// thread. Which thread runs an index
/// never changes a result: callers cut their work into parts that depend only on the size.
package final class WorkerPool: @unchecked Sendable {
  /// The pool shared by every parallel loop of the process.
  package static let shared = WorkerPool(workers: Int(curvature_cpu_count()) - 1)

  /// How long an idle worker polls for the next loop before it sleeps.
  package static let spinDuration: Duration = .microseconds(100)

  /// One parallel loop: its body, index counter and the count of indices not yet finished.
  private final class Loop: @unchecked Sendable {
    /// Set while the loop runs; cleared (under the pool's lock) before ``run(_:_:)`` returns.
    var body: ((Int) -> Void)?
    let count: Int
    let next = Atomic<Int>(0)
    let unfinished: Atomic<Int>

    init(body: @escaping (Int) -> Void, count: Int) {
      self.body = body
      self.count = count
      self.unfinished = Atomic(count)
    }

    /// Takes and runs indices until none is left.
    func drain() {
      while true {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        if i >= count { return }
        body!(i)
        unfinished.wrappingSubtract(1, ordering: .releasing)
      }
    }
  }

  /// The number of worker threads (cores − 1).
  package let workerCount: Int
  /// Bumped when a loop is published; workers poll it.
  private let generation = Atomic<Int>(0)
  /// Whether a loop is running (only one at a time).
  private let busy = Atomic<Bool>(false)
  /// Guards ``current`` and ``sleepers``; sleeping workers wait on it.
  private let condition = NSCondition()
  private var current: Loop?
  private var sleepers = 0
  private var started = false

  private init(workers: Int) {
    workerCount = max(0, workers)
  }

  /// Runs `body(i)` for every `i` in `0..<count`, on all cores when `count > 1` (outside a
  /// ``SerialScope``), and returns when every call has returned. Each index must touch memory
  /// no other index writes.
  /// - Complexity: the cost of the calls divided over the cores, plus well under a microsecond
  ///   to start when the workers are polling.
  package func run(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 || workerCount == 0 || SerialScope.isActive
      || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    {
      for i in 0..<max(count, 0) { body(i) }
      return
    }
    defer { busy.store(false, ordering: .releasing) }
    withoutActuallyEscaping(body) { body in
      let loop = Loop(body: body, count: count)
      condition.lock()
      if !started { startWorkers() }
      current = loop
      generation.wrappingAdd(1, ordering: .releasing)
      if sleepers > 0 { condition.broadcast() }
      condition.unlock()
      loop.drain()
      // Indices another thread took: wait for them (yielding if that thread was preempted).
      var polls = 0
      while loop.unfinished.load(ordering: .acquiring) > 0 {
        polls &+= 1
        if polls & 1023 == 0 { sched_yield() } else { curvature_cpu_relax() }
      }
      // A worker that is late to this loop finds no index left and never calls `body` again;
      // drop the body so nothing outlives this call.
      condition.lock()
      current = nil
      loop.body = nil
      condition.unlock()
    }
  }

  /// Starts the worker threads (called once, under the lock).
  private func startWorkers() {
    started = true
    for i in 0..<workerCount {
      let thread = Thread { [self] in workerLoop() }
      thread.name = "curvature.worker.\(i)"
      thread.stackSize = 8 << 20
      thread.start()
    }
  }

  private func workerLoop() {
    let clock = ContinuousClock()
    var seen = 0
    while true {
      var g = generation.load(ordering: .acquiring)
      if g == seen {
        let deadline = clock.now.advanced(by: Self.spinDuration)
        var polls = 0
        while g == seen {
          polls &+= 1
          if polls & 255 == 0 && clock.now >= deadline {
            condition.lock()
            sleepers += 1
            while generation.load(ordering: .acquiring) == seen { condition.wait() }
            sleepers -= 1
            condition.unlock()
          } else {
            curvature_cpu_relax()
          }
          g = generation.load(ordering: .acquiring)
        }
      }
      seen = g
      condition.lock()
      let loop = current
      condition.unlock()
      loop?.drain()
    }
  }
}
