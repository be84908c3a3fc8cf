import CurvatureDistributed
import Foundation
import Testing

@Suite("Data-parallel objective under mpirun", .serialized)
struct DataParallelObjectiveTests {
  @Test("shards are contiguous, cover every sample once and differ in size by at most one")
  func evenShards() {
    for (count, ranks) in [(10, 3), (1797, 2), (2, 4), (0, 2), (7, 1)] {
      let shards = DataParallelObjective.evenShards(count: count, ranks: ranks)
      #expect(shards.count == ranks)
      #expect(shards.first?.lowerBound == 0)
      #expect(shards.last?.upperBound == count)
      for (a, b) in zip(shards, shards.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
      let sizes = shards.map(\.count)
      #expect(sizes.max()! - sizes.min()! <= 1)
    }
  }

  @Test(
    "loss, gradient, per-sample losses, HVPs and Gauss–Newton products match one process",
    .enabled(if: MPIJob.isAvailable))
  func selfCheck() throws {
    var fingerprints: [[String]] = []
    for ranks in [1, 2, 3] {
      let job = try MPIJob.run(ranks: ranks, ["selfcheck", "--json"])
      #expect(!job.timedOut)
      #expect(job.status == 0, "stderr: \(job.standardError)")
      let lines = job.standardOutput.split(separator: "\n")
      #expect(lines.count == 1, "only rank 0 prints: \(job.standardOutput)")
      let json = try jsonObject(String(lines.first ?? ""))
      #expect(json["ranks"] as? Int == ranks)
      let worst = try #require(json["worst_relative_difference"] as? Double)
      #expect(worst <= 1e-6, "against one process's single call")
      #expect(worst > 0, "the products were not split into shards")
      #expect(json["all_rank_bits_differ"] as? Double == 0)
      #expect(json["minibatch_rank_bits_differ"] as? Double == 0)
      fingerprints.append(
        json.keys.filter { $0.hasSuffix("_bits") }.sorted().map { json[$0] as? String ?? "" })
    }
    #expect(fingerprints[0].count == 6)
    #expect(fingerprints[1] == fingerprints[0], "2 ranks changed the bits of 1 rank")
    #expect(fingerprints[2] == fingerprints[0], "3 ranks changed the bits of 1 rank")
  }
}
