import Foundation

/// When the Krylov–Schur driver next tests for convergence.
///
/// A test costs a dense eigenvalue problem of the basis size, comparable to an operator product
/// when products are cheap (small P). The worst wanted ratio ρ = ‖residual estimate‖ / (tolerance
/// · |θ|) falls roughly geometrically between tests; from its last two values the number of
/// steps until ρ ≤ ``near`` is extrapolated, and the next test comes after half of them (at
/// most ``maximumGap``). Below that, or while ρ is not falling, every step is tested, so a
/// converged set is normally found at the same step as with a test at every step. The driver
/// follows the schedule only once the basis holds 2k columns (smaller tests are cheap, and short
/// warm-started solves then cost no extra product). The schedule depends only on computed
/// values, so runs stay reproducible.
struct ConvergenceSchedule {
  /// The longest run of steps without a test.
  static let maximumGap = 6
  /// ρ below which every step is tested: near convergence the estimates fluctuate, and a step
  /// where they dip below the tolerance must not be skipped.
  static let near = 3.0
  /// Steps from the last test to the next one (1: every step).
  private(set) var gap = 1
  /// ρ at the last test.
  private var last: Double? = nil

  /// Records the worst ratio ρ of a test made `steps` steps after the previous one and sets
  /// the next gap. - Complexity: O(1).
  mutating func record(worst rho: Double, after steps: Int) {
    defer { last = rho }
    gap = 1
    guard let previous = last, rho.isFinite, previous.isFinite, rho > Self.near, rho < previous,
      steps > 0
    else { return }
    let perStep = log(previous / rho) / Double(steps)
    let remaining = log(rho / Self.near) / perStep
    gap = max(1, min(Self.maximumGap, Int(remaining / 2)))
  }
}
