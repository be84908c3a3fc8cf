import Curvature

/// Flat parameter vectors in NumPy `.npy` files, for exchanging weights with PyTorch or JAX.
///
/// Files hold one array (any shape, read in C order) of `float32` or `float64`; a model's
/// documented layout (e.g. ``MLP``) says which entry is which.
public enum ParameterFile {
  /// Writes `parameters` as a 1-D `<f4` array.
  /// - Throws: `CurvatureError.fileSystem` if the file cannot be written.
  /// - Complexity: O(P).
  public static func save(_ parameters: [Float], to path: String) throws(CurvatureError) {
    try NpyCodec.write(NpyCodec.encode(float: parameters, shape: [parameters.count]), to: path)
  }

  /// Reads a parameter vector, checking its length against `count` when given.
  /// - Throws: `CurvatureError` for an unreadable or malformed file, a non-float dtype, a
  ///   wrong length (`dimensionMismatch` naming `parameters`), or NaN/Inf.
  /// - Complexity: O(P).
  public static func load(from path: String, count: Int? = nil) throws(CurvatureError) -> [Float] {
    let a = try NpyCodec.read(path)
    if a.isInteger {
      throw .malformedFile(path: path, reason: "parameters must be float32 or float64")
    }
    if let count, a.values.count != count {
      throw .dimensionMismatch(name: "parameters", expected: count, actual: a.values.count)
    }
    var out = [Float](repeating: 0, count: a.values.count)
    for (i, v) in a.values.enumerated() {
      let f = Float(v)
      if !f.isFinite { throw .nonFinite(name: "parameters", index: i) }
      out[i] = f
    }
    return out
  }
}
