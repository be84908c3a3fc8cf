import Testing

@testable import CurvatureCLI

@Suite struct ProgressReporterTests {
  final class Recorder {
    var chunks: [String] = []
    var now = 0.0
  }

  func reporter(_ r: Recorder, terminal: Bool, enabled: Bool = true, total: Int? = 100)
    -> ProgressReporter
  {
    ProgressReporter(
      total: total, label: "sgd", enabled: enabled, isTerminal: terminal, interval: 2,
      clock: { r.now },
      sink: { r.chunks.append($0) })
  }

  @Test func terminalRedrawsOneLine() {
    let r = Recorder()
    let p = reporter(r, terminal: true)
    r.now = 1
    p.update(step: 10, ["loss": "0.5"])
    r.now = 1.05  // too soon: skipped
    p.update(step: 11, ["loss": "0.4"])
    r.now = 2
    p.update(step: 20, ["loss": "0.3"])
    p.finish()
    #expect(
      r.chunks == [
        "\r\u{1B}[Ksgd: step 10/100  loss 0.5  ETA 9s",
        "\r\u{1B}[Ksgd: step 20/100  loss 0.3  ETA 8s", "\n",
      ])
  }

  @Test func plainLinesArePeriodicAndTheLastStepIsAlwaysShown() {
    let r = Recorder()
    let p = reporter(r, terminal: false)
    for step in 1...100 {
      r.now = Double(step) * 0.1
      p.update(step: step, ["loss": "x"])
    }
    p.finish()
    #expect(r.chunks.count == 6)  // at 0.1 s, then every 2 s (2.1 … 8.1), and step 100
    #expect(r.chunks.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
    #expect(r.chunks.last == "sgd: step 100/100  loss x  10s\n")
  }

  @Test func messagesKeepTheStatusLine() {
    let r = Recorder()
    let p = reporter(r, terminal: true)
    p.update(step: 1)
    p.message("refreshed")
    #expect(r.chunks.last == "\r\u{1B}[Krefreshed\n" + "sgd: step 1/100  ETA 0s")
  }

  @Test func quietPrintsNothing() {
    let r = Recorder()
    let p = reporter(r, terminal: true, enabled: false)
    p.update(step: 100)
    p.message("x")
    p.finish()
    #expect(r.chunks.isEmpty)
  }

  @Test func durations() {
    #expect(ProgressReporter.duration(4.4) == "4s")
    #expect(ProgressReporter.duration(185) == "3m05s")
    #expect(ProgressReporter.duration(-1) == "0s")
  }
}
