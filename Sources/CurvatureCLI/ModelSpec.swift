import CurvatureModels

/// A model as written after `--model`: the one grammar every command reads.
///
/// - `softmax`: softmax regression (input size and classes from the data).
/// - `mlp:n0,n1,…,nL[:tanh|relu|gelu]`: an MLP with input size n0, hidden widths n1…n(L−1)
///   and nL classes (default activation tanh).
/// - `cnn:C1,…,Cm,K[:relu|tanh]`: m blocks of 3×3 convolution (C1…Cm output channels) +
///   activation + 2×2 max pooling, then a dense layer to K classes (default activation relu).
/// - `transformer:WIDTH,HEADS,LAYERS`: a decoder-only transformer language model.
///
/// Sizes are checked against the data when the model is built (``Workload``).
enum ModelSpec: Equatable, CustomStringConvertible {
  case softmax
  case mlp(sizes: [Int], activation: MLP.Activation)
  case cnn(channels: [Int], classCount: Int, activation: ConvActivation)
  case transformer(width: Int, heads: Int, layers: Int)

  /// The activations of `cnn:`.
  enum ConvActivation: String, CaseIterable, Equatable {
    case relu, tanh
  }

  /// The grammar, for help texts and error messages.
  static let grammar =
    "mlp:n0,n1,…,nL[:tanh|relu|gelu], cnn:C1,…,Cm,K[:relu|tanh], transformer:WIDTH,HEADS,LAYERS or softmax"

  /// Parses `text`.
  /// - Throws: `UsageError` naming the flag, what was expected and what was given.
  static func parse(_ text: String) throws(UsageError) -> ModelSpec {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    func sizes(_ what: String, _ expected: String) throws(UsageError) -> [Int] {
      guard parts.count >= 2 else {
        throw UsageError("--model: expected \(expected), got '\(text)'")
      }
      var out: [Int] = []
      for word in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
        guard let v = Int(word), v >= 1 else {
          throw UsageError(
            "--model: \(what) sizes must be positive integers, got '\(word)' in '\(text)'")
        }
        out.append(v)
      }
      return out
    }
    switch parts[0] {
    case "softmax":
      guard parts.count == 1 else {
        throw UsageError("--model: softmax takes no sizes, got '\(text)'")
      }
      return .softmax
    case "mlp":
      let expected = "mlp:n0,n1,…,nL[:tanh|relu|gelu]"
      guard parts.count <= 3 else {
        throw UsageError("--model: expected \(expected), got '\(text)'")
      }
      let s = try sizes("mlp", expected)
      guard s.count >= 2 else {
        throw UsageError(
          "--model: an MLP needs at least an input size and a class count (\(expected)), got '\(text)'"
        )
      }
      var activation = MLP.Activation.tanh
      if parts.count == 3 {
        guard let a = MLP.Activation(rawValue: parts[2]) else {
          throw UsageError("--model: unknown MLP activation '\(parts[2])' (tanh, relu, gelu)")
        }
        activation = a
      }
      return .mlp(sizes: s, activation: activation)
    case "cnn":
      let expected = "cnn:C1,…,Cm,K[:relu|tanh]"
      guard parts.count <= 3 else {
        throw UsageError("--model: expected \(expected), got '\(text)'")
      }
      let s = try sizes("cnn", expected)
      guard s.count >= 2 else {
        throw UsageError(
          "--model: a CNN needs at least one block's channels and a class count (\(expected)), got '\(text)'"
        )
      }
      var activation = ConvActivation.relu
      if parts.count == 3 {
        guard let a = ConvActivation(rawValue: parts[2]) else {
          throw UsageError("--model: unknown CNN activation '\(parts[2])' (relu, tanh)")
        }
        activation = a
      }
      return .cnn(channels: Array(s.dropLast()), classCount: s.last!, activation: activation)
    case "transformer":
      let expected = "transformer:WIDTH,HEADS,LAYERS"
      guard parts.count == 2 else {
        throw UsageError("--model: expected \(expected), got '\(text)'")
      }
      let s = try sizes("transformer", expected)
      guard s.count == 3 else { throw UsageError("--model: expected \(expected), got '\(text)'") }
      guard s[0] % s[1] == 0 else {
        throw UsageError("--model: \(s[1]) heads do not divide the width \(s[0]) in '\(text)'")
      }
      return .transformer(width: s[0], heads: s[1], layers: s[2])
    default:
      throw UsageError("--model: unknown model '\(text)' (\(grammar))")
    }
  }

  /// Whether the model reads token sequences (a language model) rather than labelled inputs.
  var isLanguageModel: Bool {
    if case .transformer = self { return true }
    return false
  }

  /// The canonical spelling (parses back to the same value).
  var description: String {
    switch self {
    case .softmax: return "softmax"
    case .mlp(let sizes, let activation):
      return "mlp:" + sizes.map(String.init).joined(separator: ",") + ":" + activation.rawValue
    case .cnn(let channels, let classCount, let activation):
      return "cnn:" + (channels + [classCount]).map(String.init).joined(separator: ",") + ":"
        + activation.rawValue
    case .transformer(let width, let heads, let layers):
      return "transformer:\(width),\(heads),\(layers)"
    }
  }
}
