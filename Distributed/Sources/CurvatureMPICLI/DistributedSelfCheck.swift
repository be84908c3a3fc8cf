import Curvature
import CurvatureCLI
import CurvatureDistributed
import CurvatureModels

/// `curvature-mpi selfcheck`: checks that the data-parallel objective reproduces the
/// single-process one on this job (loss, gradient, per-sample losses, HVP, block HVP,
/// Gauss–Newton product) and that every rank holds identical bits.
enum DistributedSelfCheck {
  static func command(world: Communicator) -> Command {
    Command(
      name: "selfcheck",
      summary: "check the data-parallel objective against one process, on every rank",
      discussion: """
        Builds an MLP 64-32-10 on the bundled digits (every rank holds the data; each evaluates
        its shard) and compares the data-parallel loss, gradient, per-sample losses, HVP, block
        HVP and Gauss–Newton product with the same quantities computed by one process, on a
        seeded minibatch and on all samples. Passes when the largest relative difference is
        ≤ 1e-6 and every rank holds identical bits.
        """,
      flags: [
        Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed")
      ],
      examples: ["mpirun -np 2 curvature-mpi selfcheck --json"],
      run: { arguments, context in try run(arguments, context, world: world) })
  }

  static func run(_ arguments: ParsedArguments, _ context: CommandContext, world: Communicator)
    throws -> Int32
  {
    let seed = UInt64(arguments.int("seed"))
    let data = try ClassificationData.digits()
    let model = try MLP(layerSizes: [64, 32, 10], activation: .tanh, data: data)
    let parallel = try DataParallelObjective(
      local: model, communicator: world, sampleCount: model.sampleCount)
    let w = model.initialParameters(seed: seed)
    var rng = SeededGenerator(seed: seed &+ 1)
    let p = model.parameterCount
    let v = (0..<(3 * p)).map { _ in Float(rng.nextGaussian()) }
    let direction = Array(v[0..<p])
    let minibatch = SampleSet.indices((0..<97).map { _ in rng.nextInt(below: model.sampleCount) })
    var worst = 0.0
    var report: [(String, Double)] = []
    var fingerprints: [(String, JSONValue)] = []
    /// FNV-1a over the bits: equal fingerprints from jobs on different numbers of ranks mean
    /// the data-parallel results did not change with the number of ranks.
    func fingerprint(_ values: [Float]) -> String {
      var h: UInt64 = 0xcbf2_9ce4_8422_2325
      for x in values {
        h ^= UInt64(x.bitPattern)
        h &*= 0x100_0000_01b3
      }
      return String(h, radix: 16)
    }

    func relative(_ a: [Float], _ b: [Float]) -> Double {
      var num = 0.0
      var den = 0.0
      for (x, y) in zip(a, b) {
        num = max(num, abs(Double(x) - Double(y)))
        den = max(den, abs(Double(y)))
      }
      return num / max(den, 1e-30)
    }
    func record(_ name: String, _ value: Double) {
      report.append((name, value))
      worst = max(worst, value)
    }

    for (label, samples) in [("minibatch", minibatch), ("all", SampleSet.all(model.sampleCount))] {
      let (l1, g1) = try model.lossAndGradient(at: w, samples: samples)
      let (l2, g2) = try parallel.lossAndGradient(at: w, samples: samples)
      record("\(label)_loss", abs(l1 - l2) / abs(l1))
      record("\(label)_gradient", relative(g2, g1))
      let h1 = try model.hessianVectorProduct(at: w, samples: samples, direction: direction)
      let h2 = try parallel.hessianVectorProduct(at: w, samples: samples, direction: direction)
      record("\(label)_hvp", relative(h2, h1))
      let s1 = try model.perSampleLosses(at: w, samples: samples)
      let s2 = try parallel.perSampleLosses(at: w, samples: samples)
      record(
        "\(label)_per_sample_losses",
        zip(s1, s2).map { abs($0 - $1) / max(abs($0), 1e-30) }.max() ?? 0)
      var b1 = [Float](repeating: 0, count: 3 * p)
      var b2 = b1
      try w.withUnsafeBufferPointer { wp in
        try v.withUnsafeBufferPointer { vp in
          try b1.withUnsafeMutableBufferPointer {
            try model.hessianVectorProducts(
              at: wp, samples: samples, directions: vp, count: 3, into: $0)
          }
          try b2.withUnsafeMutableBufferPointer {
            try parallel.hessianVectorProducts(
              at: wp, samples: samples, directions: vp, count: 3, into: $0)
          }
        }
      }
      record("\(label)_block_hvp", relative(b2, b1))
      var n1 = [Float](repeating: 0, count: p)
      var n2 = n1
      try w.withUnsafeBufferPointer { wp in
        try direction.withUnsafeBufferPointer { vp in
          try n1.withUnsafeMutableBufferPointer {
            try model.gaussNewtonVectorProduct(at: wp, samples: samples, direction: vp, into: $0)
          }
          try n2.withUnsafeMutableBufferPointer {
            try parallel.gaussNewtonVectorProduct(
              at: wp, samples: samples, direction: vp, into: $0)
          }
        }
      }
      record("\(label)_gauss_newton", relative(n2, n1))
      fingerprints += [
        ("\(label)_gradient_bits", .string(fingerprint(g2))),
        ("\(label)_hvp_bits", .string(fingerprint(h2))),
        ("\(label)_block_hvp_bits", .string(fingerprint(b2))),
        ("\(label)_loss", .number(l2)),
      ]
      // Identical bits on every rank: the data-parallel gradient's bits, broadcast from rank 0.
      var fromRoot = g2
      try fromRoot.withUnsafeMutableBufferPointer { try world.broadcast($0, from: 0) }
      let identical = fromRoot.elementsEqual(g2) { $0.bitPattern == $1.bitPattern }
      let allIdentical = try world.collectively { () throws -> Bool in
        if !identical {
          throw CurvatureError.invalidArgument(
            name: "gradient", reason: "bits differ from rank 0's")
        }
        return true
      }
      record("\(label)_rank_bits_differ", allIdentical ? 0 : 1)
    }
    let passed = worst <= 1e-6
    if context.json {
      var fields: [(String, JSONValue)] = [
        ("ranks", .int(world.size)), ("parameters", .int(p)),
        ("samples", .int(model.sampleCount)),
      ]
      fields += report.map { ($0.0, .number($0.1)) }
      fields += fingerprints
      fields += [("worst_relative_difference", .number(worst)), ("passed", .bool(passed))]
      try context.emit(.object(fields))
    } else {
      context.write("data-parallel objective on \(world.size) rank(s), P = \(p)")
      for (name, value) in report { context.write("  \(name): \(value)") }
      context.write(passed ? "self-check passed" : "self-check FAILED (worst \(worst))")
    }
    return passed ? 0 : 1
  }
}
