import Curvature
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a command writes: stdout for results, stderr for notes and progress.
///
/// The executable uses the process streams; tests pass closures that capture the text.
public final class CommandContext {
  /// `--json` was given: the command must print exactly one JSON object on stdout (via `emit`).
  public let json: Bool
  /// `--quiet` was given: no notes and no progress.
  public let quiet: Bool
  /// Whether standard error is a terminal (progress then redraws one status line).
  public let errorIsTerminal: Bool
  private let standardOutput: (String) -> Void
  private let standardError: (String) -> Void
  private var emitted = false
  /// Fields every JSON object of this invocation starts with (``describe(command:arguments:)``).
  private var provenance: [(String, JSONValue)] = []

  /// Wraps every objective a command trains or measures, for tools that extend this one (e.g.
  /// `curvature-mpi` wraps it in a data-parallel objective). The identity by default.
  public var objectiveAdapter: (any DifferentiableObjective) throws -> any DifferentiableObjective =
    { $0 }
  /// Whether the command writes files (reports, checkpoints, saved arrays); `curvature-mpi`
  /// clears it on every rank but 0. Commands still validate output paths when it is false.
  public var writesFiles = true

  /// Creates a context writing through the given sinks (each call receives complete text,
  /// including its trailing newline where there is one).
  public init(
    json: Bool = false, quiet: Bool = false, errorIsTerminal: Bool = false,
    standardOutput: @escaping (String) -> Void, standardError: @escaping (String) -> Void
  ) {
    self.json = json
    self.quiet = quiet
    self.errorIsTerminal = errorIsTerminal
    self.standardOutput = standardOutput
    self.standardError = standardError
  }

  /// A context on the process's own stdout and stderr.
  public static func process(json: Bool, quiet: Bool) -> CommandContext {
    CommandContext(
      json: json, quiet: quiet, errorIsTerminal: isatty(2) == 1,
      standardOutput: { text in
        FileHandle.standardOutput.write(Data(text.utf8))
      },
      standardError: { text in
        FileHandle.standardError.write(Data(text.utf8))
      })
  }

  /// Writes a line of human-readable output to stdout (suppressed under `--json`).
  public func write(_ line: String) {
    if json { return }
    standardOutput(line + "\n")
  }

  /// Records what produced this invocation's output: the command, the library version and the
  /// value of every flag (given or default, `--json`/`--quiet`/`--help` left out), so that every
  /// JSON object says which settings produced it.
  public func describe(command: String, arguments: ParsedArguments) {
    let skipped: Set<String> = ["json", "quiet", "help"]
    let settings: [(String, JSONValue)] = arguments.values.keys.sorted().compactMap { name in
      guard !skipped.contains(name), let value = arguments.values[name] else { return nil }
      let json: JSONValue
      switch value {
      case .bool(let b): json = .bool(b)
      case .int(let i): json = .int(i)
      case .double(let x): json = x.isFinite ? .number(x) : .string("\(x)")
      case .string(let s): json = .string(s)
      case .ints(let v): json = .array(v.map { .int($0) })
      case .doubles(let v): json = .array(v.map { $0.isFinite ? .number($0) : .string("\($0)") })
      case .strings(let v): json = .array(v.map { .string($0) })
      }
      return (name, json)
    }
    provenance = [
      ("command", .string(command)), ("version", .string(CurvatureLibrary.version)),
      ("settings", .object(settings)),
    ]
  }

  /// Writes the command's one JSON object to stdout. An object starts with the command, the
  /// library version and the settings that produced it (see ``describe(command:arguments:)``)
  /// unless it already has those keys.
  /// - Throws: `JSONError` if a number is not finite; the second call traps (one object only).
  public func emit(_ value: JSONValue) throws {
    precondition(!emitted, "a command emits at most one JSON object")
    var value = value
    if case .object(let fields) = value {
      let present = Set(fields.map(\.0))
      value = .object(provenance.filter { !present.contains($0.0) } + fields)
    }
    let text = try value.serialized()
    emitted = true
    standardOutput(text + "\n")
  }

  /// Writes a diagnostic line to stderr (suppressed by `--quiet`).
  public func note(_ line: String) {
    if quiet { return }
    standardError(line + "\n")
  }

  /// Writes an error line to stderr (never suppressed).
  public func error(_ message: String) {
    standardError("curvature: error: \(message)\n")
  }

  /// A progress reporter on stderr for `total` steps (nil if unknown), silent under `--quiet`.
  public func progress(total: Int?, label: String) -> ProgressReporter {
    ProgressReporter(
      total: total, label: label, enabled: !quiet, isTerminal: errorIsTerminal, sink: standardError)
  }

  /// Raw stdout access (help text is printed even under `--json`).
  func writeOutput(_ text: String) { standardOutput(text) }
}
