import CMPI
import Curvature

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The processes of an MPI job (`MPI_COMM_WORLD`), with the few collectives the library needs.
///
/// Every collective is deterministic: a reduction adds the per-rank `Double` partial sums of
/// each element in rank order on exactly one rank and shares the rounded result, so every rank
/// holds the same bits whatever the timing. Collectives must be called by every rank, in the same order,
/// from the thread that created the communicator (MPI is initialised with
/// `MPI_THREAD_FUNNELED`); a call from another thread throws instead of deadlocking.
///
/// Failures are collective too: ``agree(_:)`` turns an error on any rank into the same
/// ``DistributedFailure`` on every rank, so a rank that cannot read its input makes the whole
/// job stop with one clear message instead of leaving the others waiting in a reduction.
public final class Communicator: @unchecked Sendable {
  /// This process's rank, 0 ..< ``size``.
  public let rank: Int
  /// The number of processes.
  public let size: Int
  /// Whether this is rank 0, the only rank that writes output, reports and checkpoints.
  public var isPrimary: Bool { rank == 0 }
  /// The number of ranks on this machine (sharing its memory), this one included.
  public let localSize: Int

  private let comm: MPI_Comm
  private let owner: pthread_t
  private var finalized = false
  /// Bytes this rank sent and received through collectives (payload only), for cost figures.
  public private(set) var bytesCommunicated = 0
  /// The number of collective operations this rank took part in.
  public private(set) var collectiveCount = 0

  nonisolated(unsafe) private static var shared: Communicator?

  /// The world communicator; initialises MPI on first use (later calls return the same one).
  ///
  /// Works without `mpirun` too (a singleton job of one rank).
  /// - Throws: `CurvatureError.unsupported` if MPI cannot start.
  public static func world() throws(CurvatureError) -> Communicator {
    if let c = shared { return c }
    var provided: Int32 = 0
    var argc: Int32 = 0
    var isInitialised: Int32 = 0
    MPI_Initialized(&isInitialised)
    if isInitialised == 0 {
      let status = MPI_Init_thread(&argc, nil, Int32(MPI_THREAD_FUNNELED), &provided)
      if status != cmpi_success() {
        throw .unsupported("MPI_Init_thread failed with status \(status)")
      }
    }
    guard let comm = cmpi_comm_world() else { throw .unsupported("MPI_COMM_WORLD is unavailable") }
    MPI_Comm_set_errhandler(comm, cmpi_errors_return())
    var rank: Int32 = 0
    var size: Int32 = 0
    MPI_Comm_rank(comm, &rank)
    MPI_Comm_size(comm, &size)
    var local: MPI_Comm?
    var localSize: Int32 = 1
    if MPI_Comm_split_type(comm, cmpi_comm_type_shared(), rank, cmpi_info_null(), &local)
      == cmpi_success()
    {
      MPI_Comm_size(local, &localSize)
      MPI_Comm_free(&local)
    }
    let c = Communicator(comm: comm, rank: Int(rank), size: Int(size), localSize: Int(localSize))
    shared = c
    return c
  }

  private init(comm: MPI_Comm, rank: Int, size: Int, localSize: Int) {
    self.comm = comm
    self.rank = rank
    self.size = size
    self.localSize = localSize
    self.owner = pthread_self()
  }

  /// Shuts MPI down (collective; call once, at the end of the program, on every rank).
  public func finalize() {
    if finalized { return }
    finalized = true
    MPI_Finalize()
  }

  /// Ends the whole job at once with `status` (every rank), for failures outside collectives.
  public func abort(status: Int32) -> Never {
    MPI_Abort(comm, status)
    exit(status)
  }

  // MARK: - Failure agreement

  /// Makes every rank agree on whether the step each just performed succeeded.
  ///
  /// Call on every rank with its own outcome. If any rank failed, every rank throws the same
  /// ``DistributedFailure``, naming the lowest failing rank and its message.
  /// - Complexity: one small all-gather, plus one broadcast of the message on failure.
  public func agree<T>(_ outcome: Result<T, any Error>) throws -> T {
    try checkThread()
    var mine: Int64 = 0
    var message = ""
    switch outcome {
    case .success: mine = 0
    case .failure(let error):
      mine = 1
      message = (error as? DistributedFailure)?.message ?? String(describing: error)
    }
    var statuses = [Int64](repeating: 0, count: size)
    try call("MPI_Allgather") {
      statuses.withUnsafeMutableBufferPointer { all in
        MPI_Allgather(&mine, 1, cmpi_int64(), all.baseAddress, 1, cmpi_int64(), comm)
      }
    }
    account(bytes: 8 * size)
    guard let failing = statuses.firstIndex(of: 1) else {
      if case .success(let value) = outcome { return value }
      fatalError("unreachable: a failure was gathered as success")
    }
    let text = try broadcast(string: message, from: failing)
    throw DistributedFailure(rank: failing, message: text)
  }

  /// Runs `body` on this rank and makes every rank agree on its outcome (see ``agree(_:)``).
  public func collectively<T>(_ body: () throws -> T) throws -> T {
    let outcome: Result<T, any Error>
    do { outcome = .success(try body()) } catch { outcome = .failure(error) }
    return try agree(outcome)
  }

  // MARK: - Reductions

  /// Sums `local` over the ranks, divides by `divisor` and writes the result, rounded to
  /// `Float`, into `out` on every rank.
  ///
  /// Deterministic reduce-scatter then all-gather: element range j (an even split of the
  /// `count` elements) is owned by rank j, which receives every rank's `Double` partial of it
  /// (an all-to-all), adds them in rank order 0, 1, …, R − 1, divides, rounds to `Float`, and
  /// shares the rounded range with every rank (an all-gather). Each element is therefore
  /// computed once, in a fixed order, and every rank holds its bits.
  /// - Complexity: each rank sends and receives (R − 1)/R · 8·count bytes in the all-to-all and
  ///   (R − 1)/R · 4·count in the all-gather; 2 collectives whatever R.
  public func sum(
    _ local: UnsafeBufferPointer<Double>, divisor: Double,
    into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    try reduce(local, divisor: divisor, into: out, datatype: cmpi_float()) { Float($0) }
  }

  /// Sums `local` over the ranks, divides by `divisor` and writes the `Double` result into
  /// `out` on every rank (same deterministic scheme as ``sum(_:divisor:into:)-(_,_,UnsafeMutableBufferPointer<Float>)``).
  public func sum(
    _ local: UnsafeBufferPointer<Double>, divisor: Double,
    into out: UnsafeMutableBufferPointer<Double>
  ) throws {
    try reduce(local, divisor: divisor, into: out, datatype: cmpi_double()) { $0 }
  }

  private func reduce<T>(
    _ local: UnsafeBufferPointer<Double>, divisor: Double, into out: UnsafeMutableBufferPointer<T>,
    datatype: MPI_Datatype?, convert: (Double) -> T
  ) throws {
    try checkThread()
    let n = local.count
    precondition(out.count == n, "sum: sizes differ")
    if size == 1 {
      for i in 0..<n { out[i] = convert(local[i] / divisor) }
      return
    }
    let ranges = Self.split(n, parts: size)
    let mine = ranges[rank]
    // All-to-all: rank j receives every rank's partial of range j, stored rank after rank.
    var sendCounts = ranges.map { Int32($0.count) }
    var sendOffsets = ranges.map { Int32($0.lowerBound) }
    var receiveCounts = [Int32](repeating: Int32(mine.count), count: size)
    var receiveOffsets = (0..<size).map { Int32($0 * mine.count) }
    var received = [Double](repeating: 0, count: mine.count * size)
    try call("MPI_Alltoallv") {
      received.withUnsafeMutableBufferPointer { r in
        MPI_Alltoallv(
          local.baseAddress, &sendCounts, &sendOffsets, cmpi_double(), r.baseAddress,
          &receiveCounts, &receiveOffsets, cmpi_double(), comm)
      }
    }
    // Rank order, in Double, then scale and round once.
    var segment = [T]()
    segment.reserveCapacity(mine.count)
    received.withUnsafeBufferPointer { r in
      for i in 0..<mine.count {
        var total = r[i]
        for q in 1..<size { total += r[q * mine.count + i] }
        segment.append(convert(total / divisor))
      }
    }
    var gatherCounts = ranges.map { Int32($0.count) }
    var gatherOffsets = ranges.map { Int32($0.lowerBound) }
    try call("MPI_Allgatherv") {
      segment.withUnsafeBufferPointer { sp in
        MPI_Allgatherv(
          sp.baseAddress, Int32(mine.count), datatype, out.baseAddress, &gatherCounts,
          &gatherOffsets, datatype, comm)
      }
    }
    let width = MemoryLayout<T>.size
    account(bytes: (n - mine.count) * 8 + mine.count * (size - 1) * 8 + (n - mine.count) * width)
  }

  /// An even split of `count` elements into `parts` contiguous ranges (the first
  /// `count % parts` one longer).
  static func split(_ count: Int, parts: Int) -> [Range<Int>] {
    let base = count / parts
    let extra = count % parts
    var start = 0
    return (0..<parts).map { r in
      let n = base + (r < extra ? 1 : 0)
      defer { start += n }
      return start..<(start + n)
    }
  }

  /// Broadcasts `values` from rank `root` (in place on every rank).
  public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, from root: Int = 0) throws {
    try checkThread()
    if size == 1 { return }
    try call("MPI_Bcast") {
      MPI_Bcast(values.baseAddress, Int32(values.count), cmpi_float(), Int32(root), comm)
    }
    account(bytes: 4 * values.count)
  }

  /// Broadcasts a string from rank `root`; every rank returns root's text.
  public func broadcast(string: String, from root: Int = 0) throws -> String {
    try checkThread()
    if size == 1 { return string }
    var bytes = Array(string.utf8).map { CChar(bitPattern: $0) }
    var length = Int64(bytes.count)
    try call("MPI_Bcast") { MPI_Bcast(&length, 1, cmpi_int64(), Int32(root), comm) }
    if rank != root { bytes = [CChar](repeating: 0, count: Int(length)) }
    if length > 0 {
      try call("MPI_Bcast") {
        bytes.withUnsafeMutableBufferPointer {
          MPI_Bcast($0.baseAddress, Int32(length), cmpi_char(), Int32(root), comm)
        }
      }
    }
    account(bytes: 8 + Int(length))
    return String(decoding: bytes.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Waits until every rank reaches this point.
  public func barrier() throws {
    try checkThread()
    try call("MPI_Barrier") { MPI_Barrier(comm) }
  }

  // MARK: - Internals

  private func checkThread() throws(CurvatureError) {
    if pthread_equal(pthread_self(), owner) == 0 {
      throw .unsupported(
        "MPI collectives must run on the thread that started MPI (asynchronous refreshes are not "
          + "available with a data-parallel objective)")
    }
  }

  private func call(_ name: String, _ body: () -> Int32) throws(CurvatureError) {
    collectiveCount += 1
    let status = body()
    if status != cmpi_success() {
      throw .unsupported("\(name) failed with MPI status \(status)")
    }
  }

  private func account(bytes: Int) { bytesCommunicated += bytes }
}
