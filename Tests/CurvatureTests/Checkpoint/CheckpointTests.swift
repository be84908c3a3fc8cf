import Foundation
import Testing

@testable import Curvature

@Suite struct CheckpointTests {
  static func temporaryPath(_ name: String) -> String {
    NSTemporaryDirectory() + "curvature-\(name)-\(ProcessInfo.processInfo.processIdentifier).ckpt"
  }

  /// Runs steps `range` of a seeded minibatch training loop with tracker and optimizer.
  static func run<O: Optimizer>(
    _ range: Range<Int>, fx: QuadraticFixture, w: inout [Float], optimizer: inout O,
    tracker: DominantSubspaceTracker, rng: inout SeededGenerator
  ) throws {
    for _ in range {
      let batch = SampleSet.indices((0..<4).map { _ in rng.nextInt(below: fx.n) })
      let (_, g) = try fx.objective.lossAndGradient(at: w, samples: batch)
      try tracker.step(&optimizer, parameters: &w, gradient: g, minibatch: batch)
    }
  }

  static func makeTracker(_ fx: QuadraticFixture) throws -> DominantSubspaceTracker {
    try DominantSubspaceTracker(
      objective: fx.objective,
      configuration: .init(
        k: 4, hessianBatch: .minibatch, refresh: .every(3),
        switchRule: SwitchRule(threshold: 0.3, target: .interpolated(dominant: 0.2, bulk: 1)),
        seed: 8))
  }

  static func makeOptimizer() -> ScheduledOptimizer<ClippedOptimizer<ProjectedOptimizer<SGD>>> {
    SGD(learningRate: 0.01, momentum: 0.9, nesterov: true)
      .projected(.full, placement: .update)
      .clipped(maxNorm: 50)
      .scheduled(.linearWarmup(steps: 5, then: .cosine(steps: 30)))
  }

  @Test func resumedRunIsBitIdentical() throws {
    let fx = try QuadraticFixture()
    let w0 = [Float](repeating: 0.3, count: fx.p)
    // Uninterrupted.
    var w = w0
    var opt = Self.makeOptimizer()
    var rng = SeededGenerator(seed: 77)
    let tracker = try Self.makeTracker(fx)
    try Self.run(0..<20, fx: fx, w: &w, optimizer: &opt, tracker: tracker, rng: &rng)
    // Interrupted at step 10 and resumed from a file by fresh objects.
    var w2 = w0
    var opt2 = Self.makeOptimizer()
    var rng2 = SeededGenerator(seed: 77)
    let tracker2 = try Self.makeTracker(fx)
    try Self.run(0..<10, fx: fx, w: &w2, optimizer: &opt2, tracker: tracker2, rng: &rng2)
    let path = Self.temporaryPath("resume")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Checkpoint(
      step: 10, parameters: w2, optimizer: opt2.snapshot(), tracker: tracker2.snapshot(),
      generator: rng2, metadata: ["model": "quadratic"]
    ).write(to: path)
    let loaded = try Checkpoint.read(from: path)
    #expect(loaded.step == 10 && loaded.metadata["model"] == "quadratic")
    var w3 = loaded.parameters
    var opt3 = Self.makeOptimizer()
    try opt3.restore(loaded.optimizer)
    var rng3 = try #require(loaded.generator)
    let tracker3 = try Self.makeTracker(fx)
    try tracker3.restore(try #require(loaded.tracker))
    try Self.run(10..<20, fx: fx, w: &w3, optimizer: &opt3, tracker: tracker3, rng: &rng3)
    #expect(w3 == w)
    #expect(tracker3.snapshot() == tracker.snapshot())
    #expect(opt3.snapshot() == opt.snapshot())
    #expect(tracker.hasSwitched && tracker.refreshCount == 7)
  }

  @Test func roundTripsAdamStateExactly() throws {
    var opt = Adam.adamW(learningRate: 0.01).projected(.bulk)
    var w: [Float] = [1, -2, 3, 0.5]
    try opt.step(parameters: &w, gradient: [0.1, 0.2, -0.3, 1e-30])
    let c = Checkpoint(step: 1, parameters: w, optimizer: opt.snapshot())
    let back = try Checkpoint.decode(try c.encoded())
    #expect(back == c)
  }

  @Test func malformedFilesThrowTypedErrors() throws {
    let c = Checkpoint(
      step: 3, parameters: [1, 2, 3], optimizer: SGD(learningRate: 0.1).snapshot())
    let bytes = try c.encoded()
    func expectMalformed(_ b: [UInt8]) {
      #expect {
        try Checkpoint.decode(b, path: "x.ckpt")
      } throws: { error in
        if case .malformedFile(path: "x.ckpt", _) = error as? CurvatureError { return true }
        return false
      }
    }
    expectMalformed([])
    expectMalformed(Array(bytes.dropLast(5)))
    var flipped = bytes
    flipped[30] ^= 0x01
    expectMalformed(flipped)
    var magic = bytes
    magic[0] = 0x41
    expectMalformed(magic)
    // A consistent checksum over a broken header is still rejected.
    var broken = Array(bytes.dropLast(8))
    broken[20] = UInt8(ascii: "[")
    let sum = Checkpoint.checksum(broken[...])
    withUnsafeBytes(of: sum.littleEndian) { broken.append(contentsOf: $0) }
    expectMalformed(broken)
    #expect(throws: CurvatureError.self) { try Checkpoint.read(from: "/nonexistent/dir/x.ckpt") }
    #expect(throws: CurvatureError.self) { try c.write(to: "/nonexistent/dir/x.ckpt") }
  }

  @Test func writeReplacesAtomically() throws {
    let path = Self.temporaryPath("atomic")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Checkpoint(step: 1, parameters: [1], optimizer: SGD(learningRate: 1).snapshot()).write(
      to: path)
    try Checkpoint(step: 2, parameters: [2], optimizer: SGD(learningRate: 1).snapshot()).write(
      to: path)
    #expect(try Checkpoint.read(from: path).step == 2)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
      .filter { $0.hasPrefix("curvature-atomic") && $0.contains(".tmp-") }
    #expect(leftovers.isEmpty)
  }
}
