import Foundation

/// Unbuffered writes to the process's standard streams.
enum FileStream {
  case standardOutput, standardError

  func write(_ text: String) {
    let handle: FileHandle = self == .standardOutput ? .standardOutput : .standardError
    handle.write(Data(text.utf8))
  }
}
