import Foundation
import Synchronization
import Testing

@testable import Curvature

@Suite struct WorkerPoolTests {
  /// Every index runs exactly once, for loops of every size, back to back (the workers are
  /// still polling) and after the workers have gone to sleep.
  @Test func everyIndexRunsExactlyOnce() throws {
    let pool = WorkerPool.shared
    let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: 64)
    defer { hits.deallocate() }
    for round in 0..<2_000 {
      let count = round % 64
      hits.initialize(repeating: 0)
      pool.run(count) { hits[$0] += 1 }
      #expect(hits.prefix(count).allSatisfy { $0 == 1 })
      #expect(hits.dropFirst(count).allSatisfy { $0 == 0 })
      if round % 500 == 499 {
        // Longer than the spin: the next loop has to wake a sleeping worker.
        Thread.sleep(forTimeInterval: 0.002)
      }
    }
  }

  /// The loop returns only after every call has finished and its writes are visible.
  @Test func returnsAfterEveryCallWithItsWrites() {
    let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: 8 * 4096)
    defer { out.deallocate() }
    for round in 0..<200 {
      WorkerPool.shared.run(8) { part in
        for i in 0..<4096 { out[part * 4096 + i] = Double(round * 8 + part) + Double(i) * 1e-6 }
      }
      var ok = true
      for part in 0..<8 {
        for i in stride(from: 0, to: 4096, by: 511) {
          ok = ok && out[part * 4096 + i] == Double(round * 8 + part) + Double(i) * 1e-6
        }
      }
      #expect(ok)
    }
  }

  /// A loop started inside a loop body runs on the calling thread and completes.
  @Test func nestedLoopsComplete() {
    let total = Atomic<Int>(0)
    WorkerPool.shared.run(4) { _ in
      WorkerPool.shared.run(16) { j in total.wrappingAdd(j, ordering: .relaxed) }
    }
    #expect(total.load(ordering: .relaxed) == 4 * (0..<16).reduce(0, +))
  }

  /// Loops started from several threads at once all complete with every index run once
  /// (those that find the pool busy run on their own thread).
  @Test func concurrentCallersAllComplete() {
    let callers = 4
    let rounds = 300
    let complete = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: callers) { _ in
      for _ in 0..<rounds {
        let hits = Atomic<Int>(0)
        WorkerPool.shared.run(7) { i in hits.wrappingAdd(1 << (3 * i), ordering: .relaxed) }
        // Each of the 7 indices adds its own bit group once: 0o1111111.
        if hits.load(ordering: .relaxed) == 0o1111111 {
          complete.wrappingAdd(1, ordering: .relaxed)
        }
      }
    }
    #expect(complete.load(ordering: .relaxed) == callers * rounds)
  }

  /// The library's parallel loops give the same bits through the pool as serially.
  @Test func parallelResultsMatchSerial() {
    var rng = SeededGenerator(seed: 11)
    let p = 1 << 18
    let x = rng.gaussianVector(count: p)
    let y = rng.gaussianVector(count: p)
    let parallel = Kernels.dot(x, y)
    let serial = SerialScope.run { Kernels.dot(x, y) }
    #expect(parallel == serial)
  }
}
