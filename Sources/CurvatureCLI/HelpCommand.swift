/// `curvature help [COMMAND]`: the command list, or one command's options.
enum HelpCommand {
  static let command = Command(
    name: "help",
    summary: "show the commands, or one command's options",
    discussion: "Give a command name (`curvature help spectrum`) for its options and examples.",
    flags: [
      Flag("command", .string, placeholder: "NAME", help: "the command to describe")
    ],
    examples: ["curvature help", "curvature help train"],
    run: run)

  static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
    guard let name = arguments.optionalString("command") else {
      context.write(CurvatureCommand.usage)
      return 0
    }
    guard let c = CurvatureCommand.command(named: name) else {
      throw UsageError("help: unknown command '\(name)'\(CurvatureCommand.suggestion(for: name))")
    }
    context.write(c.helpText)
    return 0
  }
}
