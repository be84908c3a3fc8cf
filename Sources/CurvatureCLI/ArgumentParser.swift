// The command-line argument parser: small, table-driven, no dependencies.
//
// HOW TO WRITE A SUBCOMMAND
//
//   enum SpectrumCommand {
//     static let command = Command(
//       name: "spectrum",
//       summary: "Top-k eigenpairs of a symmetric matrix stored as .npy",
//       flags: [
//         Flag("matrix", .string, required: true, placeholder: "FILE.npy",
//              help: "square symmetric float32/float64 matrix"),
//         Flag("k", .positiveInteger, default: "6", help: "number of eigenpairs"),
//         Flag("tolerance", .positiveNumber, default: "1e-4", help: "relative residual tolerance"),
//         Flag("which", .choice(["largest", "smallest"]), default: "largest", help: "end of the spectrum"),
//       ],
//       examples: ["curvature spectrum --matrix H.npy --k 10 --json"],
//       run: run)
//
//     static func run(_ arguments: ParsedArguments, _ context: CommandContext) throws -> Int32 {
//       let k = arguments.int("k")                  // default applied, range already checked
//       let path = arguments.string("matrix")      // required: present, or parsing failed
//       if k < 1 { throw UsageError("--k must be at least 1") }   // extra checks: throw UsageError
//       ...
//       if context.json {
//         try context.emit(.object(["eigenvalues": .numbers(values), "matvecs": .int(n)]))
//       } else {
//         context.write("λ₁ = \(values[0])")
//       }
//       return 0
//     }
//   }
//
// and list `SpectrumCommand.command` in `CurvatureCommand.commands`.
//
// Syntax accepted: `--name value`, `--name=value`, and `--name` alone for `.flag` switches.
// Every command automatically gets `--help`/`-h`, `--json` and `--quiet`/`-q`; read them as
// `context.json` / `context.quiet` (or `arguments.flag("json")`).
//
// Value kinds (`FlagKind`): `.flag`, `.integer`/`.positiveInteger`/`.nonNegativeInteger`/
// `.int(range)`, `.number`/`.positiveNumber`/`.nonNegativeNumber`/`.double(range)` (always finite),
// `.string`, `.choice([...])`, and comma-separated lists `.intList(range)`, `.doubleList(range)`,
// `.stringList`. Defaults are written as strings and parsed exactly like user input (a test checks
// every default of every registered command).
//
// Accessors on `ParsedArguments`: `flag(_:)`, `int(_:)`, `double(_:)`, `string(_:)`,
// `ints(_:)`, `doubles(_:)`, `strings(_:)` return the value (the user's or the default); the
// `optional…` forms return nil when the flag has no default and was not given; `isSet(_:)` tells
// whether the user wrote the flag. Asking for an undeclared flag or the wrong kind is a programming
// error (it traps; the registry tests catch it).
//
// Errors: unknown flags, missing values, bad values and missing required flags raise `UsageError`;
// the dispatcher prints it as one line on stderr (`curvature: error: ...`) and exits with status 2.
// A `CurvatureError` thrown from a command body (bad input file, k ≥ dimension, ...) is reported
// the same way with status 2; any other error gives status 1.
//
// Output: write human text with `context.write`, JSON with `context.emit` (one object, nothing
// else on stdout), diagnostics with `context.note` (stderr; silenced by --quiet), and long work
// through `context.progress(total:label:)` (a single updating status line on a terminal, plain
// periodic lines otherwise, nothing under --quiet; always stderr).

/// A command-line mistake: printed as one line on standard error, exit status 2.
public struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The message, without the `curvature: error:` prefix.
  public var message: String
  /// Creates an error with `message`.
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The kind of value a flag takes, with the range it must lie in.
public enum FlagKind: Sendable, Equatable {
  /// A switch: present means true; takes no value.
  case flag
  /// An integer within `range`.
  case int(ClosedRange<Int>)
  /// A finite real number within `range`.
  case double(ClosedRange<Double>)
  /// Any string (a path, a model description, ...).
  case string
  /// One of the listed words.
  case choice([String])
  /// A comma-separated list of integers, each within `range`.
  case intList(ClosedRange<Int>)
  /// A comma-separated list of finite reals, each within `range`.
  case doubleList(ClosedRange<Double>)
  /// A comma-separated list of non-empty strings.
  case stringList

  /// Any integer.
  public static let integer = FlagKind.int(Int.min...Int.max)
  /// An integer ≥ 1.
  public static let positiveInteger = FlagKind.int(1...Int.max)
  /// An integer ≥ 0.
  public static let nonNegativeInteger = FlagKind.int(0...Int.max)
  /// Any finite real.
  public static let number = FlagKind.double(
    -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude)
  /// A finite real > 0.
  public static let positiveNumber = FlagKind.double(
    Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude)
  /// A finite real ≥ 0.
  public static let nonNegativeNumber = FlagKind.double(0...Double.greatestFiniteMagnitude)

  /// The placeholder shown in help when the flag declares none.
  var defaultPlaceholder: String {
    switch self {
    case .flag: return ""
    case .int: return "N"
    case .double: return "X"
    case .string: return "VALUE"
    case .choice(let words): return words.joined(separator: "|")
    case .intList: return "N,N,…"
    case .doubleList: return "X,X,…"
    case .stringList: return "A,B,…"
    }
  }
}

/// One declared flag of a command: its name (without `--`), kind, default and help text.
public struct Flag: Sendable {
  /// The name, written `--name` on the command line.
  public var name: String
  /// The kind of value and its allowed range.
  public var kind: FlagKind
  /// The default, written as the user would type it; nil for none.
  public var defaultValue: String?
  /// Whether the user must give the flag.
  public var required: Bool
  /// The word shown for the value in help (e.g. `FILE.npy`).
  public var placeholder: String
  /// One line of help.
  public var help: String
  /// A one-letter alias (e.g. `q` for `-q`), or nil.
  public var shortName: Character?

  /// Declares a flag.
  public init(
    _ name: String, _ kind: FlagKind, default defaultValue: String? = nil, required: Bool = false,
    placeholder: String? = nil, short shortName: Character? = nil, help: String
  ) {
    self.name = name
    self.kind = kind
    self.defaultValue = defaultValue
    self.required = required
    self.placeholder = placeholder ?? kind.defaultPlaceholder
    self.help = help
    self.shortName = shortName
  }
}

/// A parsed value.
public enum FlagValue: Sendable, Equatable {
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case ints([Int])
  case doubles([Double])
  case strings([String])
}

/// The flags of one invocation after parsing and validation.
public struct ParsedArguments: Sendable {
  /// Values by flag name: what the user gave, else the default.
  public private(set) var values: [String: FlagValue]
  /// Names of the flags the user wrote.
  public private(set) var given: Set<String>

  init(values: [String: FlagValue], given: Set<String>) {
    self.values = values
    self.given = given
  }

  /// Whether the user wrote `--name`.
  public func isSet(_ name: String) -> Bool { given.contains(name) }

  /// The same arguments with `name` set to `value` (as a default, not as given by the user).
  func replacing(_ name: String, with value: FlagValue) -> ParsedArguments {
    var copy = self
    copy.values[name] = value
    return copy
  }

  /// A `.flag` switch (false when absent).
  public func flag(_ name: String) -> Bool {
    guard let v = values[name] else { return false }
    guard case .bool(let b) = v else { wrongKind(name, "flag") }
    return b
  }
  /// An integer flag with a default or required.
  public func int(_ name: String) -> Int { unwrap(optionalInt(name), name) }
  /// An integer flag, or nil when absent without default.
  public func optionalInt(_ name: String) -> Int? {
    guard let v = values[name] else { return nil }
    guard case .int(let x) = v else { wrongKind(name, "int") }
    return x
  }
  /// A real flag with a default or required.
  public func double(_ name: String) -> Double { unwrap(optionalDouble(name), name) }
  /// A real flag, or nil when absent without default.
  public func optionalDouble(_ name: String) -> Double? {
    guard let v = values[name] else { return nil }
    guard case .double(let x) = v else { wrongKind(name, "double") }
    return x
  }
  /// A string or choice flag with a default or required.
  public func string(_ name: String) -> String { unwrap(optionalString(name), name) }
  /// A string or choice flag, or nil when absent without default.
  public func optionalString(_ name: String) -> String? {
    guard let v = values[name] else { return nil }
    guard case .string(let x) = v else { wrongKind(name, "string") }
    return x
  }
  /// An integer-list flag (empty when absent without default).
  public func ints(_ name: String) -> [Int] {
    guard let v = values[name] else { return [] }
    guard case .ints(let x) = v else { wrongKind(name, "int list") }
    return x
  }
  /// A real-list flag (empty when absent without default).
  public func doubles(_ name: String) -> [Double] {
    guard let v = values[name] else { return [] }
    guard case .doubles(let x) = v else { wrongKind(name, "double list") }
    return x
  }
  /// A string-list flag (empty when absent without default).
  public func strings(_ name: String) -> [String] {
    guard let v = values[name] else { return [] }
    guard case .strings(let x) = v else { wrongKind(name, "string list") }
    return x
  }

  private func unwrap<T>(_ value: T?, _ name: String) -> T {
    guard let value else {
      preconditionFailure(
        "flag --\(name) has no default and is not required; use the optional accessor")
    }
    return value
  }

  private func wrongKind(_ name: String, _ asked: String) -> Never {
    preconditionFailure("flag --\(name) read as \(asked) but declared otherwise")
  }
}

/// Parses command-line words against a flag table.
public enum ArgumentParser {
  /// Flags every command accepts.
  public static let commonFlags: [Flag] = [
    Flag("help", .flag, short: "h", help: "show this help"),
    Flag("json", .flag, help: "print one JSON object on stdout and nothing else"),
    Flag("quiet", .flag, short: "q", help: "no progress output"),
  ]

  /// Parses `words` against `flags` (plus `commonFlags`).
  ///
  /// - Throws: `UsageError` for an unknown flag, a missing or bad value, a repeated flag, a stray
  ///   positional word, or a missing required flag (unless `--help` was given).
  /// - Complexity: O(words + flags).
  public static func parse(_ words: [String], flags: [Flag], command: String) throws(UsageError)
    -> ParsedArguments
  {
    let all = flags + commonFlags
    var byName: [String: Flag] = [:]
    var byShort: [Character: Flag] = [:]
    for f in all {
      byName[f.name] = f
      if let s = f.shortName { byShort[s] = f }
    }
    var values: [String: FlagValue] = [:]
    var given: Set<String> = []
    var i = 0
    while i < words.count {
      let word = words[i]
      i += 1
      let flag: Flag
      var inlineValue: String?
      if word.hasPrefix("--"), word.count > 2 {
        var name = String(word.dropFirst(2))
        if let eq = name.firstIndex(of: "=") {
          inlineValue = String(name[name.index(after: eq)...])
          name = String(name[..<eq])
        }
        guard let f = byName[name] else {
          throw UsageError(
            "\(command): unknown option '--\(name)'\(suggestion(for: name, among: all))")
        }
        flag = f
      } else if word.hasPrefix("-"), word.count == 2, let c = word.last, !c.isNumber {
        guard let f = byShort[c] else {
          throw UsageError(
            "\(command): unknown option '\(word)'; run 'curvature \(command) --help'")
        }
        flag = f
      } else {
        throw UsageError("\(command): unexpected argument '\(word)'; options start with '--'")
      }
      if given.contains(flag.name) {
        throw UsageError("\(command): option '--\(flag.name)' given more than once")
      }
      given.insert(flag.name)
      if case .flag = flag.kind {
        if let inlineValue {
          throw UsageError(
            "\(command): option '--\(flag.name)' takes no value (got '\(inlineValue)')")
        }
        values[flag.name] = .bool(true)
        continue
      }
      let raw: String
      if let inlineValue {
        raw = inlineValue
      } else {
        guard i < words.count, !looksLikeFlag(words[i]) else {
          throw UsageError(
            "\(command): option '--\(flag.name)' needs a value (\(flag.placeholder))")
        }
        raw = words[i]
        i += 1
      }
      values[flag.name] = try parseValue(raw, for: flag, command: command)
    }
    let helpWanted = values["help"] == .bool(true)
    for f in all where values[f.name] == nil {
      if let d = f.defaultValue {
        values[f.name] = try parseValue(d, for: f, command: command)
      } else if case .flag = f.kind {
        values[f.name] = .bool(false)
      } else if f.required && !helpWanted {
        throw UsageError("\(command): missing required option '--\(f.name) \(f.placeholder)'")
      }
    }
    return ParsedArguments(values: values, given: given)
  }

  /// Whether a word is an option rather than a value (negative numbers are values).
  static func looksLikeFlag(_ word: String) -> Bool {
    guard word.hasPrefix("-"), word.count >= 2 else { return false }
    return Double(word) == nil
  }

  /// Parses one value (user input or a default) for `flag`.
  static func parseValue(_ raw: String, for flag: Flag, command: String) throws(UsageError)
    -> FlagValue
  {
    let label = "\(command): --\(flag.name)"
    switch flag.kind {
    case .flag:
      return .bool(true)
    case .int(let range):
      return .int(try parseInt(raw, range: range, label: label))
    case .double(let range):
      return .double(try parseDouble(raw, range: range, label: label))
    case .string:
      guard !raw.isEmpty else { throw UsageError("\(label): value must not be empty") }
      return .string(raw)
    case .choice(let words):
      guard words.contains(raw) else {
        throw UsageError("\(label): '\(raw)' is not one of \(words.joined(separator: ", "))")
      }
      return .string(raw)
    case .intList(let range):
      var out: [Int] = []
      for item in try listItems(raw, label: label) {
        out.append(try parseInt(item, range: range, label: label))
      }
      return .ints(out)
    case .doubleList(let range):
      var out: [Double] = []
      for item in try listItems(raw, label: label) {
        out.append(try parseDouble(item, range: range, label: label))
      }
      return .doubles(out)
    case .stringList:
      return .strings(try listItems(raw, label: label))
    }
  }

  private static func listItems(_ raw: String, label: String) throws(UsageError) -> [String] {
    let items = raw.split(separator: ",", omittingEmptySubsequences: false).map {
      String($0).trimmingWhitespace()
    }
    guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
      throw UsageError("\(label): expected a comma-separated list, got '\(raw)'")
    }
    return items
  }

  private static func parseInt(_ raw: String, range: ClosedRange<Int>, label: String)
    throws(UsageError) -> Int
  {
    guard let v = Int(raw.replacingUnderscores()) else {
      throw UsageError("\(label): '\(raw)' is not an integer")
    }
    guard range.contains(v) else { throw UsageError("\(label): \(v) \(describe(range))") }
    return v
  }

  private static func parseDouble(_ raw: String, range: ClosedRange<Double>, label: String)
    throws(UsageError)
    -> Double
  {
    guard let v = Double(raw), v.isFinite else {
      throw UsageError("\(label): '\(raw)' is not a finite number")
    }
    guard range.contains(v) else { throw UsageError("\(label): \(raw) \(describe(range))") }
    return v
  }

  static func describe(_ range: ClosedRange<Int>) -> String {
    switch (range.lowerBound == Int.min, range.upperBound == Int.max) {
    case (true, true): return "is out of range"
    case (false, true): return "must be at least \(range.lowerBound)"
    case (true, false): return "must be at most \(range.upperBound)"
    case (false, false): return "must be between \(range.lowerBound) and \(range.upperBound)"
    }
  }

  static func describe(_ range: ClosedRange<Double>) -> String {
    let low: String? =
      range.lowerBound == Double.leastNonzeroMagnitude
      ? "> 0" : range.lowerBound <= -Double.greatestFiniteMagnitude ? nil : "≥ \(range.lowerBound)"
    let high: String? =
      range.upperBound >= Double.greatestFiniteMagnitude ? nil : "≤ \(range.upperBound)"
    switch (low, high) {
    case (let l?, let h?): return "must be \(l) and \(h)"
    case (let l?, nil): return "must be \(l)"
    case (nil, let h?): return "must be \(h)"
    case (nil, nil): return "is out of range"
    }
  }

  /// " (did you mean '--x'?)" for a close declared name, or a pointer to --help.
  static func suggestion(for name: String, among flags: [Flag]) -> String {
    var best: (String, Int)?
    for f in flags {
      let d = editDistance(name, f.name)
      if d <= max(1, f.name.count / 3), best == nil || d < best!.1 { best = (f.name, d) }
    }
    if let best { return "; did you mean '--\(best.0)'?" }
    return "; run with --help to see the options"
  }

  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        current[j] = min(
          previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}

extension String {
  func trimmingWhitespace() -> String {
    var s = Substring(self)
    while let c = s.first, c.isWhitespace { s = s.dropFirst() }
    while let c = s.last, c.isWhitespace { s = s.dropLast() }
    return String(s)
  }

  func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
