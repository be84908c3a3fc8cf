/// A subcommand: its name, flag table, help and body. See `ArgumentParser.swift` for a walkthrough.
public struct Command: Sendable {
  /// The subcommand word (`curvature NAME ...`).
  public var name: String
  /// One line shown in the command list.
  public var summary: String
  /// A longer description shown by `--help` (may be empty).
  public var discussion: String
  /// The declared flags (the common `--help`, `--json`, `--quiet` are added by the parser).
  public var flags: [Flag]
  /// Complete example invocations shown by `--help` (at least one).
  public var examples: [String]
  /// The body: returns the exit status (0 success, 1 failure, 2 bad usage or input).
  public var run: @Sendable (ParsedArguments, CommandContext) throws -> Int32

  /// Declares a command.
  public init(
    name: String, summary: String, discussion: String = "", flags: [Flag], examples: [String],
    run: @escaping @Sendable (ParsedArguments, CommandContext) throws -> Int32
  ) {
    self.name = name
    self.summary = summary
    self.discussion = discussion
    self.flags = flags
    self.examples = examples
    self.run = run
  }

  /// The `--help` text.
  public var helpText: String {
    var lines: [String] = []
    lines.append("curvature \(name) — \(summary)")
    if !discussion.isEmpty {
      lines.append("")
      lines.append(discussion)
    }
    lines.append("")
    lines.append("USAGE: curvature \(name) [OPTIONS]")
    lines.append("")
    lines.append("OPTIONS:")
    let all = flags + ArgumentParser.commonFlags
    let heads = all.map { f -> String in
      var head = f.shortName.map { "-\($0), " } ?? "    "
      head += "--\(f.name)"
      if f.kind != .flag { head += " \(f.placeholder)" }
      return head
    }
    let width = min(36, heads.map(\.count).max() ?? 0)
    for (f, head) in zip(all, heads) {
      var text = f.help
      if f.required {
        text += " (required)"
      } else if let d = f.defaultValue {
        text += " (default: \(d))"
      }
      if head.count > width {
        lines.append("  \(head)")
        lines.append("  " + String(repeating: " ", count: width) + "  " + text)
      } else {
        lines.append(
          "  " + head.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + text)
      }
    }
    lines.append("")
    lines.append(examples.count == 1 ? "EXAMPLE:" : "EXAMPLES:")
    for e in examples { lines.append("  \(e)") }
    return lines.joined(separator: "\n")
  }
}
