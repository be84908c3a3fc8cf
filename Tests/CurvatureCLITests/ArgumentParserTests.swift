import Testing

@testable import CurvatureCLI

@Suite struct ArgumentParserTests {
  static let flags: [Flag] = [
    Flag("k", .positiveInteger, default: "10", help: "k"),
    Flag("sigma", .positiveNumber, default: "1e-3", help: "σ"),
    Flag("shift", .number, help: "a real that may be negative"),
    Flag("which", .choice(["largest", "smallest"]), default: "largest", help: "end"),
    Flag("matrix", .string, required: true, help: "file"),
    Flag("grid", .intList(1...1000), default: "8,16", help: "grid"),
    Flag("weights", .doubleList(0...1), help: "weights"),
    Flag("names", .stringList, help: "names"),
    Flag("verbose", .flag, short: "v", help: "verbose"),
  ]

  func parse(_ words: [String]) throws(UsageError) -> ParsedArguments {
    try ArgumentParser.parse(words, flags: Self.flags, command: "test")
  }

  func failure(_ words: [String]) -> String? {
    do {
      _ = try parse(words)
      return nil
    } catch {
      return error.message
    }
  }

  @Test func defaultsApplyWhenFlagsAreAbsent() throws {
    let a = try parse(["--matrix", "h.npy"])
    #expect(a.int("k") == 10)
    #expect(a.double("sigma") == 1e-3)
    #expect(a.string("which") == "largest")
    #expect(a.ints("grid") == [8, 16])
    #expect(a.optionalDouble("shift") == nil)
    #expect(a.doubles("weights") == [])
    #expect(a.flag("verbose") == false)
    #expect(a.flag("json") == false)
    #expect(a.flag("quiet") == false)
    #expect(!a.isSet("k"))
    #expect(a.isSet("matrix"))
  }

  @Test func bothValueSyntaxesAndShortSwitches() throws {
    let a = try parse([
      "--matrix=h.npy", "--k", "3", "--sigma=2.5e-2", "--which", "smallest", "--grid", "1, 2,3",
      "--weights=0.5,1", "--names", "a,b", "-v", "--json", "-q",
    ])
    #expect(a.string("matrix") == "h.npy")
    #expect(a.int("k") == 3)
    #expect(a.double("sigma") == 0.025)
    #expect(a.string("which") == "smallest")
    #expect(a.ints("grid") == [1, 2, 3])
    #expect(a.doubles("weights") == [0.5, 1])
    #expect(a.strings("names") == ["a", "b"])
    #expect(a.flag("verbose") && a.flag("json") && a.flag("quiet"))
  }

  @Test func negativeNumbersAreValuesNotFlags() throws {
    let a = try parse(["--matrix", "m", "--shift", "-2.5"])
    #expect(a.optionalDouble("shift") == -2.5)
    let b = try parse(["--matrix", "m", "--shift", "-1e-3"])
    #expect(b.optionalDouble("shift") == -1e-3)
  }

  @Test func unknownFlagIsNamedWithASuggestion() {
    #expect(
      failure(["--matrix", "m", "--sigm", "1"])
        == "test: unknown option '--sigm'; did you mean '--sigma'?")
    #expect(failure(["--matrix", "m", "--zzzzzz"])?.contains("unknown option '--zzzzzz'") == true)
    #expect(failure(["--matrix", "m", "-x"])?.contains("unknown option '-x'") == true)
  }

  @Test func missingValues() {
    #expect(failure(["--matrix"]) == "test: option '--matrix' needs a value (VALUE)")
    #expect(failure(["--matrix", "m", "--k", "--json"]) == "test: option '--k' needs a value (N)")
    #expect(failure(["--matrix", "m", "--k="]) == "test: --k: '' is not an integer")
  }

  @Test func badValues() {
    #expect(failure(["--matrix", "m", "--k", "ten"]) == "test: --k: 'ten' is not an integer")
    #expect(failure(["--matrix", "m", "--k", "0"]) == "test: --k: 0 must be at least 1")
    #expect(
      failure(["--matrix", "m", "--sigma", "nan"]) == "test: --sigma: 'nan' is not a finite number")
    #expect(
      failure(["--matrix", "m", "--sigma", "inf"]) == "test: --sigma: 'inf' is not a finite number")
    #expect(failure(["--matrix", "m", "--sigma", "0"]) == "test: --sigma: 0 must be > 0")
    #expect(
      failure(["--matrix", "m", "--which", "middle"])
        == "test: --which: 'middle' is not one of largest, smallest")
    #expect(
      failure(["--matrix", "m", "--grid", "8,,16"])
        == "test: --grid: expected a comma-separated list, got '8,,16'")
    #expect(
      failure(["--matrix", "m", "--grid", "8,2000"])
        == "test: --grid: 2000 must be between 1 and 1000")
    #expect(
      failure(["--matrix", "m", "--weights", "0.5,2"])
        == "test: --weights: 2 must be ≥ 0.0 and ≤ 1.0")
    #expect(failure(["--matrix", ""]) == "test: --matrix: value must not be empty")
    #expect(
      failure(["--matrix", "m", "--verbose=yes"])
        == "test: option '--verbose' takes no value (got 'yes')")
  }

  @Test func strayWordsRepeatsAndMissingRequired() {
    #expect(
      failure(["--matrix", "m", "extra"])
        == "test: unexpected argument 'extra'; options start with '--'")
    #expect(
      failure(["--matrix", "m", "--k", "1", "--k", "2"])
        == "test: option '--k' given more than once")
    #expect(failure([]) == "test: missing required option '--matrix VALUE'")
  }

  @Test func helpDoesNotNeedRequiredFlags() throws {
    let a = try parse(["--help"])
    #expect(a.flag("help"))
  }

  @Test func messagesAreSingleLines() {
    for words in [["--bogus"], ["--k"], ["--matrix", "m", "--k", "x"], [], ["word"]] {
      let message = failure(words)
      #expect(message != nil)
      #expect(message?.contains("\n") == false)
    }
  }

  @Test func editDistance() {
    #expect(ArgumentParser.editDistance("kitten", "sitting") == 3)
    #expect(ArgumentParser.editDistance("", "abc") == 3)
    #expect(ArgumentParser.editDistance("same", "same") == 0)
  }
}
