import Dispatch
import Foundation

/// The outcome of one refresh computation: the new pairs, what they cost, and how far the
/// basis moved.
struct RefreshOutcome: Sendable {
  /// The new eigenpairs.
  var result: EigenResult
  /// HVPs spent.
  var productCount: Int
  /// ‖UᵀV‖_F²/k against the basis in use when the refresh started.
  var overlap: Double?
  /// Whether the solver started from the previous basis.
  var warmStarted: Bool
  /// The solver tolerance and product cap the refresh ran with.
  var tolerance: Double = 0
  var productCap: Int = 0
  /// The eigenvalues' error bars (with ``DominantSubspaceTracker/Configuration/uncertainty``).
  var uncertainty: EigenvalueUncertainty? = nil
}

/// A refresh running on a background thread, to be installed at a fixed step
/// (``RefreshExecution/asynchronous(lag:objective:firstRefreshInBackground:)``).
///
/// Its inputs are fixed when it is launched, so its outcome does not depend on when the
/// background thread runs; ``wait()`` blocks until the outcome is there.
final class PendingRefresh: @unchecked Sendable {
  // `@unchecked Sendable`: every stored property is an immutable `let` of a Sendable type except
  // `outcome`, which the background thread writes exactly once before `group.leave()`, and the
  // owner reads only after `group.wait()` returns; the group orders the write before every read,
  // so there is no data race.
  /// The step at which the refresh was due (its parameters are w at that step).
  let launchStep: Int
  /// The step from which the new basis is used.
  let installStep: Int
  /// Why it was started.
  let reason: RefreshReason
  /// The parameters w at ``launchStep``.
  let parameters: [Float]
  /// The solver seed drawn from the tracker's stream at launch.
  let seed: UInt64
  /// The Hessian batch.
  let samples: SampleSet
  private let group = DispatchGroup()
  private var outcome: Result<RefreshOutcome, CurvatureError>? = nil

  init(
    launchStep: Int, installStep: Int, reason: RefreshReason, parameters: [Float], seed: UInt64,
    samples: SampleSet
  ) {
    self.samples = samples
    self.launchStep = launchStep
    self.installStep = installStep
    self.reason = reason
    self.parameters = parameters
    self.seed = seed
  }

  /// Starts `work` on a thread of its own (not a shared pool's, so a training loop that itself
  /// runs on pool threads cannot starve it). Errors other than `CurvatureError` are reported as
  /// `CurvatureError.invalidArgument(name: "asynchronous refresh", …)`.
  /// - Complexity: O(1) on the calling thread (plus starting a thread).
  func start(_ work: @escaping @Sendable () throws -> RefreshOutcome) {
    group.enter()
    let thread = Thread { [self] in
      let r: Result<RefreshOutcome, CurvatureError>
      do {
        r = .success(try work())
      } catch let error as CurvatureError {
        r = .failure(error)
      } catch {
        r = .failure(
          .invalidArgument(name: "asynchronous refresh", reason: String(describing: error)))
      }
      outcome = r
      group.leave()
    }
    thread.name = "Curvature refresh"
    thread.stackSize = 8 << 20
    thread.start()
  }

  /// Blocks until the refresh has finished and returns its outcome.
  /// - Complexity: the remaining time of the refresh.
  func wait() -> Result<RefreshOutcome, CurvatureError> {
    group.wait()
    return outcome!
  }
}

extension SampleSet {
  /// A compact text form for checkpoints: `"lo..<hi"` or comma-separated indices.
  var checkpointText: String {
    switch self {
    case .range(let r): return "\(r.lowerBound)..<\(r.upperBound)"
    case .indices(let i): return i.map(String.init).joined(separator: ",")
    }
  }

  /// Parses ``checkpointText`` (`nil` if malformed; bounds are checked by `validate`).
  init?(checkpointText text: String) {
    if let cut = text.range(of: "..<") {
      guard let lo = Int(text[..<cut.lowerBound]), let hi = Int(text[cut.upperBound...]),
        lo <= hi
      else { return nil }
      self = .range(lo..<hi)
      return
    }
    var indices: [Int] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      guard let i = Int(part) else { return nil }
      indices.append(i)
    }
    self = .indices(indices)
  }
}
