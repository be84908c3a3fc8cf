import Curvature
import CurvatureCLI
import CurvatureDistributed
import CurvatureModels

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `curvature-mpi benchmark`: seconds per gradient and per HVP of the data-parallel objective,
/// split into local compute and communication, with the bytes reduced per product.
enum DistributedBenchmark {
  static func command(world: Communicator) -> Command {
    Command(
      name: "benchmark",
      summary: "time gradients and HVPs of the data-parallel objective on this job",
      discussion: """
        Times the data-parallel gradient and Hessian-vector product of an MLP on the bundled
        digits (all samples, or --hessian-batch of them) against the same product computed by
        one rank on its own shard, so the communication share is measured in the same run.
        Reports the best and median of --repeats products.
        """,
      flags: [
        Flag(
          "hidden", .string, default: "1024,1024", placeholder: "SIZES",
          help: "hidden layer sizes of the MLP 64-…-10"),
        Flag(
          "hessian-batch", .positiveInteger, default: "1797", placeholder: "N",
          help: "samples per product (the first N)"),
        Flag("repeats", .positiveInteger, default: "10", placeholder: "R", help: "timed products"),
        Flag("seed", .nonNegativeInteger, default: "1", placeholder: "S", help: "random seed"),
        Flag(
          "one-thread", .flag,
          help: "compute on one thread per rank even when the rank is alone on its machine"),
      ],
      examples: ["mpirun -np 2 curvature-mpi benchmark --hidden 1024,1024 --json"],
      run: { arguments, context in try run(arguments, context, world: world) })
  }

  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  static func run(_ arguments: ParsedArguments, _ context: CommandContext, world: Communicator)
    throws -> Int32
  {
    if arguments.flag("one-thread") && !SerialScope.isActive {
      return try SerialScope.run { try run(arguments, context, world: world) }
    }
    let hidden = arguments.string("hidden").split(separator: ",").map { Int($0) }
    guard !hidden.isEmpty, hidden.allSatisfy({ ($0 ?? 0) > 0 }) else {
      throw UsageError("--hidden: expected positive sizes like 1024,1024")
    }
    let data = try ClassificationData.digits()
    let n = arguments.int("hessian-batch")
    if n > data.count {
      throw UsageError("--hessian-batch \(n) exceeds the \(data.count) samples")
    }
    let model = try MLP(
      layerSizes: [64] + hidden.map { $0! } + [10], activation: .tanh, data: data)
    let parallel = try DataParallelObjective(
      local: model, communicator: world, sampleCount: model.sampleCount)
    let seed = UInt64(arguments.int("seed"))
    let w = model.initialParameters(seed: seed)
    var rng = SeededGenerator(seed: seed &+ 1)
    let p = model.parameterCount
    let v = (0..<p).map { _ in Float(rng.nextGaussian()) }
    var out = [Float](repeating: 0, count: p)
    let samples = SampleSet.range(0..<n)
    let shard = parallel.shard.clamped(to: 0..<n)
    let repeats = arguments.int("repeats")

    func time(_ body: () throws -> Void) throws -> [Double] {
      try body()  // warm-up
      var times: [Double] = []
      for _ in 0..<repeats {
        try world.barrier()
        let t0 = now()
        try body()
        times.append(now() - t0)
      }
      return times.sorted()
    }
    let hvp = try time {
      try w.withUnsafeBufferPointer { wp in
        try v.withUnsafeBufferPointer { vp in
          try out.withUnsafeMutableBufferPointer {
            try parallel.hessianVectorProduct(at: wp, samples: samples, direction: vp, into: $0)
          }
        }
      }
    }
    let localHVP = try time {
      if shard.isEmpty { return }
      try w.withUnsafeBufferPointer { wp in
        try v.withUnsafeBufferPointer { vp in
          try out.withUnsafeMutableBufferPointer {
            try model.hessianVectorProduct(
              at: wp, samples: .range(shard), direction: vp, into: $0)
          }
        }
      }
    }
    let gradient = try time {
      try w.withUnsafeBufferPointer { wp in
        try out.withUnsafeMutableBufferPointer {
          _ = try parallel.gradient(at: wp, samples: samples, into: $0)
        }
      }
    }
    let before = world.bytesCommunicated
    try w.withUnsafeBufferPointer { wp in
      try v.withUnsafeBufferPointer { vp in
        try out.withUnsafeMutableBufferPointer {
          try parallel.hessianVectorProduct(at: wp, samples: samples, direction: vp, into: $0)
        }
      }
    }
    let bytes = world.bytesCommunicated - before
    func median(_ t: [Double]) -> Double { t[t.count / 2] }
    if context.json {
      try context.emit([
        "ranks": .int(world.size), "one_thread_per_rank": .bool(SerialScope.isActive),
        "parameters": .int(p), "samples": .int(n),
        "hvp_seconds_best": .number(hvp[0]), "hvp_seconds_median": .number(median(hvp)),
        "local_hvp_seconds_best": .number(localHVP[0]),
        "local_hvp_seconds_median": .number(median(localHVP)),
        "gradient_seconds_best": .number(gradient[0]),
        "gradient_seconds_median": .number(median(gradient)),
        "bytes_per_hvp_rank0": .int(bytes),
      ])
    } else {
      context.write(
        "ranks \(world.size)\(SerialScope.isActive ? " (one thread each)" : ""), P = \(p), "
          + "\(n) samples per product")
      context.write(
        "HVP        best \(fmt(hvp[0])) ms, median \(fmt(median(hvp))) ms "
          + "(local shard compute: best \(fmt(localHVP[0])) ms)")
      context.write("gradient   best \(fmt(gradient[0])) ms, median \(fmt(median(gradient))) ms")
      context.write("bytes moved per HVP on rank 0: \(bytes)")
    }
    return 0
  }

  static func fmt(_ seconds: Double) -> String {
    let ms = (seconds * 1e5).rounded() / 100
    return "\(ms)"
  }
}
