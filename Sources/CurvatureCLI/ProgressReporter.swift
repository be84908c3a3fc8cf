import Foundation

/// Progress of long work on standard error.
///
/// On a terminal it redraws one status line in place (`\r` + clear-to-end), at most ten times a
/// second; otherwise it prints a plain line every `interval` seconds (and at the end). Disabled
/// reporters (`--quiet`) print nothing.
///
/// ```swift
/// let progress = context.progress(total: steps, label: "sgd")
/// for step in 0..<steps {
///   ...
///   progress.update(step: step + 1, ["loss": String(format: "%.4f", loss), "λ₁": "…"])
/// }
/// progress.finish()
/// ```
public final class ProgressReporter {
  /// Steps expected (nil if unknown; then no ETA).
  public let total: Int?
  /// Prefix of every line.
  public let label: String
  /// Whether anything is printed.
  public let enabled: Bool
  /// Whether the status line is redrawn in place.
  public let isTerminal: Bool
  /// Seconds between plain lines when not on a terminal.
  public var interval: Double
  private let sink: (String) -> Void
  private let clock: () -> Double
  private let start: Double
  private var lastDraw = -Double.infinity
  private var lineOpen = false
  private var lastLine = ""

  /// Creates a reporter writing complete chunks of text to `sink`; `clock` returns seconds.
  public init(
    total: Int?, label: String, enabled: Bool, isTerminal: Bool, interval: Double = 2,
    clock: @escaping () -> Double = { Date().timeIntervalSinceReferenceDate },
    sink: @escaping (String) -> Void
  ) {
    self.total = total
    self.label = label
    self.enabled = enabled
    self.isTerminal = isTerminal
    self.interval = interval
    self.sink = sink
    self.clock = clock
    self.start = clock()
  }

  /// Seconds since the reporter was created.
  public var elapsed: Double { clock() - start }

  /// Reports that `step` steps are done, with named fields shown in order.
  public func update(step: Int, _ fields: KeyValuePairs<String, String> = [:]) {
    guard enabled else { return }
    let now = clock()
    let done = total.map { step >= $0 } ?? false
    let minimumGap = isTerminal ? 0.1 : interval
    guard done || now - lastDraw >= minimumGap else { return }
    lastDraw = now
    let line = format(step: step, fields: fields, now: now)
    lastLine = line
    if isTerminal {
      sink("\r\u{1B}[K" + line)
      lineOpen = true
    } else {
      sink(line + "\n")
    }
  }

  /// Prints a permanent line (clearing the status line first on a terminal).
  public func message(_ line: String) {
    guard enabled else { return }
    if isTerminal && lineOpen {
      sink("\r\u{1B}[K" + line + "\n" + lastLine)
    } else {
      sink(line + "\n")
    }
  }

  /// Ends the status line (a newline on a terminal).
  public func finish() {
    guard enabled else { return }
    if isTerminal && lineOpen {
      sink("\n")
      lineOpen = false
    }
  }

  func format(step: Int, fields: KeyValuePairs<String, String>, now: Double) -> String {
    var parts: [String] = []
    if let total {
      parts.append("step \(step)/\(total)")
    } else {
      parts.append("step \(step)")
    }
    for (k, v) in fields { parts.append("\(k) \(v)") }
    let seconds = now - start
    if let total, step > 0, step < total {
      let eta = seconds / Double(step) * Double(total - step)
      parts.append("ETA \(ProgressReporter.duration(eta))")
    } else {
      parts.append(ProgressReporter.duration(seconds))
    }
    return "\(label): " + parts.joined(separator: "  ")
  }

  /// "42s", "3m05s".
  static func duration(_ seconds: Double) -> String {
    let s = max(0, Int(seconds.rounded()))
    if s < 60 { return "\(s)s" }
    let m = s / 60
    let r = s % 60
    return "\(m)m" + (r < 10 ? "0" : "") + "\(r)s"
  }
}
