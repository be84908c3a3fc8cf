import CurvatureModels

/// A data set as written after `--dataset`.
///
/// Labelled inputs: `digits` (the bundled 8×8 digits; 1×8×8 images for a CNN), `mixture` (a
/// seeded Gaussian mixture, 10 classes, 100 per class), `npy:X.npy,Y.npy` (X of shape N×F, or
/// N×C×H×W images). Token sequences for a transformer: `modadd:P` (modular addition),
/// `text:FILE[:T]` (byte-level windows of T + 1 bytes of a text file, T = 32 by default) and
/// `bierce[:T]` (the same on the bundled public-domain excerpt of *The Devil's Dictionary*).
enum DatasetSpec: Equatable, CustomStringConvertible {
  case digits
  case mixture
  case npy(inputs: String, labels: String)
  case modularAddition(modulus: Int)
  /// A text file (`nil`: the bundled corpus) cut into windows of `length + 1` bytes.
  case text(path: String?, length: Int)

  /// The grammar, for help texts and error messages.
  static let grammar =
    "digits, mixture, npy:X.npy,Y.npy (X: N×F, or N×C×H×W images for a CNN); for a transformer modadd:P, text:FILE[:T] or bierce[:T] (T = 32 by default)"

  /// Parses `text`.
  /// - Throws: `UsageError` naming the flag, what was expected and what was given.
  static func parse(_ text: String) throws(UsageError) -> DatasetSpec {
    func length(_ word: Substring?) throws(UsageError) -> Int {
      guard let word else { return ByteText.defaultLength }
      guard let t = Int(word), t >= 1 else {
        throw UsageError("--dataset: the window length T must be a positive integer, got '\(word)'")
      }
      return t
    }
    if text == "digits" { return .digits }
    if text == "mixture" { return .mixture }
    if text.hasPrefix("npy:") {
      let files = text.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false)
      guard files.count == 2, !files[0].isEmpty, !files[1].isEmpty else {
        throw UsageError("--dataset: expected npy:INPUTS.npy,LABELS.npy, got '\(text)'")
      }
      return .npy(inputs: String(files[0]), labels: String(files[1]))
    }
    if text.hasPrefix("modadd:") {
      guard let p = Int(text.dropFirst(7)), p >= 2 else {
        throw UsageError("--dataset: expected modadd:P with a modulus P ≥ 2, got '\(text)'")
      }
      return .modularAddition(modulus: p)
    }
    if text == "bierce" || text.hasPrefix("bierce:") {
      let parts = text.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count <= 2 else {
        throw UsageError("--dataset: expected bierce[:T], got '\(text)'")
      }
      return .text(path: nil, length: try length(parts.count == 2 ? parts[1] : nil))
    }
    if text.hasPrefix("text:") {
      // The path may itself contain ':'; a final ':T' with an integer T is the window length.
      var path = Substring(text.dropFirst(5))
      var t: Substring? = nil
      if let colon = path.lastIndex(of: ":"),
        Int(path[path.index(after: colon)...]) != nil
          || path[path.index(after: colon)...].first == "-"
      {
        t = path[path.index(after: colon)...]
        path = path[..<colon]
      }
      guard !path.isEmpty else {
        throw UsageError("--dataset: expected text:FILE[:T], got '\(text)'")
      }
      return .text(path: String(path), length: try length(t))
    }
    throw UsageError("--dataset: unknown data set '\(text)' (\(grammar))")
  }

  /// Whether the data are token sequences (for a transformer) rather than labelled inputs.
  var isTokens: Bool {
    switch self {
    case .modularAddition, .text: return true
    default: return false
    }
  }

  /// The canonical spelling (parses back to the same value).
  var description: String {
    switch self {
    case .digits: return "digits"
    case .mixture: return "mixture"
    case .npy(let x, let y): return "npy:\(x),\(y)"
    case .modularAddition(let p): return "modadd:\(p)"
    case .text(let path, let t): return path.map { "text:\($0):\(t)" } ?? "bierce:\(t)"
    }
  }
}
