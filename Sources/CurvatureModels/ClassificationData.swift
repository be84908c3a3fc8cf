import Curvature
import Foundation

/// A labelled classification data set: N inputs of d features (row-major) and N class labels.
///
/// Value type; every constructor validates its contents (finite inputs, labels in
/// `0..<classCount`, matching counts), so the models can trust it.
public struct ClassificationData: Sendable, Hashable {
  /// Inputs, row-major N × d.
  public let inputs: [Float]
  /// Class labels in `0..<classCount`, one per sample.
  public let labels: [Int]
  /// The number of samples N.
  public var count: Int { labels.count }
  /// The number of input features d.
  public let featureCount: Int
  /// The number of classes C.
  public let classCount: Int

  /// Creates a data set from row-major inputs and labels.
  ///
  /// - Parameters:
  ///   - inputs: N × `featureCount` values, row-major.
  ///   - labels: N labels in `0..<classCount`.
  ///   - featureCount: d ≥ 1.
  ///   - classCount: C ≥ 1; defaults to `max(labels) + 1`.
  /// - Throws: `CurvatureError` naming `inputs`, `labels`, `featureCount` or `classCount`.
  /// - Complexity: O(N d).
  public init(inputs: [Float], labels: [Int], featureCount: Int, classCount: Int? = nil)
    throws(CurvatureError)
  {
    if featureCount < 1 {
      throw .outOfRange(name: "featureCount", value: Double(featureCount), range: "[1, ∞)")
    }
    if inputs.count != labels.count * featureCount {
      throw .dimensionMismatch(
        name: "inputs", expected: labels.count * featureCount, actual: inputs.count)
    }
    if let i = inputs.firstIndex(where: { !$0.isFinite }) {
      throw .nonFinite(name: "inputs", index: i)
    }
    let c = classCount ?? ((labels.max() ?? 0) + 1)
    if c < 1 { throw .outOfRange(name: "classCount", value: Double(c), range: "[1, ∞)") }
    if let i = labels.firstIndex(where: { $0 < 0 || $0 >= c }) {
      throw .invalidArgument(
        name: "labels", reason: "label \(labels[i]) at index \(i) is outside 0..<\(c)")
    }
    self.inputs = inputs
    self.labels = labels
    self.featureCount = featureCount
    self.classCount = c
  }

  /// The bundled UCI digits (1,797 8×8 images, 10 classes), pixels scaled to [0, 1] (value / 16).
  /// - Throws: `CurvatureError.malformedFile` if the bundled resource is missing or corrupt.
  /// - Complexity: O(N · 64).
  public static func digits() throws -> ClassificationData {
    let d = try Digits.load()
    return try ClassificationData(
      inputs: d.inputs, labels: d.labels, featureCount: 64, classCount: 10)
  }

  /// The samples at `indices`, in that order. - Complexity: O(|indices| d).
  /// - Throws: `CurvatureError.invalidArgument` for an index outside `0..<count`.
  public func subset(_ indices: [Int]) throws(CurvatureError) -> ClassificationData {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw .invalidArgument(name: "indices", reason: "index \(bad) outside 0..<\(count)")
    }
    return gather(indices)
  }

  private func gather(_ indices: [Int]) -> ClassificationData {
    var x = [Float]()
    x.reserveCapacity(indices.count * featureCount)
    for i in indices { x.append(contentsOf: inputs[(i * featureCount)..<((i + 1) * featureCount)]) }
    return try! ClassificationData(
      inputs: x, labels: indices.map { labels[$0] }, featureCount: featureCount,
      classCount: classCount)
  }

  /// A seeded random split into a training and a test part.
  ///
  /// The test part holds `round(testFraction · N)` samples (clamped so that both parts are
  /// non-empty whenever N ≥ 2; a non-finite fraction counts as 0). Both parts keep the random
  /// order of a seeded permutation.
  /// - Complexity: O(N d).
  public func split(testFraction: Double, seed: UInt64) -> (
    train: ClassificationData, test: ClassificationData
  ) {
    var rng = SeededGenerator(seed: seed)
    let perm = rng.permutation(count: count)
    let f = testFraction.isFinite ? min(max(testFraction, 0), 1) : 0
    var nTest = Int((f * Double(count)).rounded())
    if count >= 2 { nTest = min(max(nTest, 1), count - 1) }
    return (gather(Array(perm[nTest...])), gather(Array(perm[..<nTest])))
  }

  /// A seeded Gaussian mixture: class c has mean `separation · u_c` and identity covariance.
  ///
  /// The unit vectors u_c are orthonormal (random, seeded) when `classes ≤ dimension`, otherwise
  /// random unit vectors. Sample i has label `i % classes`, so every prefix is class-balanced,
  /// which suits sample-size studies; with a large separation the Hessian of a trained
  /// classifier shows C clean outlier eigenvalues.
  /// - Throws: `CurvatureError.outOfRange` for `classes < 2`, `dimension < 1`,
  ///   `samplesPerClass < 1` or a negative or non-finite `separation`.
  /// - Complexity: O(C · samplesPerClass · dimension + C² dimension).
  public static func gaussianMixture(
    classes: Int, dimension: Int, samplesPerClass: Int, separation: Double, seed: UInt64
  ) throws(CurvatureError) -> ClassificationData {
    if classes < 2 { throw .outOfRange(name: "classes", value: Double(classes), range: "[2, ∞)") }
    if dimension < 1 {
      throw .outOfRange(name: "dimension", value: Double(dimension), range: "[1, ∞)")
    }
    if samplesPerClass < 1 {
      throw .outOfRange(name: "samplesPerClass", value: Double(samplesPerClass), range: "[1, ∞)")
    }
    if !(separation >= 0) || !separation.isFinite {
      throw .outOfRange(name: "separation", value: separation, range: "[0, ∞)")
    }
    var rng = SeededGenerator(seed: seed)
    var means: [[Double]] = []
    for _ in 0..<classes {
      var u = (0..<dimension).map { _ in rng.nextGaussian() }
      if classes <= dimension {
        for m in means {
          let d = zip(u, m).reduce(0) { $0 + $1.0 * $1.1 }
          for j in 0..<dimension { u[j] -= d * m[j] }
        }
      }
      let n = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
      means.append(u.map { $0 / max(n, 1e-300) })
    }
    let n = classes * samplesPerClass
    var x = [Float](repeating: 0, count: n * dimension)
    var y = [Int](repeating: 0, count: n)
    for i in 0..<n {
      let c = i % classes
      y[i] = c
      for j in 0..<dimension {
        x[i * dimension + j] = Float(separation * means[c][j] + rng.nextGaussian())
      }
    }
    return try ClassificationData(
      inputs: x, labels: y, featureCount: dimension, classCount: classes)
  }

  /// Loads user data from two `.npy` files (read by `NpyFile`): inputs (N × d, `<f4`, `<f8`,
  /// `<i4` or `<i8`) and labels (N integers, or integral floats).
  ///
  /// - Parameter classCount: C; defaults to `max(labels) + 1`.
  /// - Throws: `CurvatureError` for unreadable or malformed files, a non-2-D inputs array, a
  ///   non-1-D labels array, mismatched sample counts, non-finite inputs, or labels that are
  ///   negative, non-integral or not below `classCount`.
  /// - Complexity: O(N d).
  public static func load(inputs: String, labels: String, classCount: Int? = nil) throws
    -> ClassificationData
  {
    let (data, shape) = try loadSamples(inputs: inputs, labels: labels, classCount: classCount)
    guard shape.count == 1 else {
      throw CurvatureError.invalidArgument(
        name: "inputs", reason: "expected a 2-D array (N × d), got shape \([data.count] + shape)")
    }
    return data
  }

  /// Loads user data as ``load(inputs:labels:classCount:)`` does, but accepts inputs of any
  /// rank ≥ 2: N samples of shape `sampleShape` (for example N × F vectors, or N × C × H × W
  /// images), each flattened row-major (C-order) into `featureCount = ∏ sampleShape` features.
  ///
  /// - Returns: the data and the shape of one sample (`[F]`, or `[C, H, W]`).
  /// - Throws: `CurvatureError` as ``load(inputs:labels:classCount:)``, and for a 1-D inputs
  ///   array or a zero-sized sample dimension.
  /// - Complexity: O(N d).
  public static func loadSamples(inputs: String, labels: String, classCount: Int? = nil) throws
    -> (data: ClassificationData, sampleShape: [Int])
  {
    let x = try NpyFile.read(path: inputs)
    let y = try NpyFile.read(path: labels)
    guard x.shape.count >= 2 else {
      throw CurvatureError.invalidArgument(
        name: "inputs",
        reason:
          "expected N samples of one or more dimensions (N × d or N × C × H × W), got shape \(x.shape)"
      )
    }
    guard y.shape.count == 1 else {
      throw CurvatureError.invalidArgument(
        name: "labels", reason: "expected a 1-D array of N labels, got shape \(y.shape)")
    }
    if x.shape[0] != y.shape[0] {
      throw CurvatureError.dimensionMismatch(
        name: "labels", expected: x.shape[0], actual: y.shape[0])
    }
    if x.shape[0] == 0 {
      throw CurvatureError.invalidArgument(name: "inputs", reason: "no samples")
    }
    let sampleShape = Array(x.shape.dropFirst())
    if sampleShape.contains(0) {
      throw CurvatureError.invalidArgument(
        name: "inputs", reason: "a sample of shape \(sampleShape) has no values")
    }
    let xs = try x.floats()
    if let i = xs.firstIndex(where: { !$0.isFinite }) {
      throw CurvatureError.nonFinite(name: "inputs", index: i)
    }
    let ys: [Int]
    do { ys = try y.ints() } catch {
      throw CurvatureError.invalidArgument(
        name: "labels", reason: "must be non-negative integers (\(error))")
    }
    if let i = ys.firstIndex(where: { $0 < 0 }) {
      throw CurvatureError.invalidArgument(
        name: "labels", reason: "label \(ys[i]) at index \(i) is not a non-negative integer")
    }
    let data = try ClassificationData(
      inputs: xs, labels: ys, featureCount: sampleShape.reduce(1, *), classCount: classCount)
    return (data, sampleShape)
  }

  /// Writes the inputs (`<f4`, N × d) and labels (`<i8`, N) as two `.npy` files.
  /// - Throws: `CurvatureError.fileSystem`.
  /// - Complexity: O(N d).
  public func save(inputs: String, labels: String) throws(CurvatureError) {
    try NpyFile.write(
      NpyArray(shape: [count, featureCount], elements: .float32(self.inputs)), to: inputs)
    try NpyFile.write(
      NpyArray(shape: [count], elements: .int64(self.labels.map { Int64($0) })), to: labels)
  }
}
