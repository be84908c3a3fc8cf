import Curvature

/// The `curvature` command-line tool: entry point shared by the executable and the tests.
public enum CurvatureCommand {
  /// Every subcommand, in the order `curvature help` lists them.
  public static let commands: [Command] = [
    DemoCommand.command,
    TrainCommand.command,
    CompareCommand.command,
    SpectrumCommand.command,
    StabilizationCommand.command,
    ReproduceCommand.command,
    SelfCheckCommand.command,
    HelpCommand.command,
  ]

  /// The command named `name`, if any.
  public static func command(named name: String) -> Command? {
    commands.first { $0.name == name }
  }

  /// Runs the tool with `arguments` (without the program name) on the process's streams and
  /// returns the exit status. No arguments (or only options) runs the demo.
  public static func run(_ arguments: [String]) -> Int32 {
    run(arguments) { json, quiet in CommandContext.process(json: json, quiet: quiet) }
  }

  /// Runs the tool writing through the given sinks (for tests).
  public static func run(
    _ arguments: [String], errorIsTerminal: Bool = false,
    standardOutput: @escaping (String) -> Void, standardError: @escaping (String) -> Void
  ) -> Int32 {
    run(arguments) { json, quiet in
      CommandContext(
        json: json, quiet: quiet, errorIsTerminal: errorIsTerminal, standardOutput: standardOutput,
        standardError: standardError)
    }
  }

  static func run(
    _ arguments: [String], makeContext: (_ json: Bool, _ quiet: Bool) -> CommandContext
  ) -> Int32 {
    var words = arguments
    let command: Command
    if let first = words.first, !first.hasPrefix("-") {
      guard let found = self.command(named: first) else {
        makeContext(false, false).error(
          "unknown command '\(first)'\(suggestion(for: first)); run 'curvature help'")
        return 2
      }
      command = found
      words.removeFirst()
      if found.name == HelpCommand.command.name, let topic = words.first, !topic.hasPrefix("-") {
        words[0...0] = ["--command", topic]  // `curvature help spectrum`
      }
      if found.name == ReproduceCommand.command.name, let paper = words.first, !paper.hasPrefix("-")
      {
        words[0...0] = ["--paper", paper]  // `curvature reproduce kiselev2026`
      }
    } else if let first = words.first, first == "--help" || first == "-h" {
      makeContext(false, false).write(usage)
      return 0
    } else {
      command = DemoCommand.command
    }
    let parsed: ParsedArguments
    do {
      parsed = try ArgumentParser.parse(words, flags: command.flags, command: command.name)
    } catch {
      makeContext(false, false).error(error.message)
      return 2
    }
    let context = makeContext(parsed.flag("json"), parsed.flag("quiet"))
    context.describe(command: command.name, arguments: parsed)
    if parsed.flag("help") {
      context.writeOutput(command.helpText + "\n")
      return 0
    }
    do {
      return try command.run(parsed, context)
    } catch let error as UsageError {
      context.error(error.message)
      return 2
    } catch let error as CurvatureError {
      context.error("\(command.name): \(error)")
      return 2
    } catch {
      context.error("\(command.name): \(error)")
      return 1
    }
  }

  static func suggestion(for name: String) -> String {
    let close = commands.map { ($0.name, ArgumentParser.editDistance(name, $0.name)) }
      .filter { $0.1 <= 2 }.min { $0.1 < $1.1 }
    return close.map { " (did you mean '\($0.0)'?)" } ?? ""
  }

  /// The top-level help.
  static var usage: String {
    let width = commands.map(\.name.count).max() ?? 0
    var lines = [
      "curvature \(CurvatureLibrary.version) — curvature-aware training",
      "",
      "USAGE: curvature [COMMAND] [OPTIONS]     (no command runs the demo)",
      "",
      "COMMANDS:",
    ]
    for c in commands {
      lines.append(
        "  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + c.summary)
    }
    lines.append("")
    lines.append("Every command accepts --help (with an example), --json and --quiet.")
    lines.append("Exit status: 0 success, 1 failure, 2 bad usage or bad input.")
    lines.append("")
    lines.append("EXAMPLES:")
    lines.append(
      "  curvature                       # the demo: SGD, Dom-SGD, Bulk-SGD on digits + report")
    lines.append("  curvature help spectrum         # the options of one command")
    return lines.joined(separator: "\n")
  }
}
