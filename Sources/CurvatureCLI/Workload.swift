import Curvature
import CurvatureModels
import Foundation

/// A model of the ``ModelSpec`` grammar built on a ``DatasetSpec``: the objective to train on,
/// its seeded initial parameters, and an optional held-out part to evaluate on.
///
/// Labelled data are split by ``ClassificationData/split(testFraction:seed:)``; a text is cut
/// into a leading training part and a trailing held-out part (so no held-out window overlaps a
/// training window); modular addition is split by ``TokenSequences/split(testFraction:seed:)``.
/// Every size the model names is checked against the data first, and a disagreement is a
/// ``UsageError`` naming both numbers.
final class Workload {
  /// The model as parsed.
  let model: ModelSpec
  /// The data set as parsed.
  let dataset: DatasetSpec
  /// The objective on the training part.
  let objective: any DifferentiableObjective
  /// One line saying what was built (architecture, P, data and split).
  let summary: String
  /// Samples in the held-out part (0: none).
  let testCount: Int
  /// The text of a byte-level language model, and the byte range it trains on.
  let text: (bytes: ByteText, training: Range<Int>)?
  private let initial: (UInt64) -> [Float]
  private let trainingAccuracy: (([Float]) throws -> Double)?
  private let heldOut: (([Float]) throws -> (loss: Double, accuracy: Double?))?

  /// The training objective as an MLP (MLPs and softmax regression), or `nil`.
  var mlp: MLP? { objective as? MLP }

  /// Seeded initial parameters of the model. - Complexity: O(P).
  func initialParameters(seed: UInt64) -> [Float] { initial(seed) }

  /// The fraction of training samples classified right (`nil` for a language model).
  func accuracy(at w: [Float]) throws -> Double? { try trainingAccuracy?(w) }

  /// The mean loss and (for a classifier) the accuracy on the held-out part, or `nil` without one.
  func test(at w: [Float]) throws -> (loss: Double, accuracy: Double?)? { try heldOut?(w) }

  /// Builds `model` on `dataset`.
  /// - Parameters:
  ///   - testFraction: the share of the data held out (0: train on everything).
  ///   - seed: seeds the mixture, the split and the text windows.
  /// - Throws: `UsageError` when the model and the data do not fit together, `CurvatureError`
  ///   for unreadable or malformed data.
  init(model: ModelSpec, dataset: DatasetSpec, testFraction: Double = 0, seed: UInt64) throws {
    self.model = model
    self.dataset = dataset
    if model.isLanguageModel != dataset.isTokens {
      throw UsageError(
        model.isLanguageModel
          ? "--dataset: the language model \(model) needs token sequences (modadd:P, text:FILE[:T] or bierce[:T]), got '\(dataset)'"
          : "--dataset: '\(dataset)' holds token sequences for a transformer, not labelled inputs for \(model)"
      )
    }
    switch model {
    case .transformer(let width, let heads, let layers):
      let built = try Self.languageModel(
        width: width, heads: heads, layers: layers, dataset: dataset, testFraction: testFraction,
        seed: seed)
      objective = built.model
      initial = { built.model.initialParameters(seed: $0) }
      trainingAccuracy = nil
      text = built.text
      testCount = built.test?.count ?? 0
      if let test = built.test {
        let evaluator = try built.model.withData(test)
        heldOut = { w in (try evaluator.loss(at: w, samples: .all(test.count)), nil) }
      } else {
        heldOut = nil
      }
      summary =
        "transformer width \(width), \(heads) heads, \(layers) layers, V = \(built.model.configuration.vocabularySize), "
        + "T = \(built.model.configuration.contextLength) (P = \(built.model.parameterCount)) on \(dataset): "
        + "\(built.model.sampleCount) training sequences"
        + (testCount > 0 ? ", \(testCount) held out" : "")
    default:
      let (data, image) = try Self.labelled(dataset, features: Self.inputSize(model), seed: seed)
      let (train, test): (ClassificationData, ClassificationData?) =
        testFraction > 0 && data.count >= 2
        ? {
          let s = data.split(testFraction: testFraction, seed: seed &+ 0x5E57)
          return (s.train, s.test)
        }()
        : (data, nil)
      text = nil
      testCount = test?.count ?? 0
      let split = "\(train.count) training samples" + (test.map { ", \($0.count) held out" } ?? "")
      switch model {
      case .softmax, .mlp:
        let sizes: [Int]
        let activation: MLP.Activation
        if case .mlp(let s, let a) = model {
          try Self.check(
            "input size n0", s[0], "the data's \(data.featureCount) features", data.featureCount)
          try Self.checkClasses(s.last!, data, dataset)
          sizes = s
          activation = a
        } else {
          sizes = [data.featureCount, data.classCount]
          activation = .tanh
        }
        let mlp = try MLP(
          layerSizes: sizes, activation: activation, data: train.withClassCount(sizes.last!))
        objective = mlp
        initial = { mlp.initialParameters(seed: $0) }
        trainingAccuracy = { w in try mlp.accuracy(at: w, data: mlp.data) }
        if let test {
          let evaluator = try mlp.withData(test.withClassCount(sizes.last!))
          heldOut = { w in
            (
              try evaluator.loss(at: w, samples: .all(test.count)),
              try mlp.accuracy(at: w, data: evaluator.data)
            )
          }
        } else {
          heldOut = nil
        }
        summary =
          (model == .softmax ? "softmax regression " : "MLP ")
          + sizes.map(String.init).joined(separator: "-")
          + (model == .softmax ? "" : " \(activation.rawValue)")
          + " (P = \(mlp.parameterCount)) on \(dataset): \(split)"
      case .cnn(let channels, let classCount, let activation):
        guard let image else {
          throw UsageError(
            "--dataset: \(model) needs images; '\(dataset)' has \(data.featureCount) features per sample "
              + "(use digits, or npy:X.npy,Y.npy with X of shape N×C×H×W)")
        }
        try Self.checkClasses(classCount, data, dataset)
        let side = min(image.height, image.width)
        if side >> channels.count < 1 {
          throw UsageError(
            "--model: \(channels.count) pooling blocks halve \(image.height)×\(image.width) images to nothing "
              + "(at most \(Int(log2(Double(side)))) blocks)")
        }
        let cnn = try CNN(
          channels: channels, classCount: classCount,
          activation: activation == .tanh ? .tanh : .relu,
          imageShape: ImageShape(
            channels: image.channels, height: image.height, width: image.width),
          data: train)
        objective = cnn
        initial = { cnn.initialParameters(seed: $0) }
        trainingAccuracy = { w in try cnn.accuracy(at: w, data: cnn.data) }
        if let test {
          let evaluator = try cnn.withData(test)
          heldOut = { w in
            (
              try evaluator.loss(at: w, samples: .all(test.count)),
              try cnn.accuracy(at: w, data: test)
            )
          }
        } else {
          heldOut = nil
        }
        let maps = cnn.featureMapShapes.map { "\($0.channels)×\($0.height)×\($0.width)" }
        summary =
          "CNN " + maps.joined(separator: " → ") + " → \(classCount) \(activation.rawValue)"
          + " (P = \(cnn.parameterCount)) on \(dataset): \(split)"
      case .transformer:
        preconditionFailure("handled above")
      }
    }
  }

  /// Builds the model of `--model` on the data of `--dataset` (for a language model without
  /// `--dataset`, on `languageDefault`).
  convenience init(
    _ arguments: ParsedArguments, testFraction: Double = 0, seed: UInt64,
    languageDefault: String? = nil
  ) throws {
    let model = try ModelSpec.parse(arguments.string("model"))
    let name =
      model.isLanguageModel && !arguments.isSet("dataset") && languageDefault != nil
      ? languageDefault! : arguments.string("dataset")
    try self.init(
      model: model, dataset: try DatasetSpec.parse(name), testFraction: testFraction, seed: seed)
  }

  /// The input size a model asks of a data set that can be made to fit (the mixture).
  private static func inputSize(_ model: ModelSpec) -> Int? {
    if case .mlp(let sizes, _) = model { return sizes[0] }
    return nil
  }

  private static func check(_ what: String, _ value: Int, _ other: String, _ expected: Int) throws {
    if value != expected {
      throw UsageError("--model: \(what) = \(value) disagrees with \(other) (\(expected))")
    }
  }

  /// The class count of the model must match the data's (for `.npy` labels, whose class count
  /// is read as max + 1, it may exceed it).
  private static func checkClasses(_ k: Int, _ data: ClassificationData, _ dataset: DatasetSpec)
    throws
  {
    var fits = k == data.classCount
    if case .npy = dataset { fits = k >= data.classCount }
    if !fits {
      throw UsageError(
        "--model: \(k) output classes disagree with the data's \(data.classCount) classes (labels 0…\(data.classCount - 1))"
      )
    }
  }

  /// Labelled data and, for images, their shape (channels, height, width).
  static func labelled(_ dataset: DatasetSpec, features: Int?, seed: UInt64) throws -> (
    ClassificationData, (channels: Int, height: Int, width: Int)?
  ) {
    switch dataset {
    case .digits:
      return (try ClassificationData.digits(), (1, 8, 8))
    case .mixture:
      return (
        try ClassificationData.gaussianMixture(
          classes: 10, dimension: features ?? 64, samplesPerClass: 100, separation: 3, seed: seed),
        nil
      )
    case .npy(let x, let y):
      let (data, shape) = try ClassificationData.loadSamples(inputs: x, labels: y)
      switch shape.count {
      case 1: return (data, nil)
      case 3: return (data, (shape[0], shape[1], shape[2]))
      default:
        throw UsageError(
          "--dataset: \(x) holds samples of shape \(shape); expected N×F vectors or N×C×H×W images")
      }
    case .modularAddition, .text:
      preconditionFailure("token data are built by languageModel")
    }
  }

  /// A transformer on `dataset` (token sequences), with an optional held-out part.
  static func languageModel(
    width: Int, heads: Int, layers: Int, dataset: DatasetSpec, testFraction: Double, seed: UInt64
  ) throws -> (
    model: Transformer, test: TokenSequences?, text: (bytes: ByteText, training: Range<Int>)?
  ) {
    let train: TokenSequences
    var test: TokenSequences? = nil
    var text: (bytes: ByteText, training: Range<Int>)? = nil
    switch dataset {
    case .modularAddition(let p):
      let all = try TokenSequences.modularAddition(modulus: p, seed: seed)
      if testFraction > 0 && all.count >= 2 {
        (train, test) = all.split(testFraction: testFraction, seed: seed &+ 0x5E57)
      } else {
        train = all
      }
    case .text(let path, let t):
      let bytes = try path.map { try ByteText(contentsOf: $0) } ?? ByteText.devilsDictionary()
      let name = path ?? "bierce"
      if bytes.count < t + 2 {
        throw UsageError(
          "--dataset: \(name) has \(bytes.count) bytes, fewer than T + 2 = \(t + 2) for windows of T + 1 = \(t + 1) bytes"
        )
      }
      // The held-out part is the tail of the text, when both parts can hold two windows.
      let cut = bytes.count - Int((Double(bytes.count) * min(max(testFraction, 0), 1)).rounded())
      let split = testFraction > 0 && cut >= t + 2 && bytes.count - cut >= t + 2
      let training = split ? 0..<cut : 0..<bytes.count
      train = try bytes.windows(length: t, seed: seed, within: training)
      if split {
        test = try bytes.windows(length: t, seed: seed &+ 0x5E57, within: cut..<bytes.count)
      }
      text = (bytes, training)
    default:
      preconditionFailure("labelled data are built by labelled")
    }
    let model = try Transformer(
      configuration: .init(
        vocabularySize: train.vocabularySize, contextLength: train.length, modelWidth: width,
        headCount: heads, layerCount: layers),
      data: train)
    return (model, test, text)
  }
}

extension ClassificationData {
  /// The same samples with `k` ≥ the current class count classes.
  func withClassCount(_ k: Int) throws -> ClassificationData {
    k == classCount
      ? self
      : try ClassificationData(
        inputs: inputs, labels: labels, featureCount: featureCount, classCount: k)
  }
}
