import Foundation
import Testing

@testable import CurvatureCLI

@Suite struct CommandTests {
  struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ arguments: [String]) -> Outcome {
    final class Box: @unchecked Sendable {
      var out = ""
      var err = ""
    }
    let box = Box()
    let status = CurvatureCommand.run(
      arguments, standardOutput: { box.out += $0 }, standardError: { box.err += $0 })
    return Outcome(status: status, stdout: box.out, stderr: box.err)
  }

  @Test func registryHasTheDocumentedCommands() {
    let names = CurvatureCommand.commands.map(\.name)
    for name in [
      "demo", "train", "compare", "spectrum", "stabilization", "reproduce", "help", "selfcheck",
    ] {
      #expect(names.contains(name))
    }
    #expect(Set(names).count == names.count)
  }

  @Test func everyCommandHasAnExampleAndValidFlagTable() throws {
    for command in CurvatureCommand.commands {
      #expect(!command.examples.isEmpty, "\(command.name) has no example")
      #expect(command.examples.allSatisfy { $0.contains("curvature") })
      let names = (command.flags + ArgumentParser.commonFlags).map(\.name)
      #expect(Set(names).count == names.count, "\(command.name) declares a flag twice")
      for flag in command.flags {
        #expect(!flag.help.isEmpty)
        if let d = flag.defaultValue {
          #expect(throws: Never.self, "\(command.name) --\(flag.name) default '\(d)'") {
            _ = try ArgumentParser.parseValue(d, for: flag, command: command.name)
          }
        }
      }
    }
  }

  @Test func everyCommandAnswersHelpWithItsExample() {
    for command in CurvatureCommand.commands {
      let o = Self.run([command.name, "--help"])
      #expect(o.status == 0)
      #expect(o.stderr.isEmpty)
      #expect(o.stdout.contains("USAGE: curvature \(command.name)"))
      #expect(o.stdout.contains(command.examples[0]))
      for flag in command.flags { #expect(o.stdout.contains("--\(flag.name)")) }
    }
    #expect(Self.run(["help", "spectrum"]).stdout.contains("--matrix"))
    #expect(Self.run(["--help"]).stdout.contains("COMMANDS:"))
    #expect(Self.run(["help"]).stdout.contains("stabilization"))
  }

  @Test func usageErrorsAreOneLineOnStderrWithStatusTwo() {
    let cases: [[String]] = [
      ["no-such-command"],
      ["train", "--bogus"],
      ["train", "--steps"],
      ["train", "--steps", "many"],
      ["train", "--learning-rate", "-1"],
      ["spectrum", "--k", "3"],
      ["stabilization", "--estimator", "magic"],
      ["help", "nothing"],
      ["demo", "stray"],
    ]
    for words in cases {
      let o = Self.run(words)
      #expect(o.status == 2, "\(words)")
      #expect(o.stdout.isEmpty, "\(words)")
      #expect(o.stderr.hasPrefix("curvature: error: "), "\(words)")
      #expect(o.stderr.filter { $0 == "\n" }.count == 1, "\(words): \(o.stderr)")
    }
    #expect(Self.run(["trian"]).stderr.contains("did you mean 'train'?"))
  }

  @Test func selfcheckJSONIsOneObjectAndNothingElse() throws {
    let o = Self.run(["selfcheck", "--json"])
    #expect(o.status == 0)
    let object = try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: Any]
    #expect(object?["passed"] as? Bool == true)
    #expect(o.stdout.filter { $0 == "\n" }.count == 1)
  }

  @Test func selfcheckPasses() {
    let o = Self.run(["selfcheck"])
    #expect(o.status == 0)
    #expect(o.stdout.contains("self-check passed"))
  }
}
