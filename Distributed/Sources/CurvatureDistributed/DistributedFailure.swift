/// A failure on one rank of an MPI job, reported identically on every rank.
///
/// ``Communicator/agree(_:)`` raises it on all ranks when any rank failed, so the whole job
/// stops with the failing rank's message instead of hanging in the next collective.
public struct DistributedFailure: Error, CustomStringConvertible, Sendable {
  /// The lowest rank that failed.
  public let rank: Int
  /// That rank's error message.
  public let message: String

  /// Creates the failure of `rank` with `message`.
  public init(rank: Int, message: String) {
    self.rank = rank
    self.message = message
  }

  public var description: String { "rank \(rank) failed: \(message)" }
}
