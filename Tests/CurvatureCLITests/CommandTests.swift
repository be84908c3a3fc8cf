import Testing

@testable import CurvatureCLI

@Suite struct CommandTests {
  @Test func unknownSubcommandExitsWithTwo() {
    #expect(CurvatureCommand.run(["no-such-command"]) == 2)
  }
}
