import Curvature
import CurvatureCLI
import CurvatureDistributed
import Foundation

/// The `curvature-mpi` tool: the data-parallel `train` and `spectrum` commands of `curvature`,
/// with the same flags and JSON, plus `selfcheck` and `benchmark`.
///
/// Every rank runs the same command. Arguments may contain `{rank}`, replaced by the rank
/// (for node-local copies of the data). Only rank 0 writes to standard output and writes files;
/// errors are printed by every rank, prefixed with its rank. Any failure on one rank makes every
/// rank stop with that rank's message and a non-zero status.
public enum MPICommand {
  /// Starts MPI, runs `arguments` on the world communicator, shuts MPI down and returns the
  /// exit status (the executable's entry point).
  public static func main(_ arguments: [String]) -> Int32 {
    let world: Communicator
    do {
      world = try Communicator.world()
    } catch {
      FileStream.standardError.write("curvature-mpi: error: \(error)\n")
      return 1
    }
    let status = run(arguments, world: world)
    world.finalize()
    return status
  }

  /// Runs `arguments` (without the program name) on `world` and returns the exit status.
  public static func run(_ arguments: [String], world: Communicator) -> Int32 {
    let words = arguments.map { $0.replacingOccurrences(of: "{rank}", with: "\(world.rank)") }
    let commands = self.commands(world: world)
    let printOutput = world.isPrimary
    func errorLine(_ message: String) {
      let prefix = world.size > 1 ? "curvature-mpi[rank \(world.rank)]" : "curvature-mpi"
      FileStream.standardError.write("\(prefix): error: \(message)\n")
    }
    guard let name = words.first, !name.hasPrefix("-") else {
      if printOutput { FileStream.standardOutput.write(usage(commands) + "\n") }
      return words.isEmpty ? 2 : (words.first == "--help" || words.first == "-h" ? 0 : 2)
    }
    guard let command = commands.first(where: { $0.name == name }) else {
      errorLine("unknown command '\(name)'; run 'curvature-mpi --help'")
      return 2
    }
    // Parsing is deterministic, so every rank fails or succeeds alike: no agreement needed.
    let parsed: ParsedArguments
    do {
      parsed = try ArgumentParser.parse(
        Array(words.dropFirst()), flags: command.flags, command: name)
    } catch {
      errorLine(error.message)
      return 2
    }
    let context = CommandContext(
      json: parsed.flag("json"), quiet: parsed.flag("quiet") || !world.isPrimary,
      standardOutput: { text in if printOutput { FileStream.standardOutput.write(text) } },
      standardError: { text in FileStream.standardError.write(text) })
    context.describe(command: name, arguments: parsed)
    if parsed.flag("help") {
      let text = command.helpText
        .replacingOccurrences(of: "USAGE: curvature ", with: "USAGE: mpirun -np R curvature-mpi ")
        .replacingOccurrences(of: "\n  curvature ", with: "\n  mpirun -np 2 curvature-mpi ")
        .replacingOccurrences(of: "curvature \(name) — ", with: "curvature-mpi \(name) — ")
      if printOutput { FileStream.standardOutput.write(text + "\n") }
      return 0
    }
    context.objectiveAdapter = { objective in
      try DataParallelObjective(
        local: objective, communicator: world, sampleCount: objective.sampleCount)
    }
    context.writesFiles = world.isPrimary
    var status: Int32
    var agreed = false
    var message = ""
    // Ranks sharing a machine with no more cores than ranks compute on one thread each, so
    // they do not oversubscribe the cores (the results are the same bits either way).
    let serial =
      world.localSize > 1 && world.localSize >= ProcessInfo.processInfo.activeProcessorCount
    do {
      status =
        try serial
        ? SerialScope.run { try command.run(parsed, context) } : command.run(parsed, context)
      if status != 0 { message = "\(name) exited with status \(status)" }
    } catch let failure as DistributedFailure {
      errorLine(failure.description)
      status = 1
      agreed = true
    } catch let error as UsageError {
      message = error.message
      status = 2
    } catch let error as CurvatureError {
      message = "\(name): \(error)"
      status = 2
    } catch {
      message = "\(name): \(error)"
      status = 1
    }
    if !message.isEmpty { errorLine(message) }
    if !agreed {
      // Lines up with whatever collective the other ranks wait in, so a failure here reaches
      // them instead of leaving them blocked.
      let outcome: Result<Void, any Error> =
        status == 0 ? .success(()) : .failure(RankFailure(message: message))
      do {
        try world.agree(outcome)
      } catch let failure as DistributedFailure {
        if status == 0 {
          errorLine(failure.description)
          status = 1
        }
      } catch {
        errorLine("\(error)")
        status = 1
      }
    }
    return status
  }

  static func commands(world: Communicator) -> [Command] {
    var list: [Command] = []
    for name in ["train", "spectrum"] {
      if let c = CurvatureCommand.command(named: name) { list.append(c) }
    }
    list.append(DistributedSelfCheck.command(world: world))
    list.append(DistributedBenchmark.command(world: world))
    return list
  }

  static func usage(_ commands: [Command]) -> String {
    var lines = [
      "curvature-mpi \(CurvatureLibrary.version) — data-parallel curvature over MPI", "",
      "USAGE: mpirun -np R curvature-mpi COMMAND [OPTIONS]", "", "COMMANDS:",
    ]
    let width = commands.map(\.name.count).max() ?? 0
    for c in commands {
      lines.append(
        "  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + c.summary)
    }
    lines += [
      "",
      "Flags and JSON are those of `curvature COMMAND`; `{rank}` in an argument is replaced by",
      "the rank. Exit status: 0 success, 1 failure (on any rank), 2 bad usage or input.",
    ]
    return lines.joined(separator: "\n")
  }
}

/// A rank's failure message, carried through the failure agreement.
struct RankFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
