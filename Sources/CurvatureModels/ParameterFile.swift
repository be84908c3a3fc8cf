import Curvature

/// Flat parameter vectors in NumPy `.npy` files, for exchanging weights with PyTorch or JAX.
///
/// Files hold one 1-D or 2-D array (read in C order) of `float32` or `float64`; a model's
/// documented layout (e.g. ``MLP``) says which entry is which. Reading and writing go through
/// `NpyFile`, so writes are atomic and malformed files throw.
public enum ParameterFile {
  /// Writes `parameters` as a 1-D `<f4` array.
  /// - Throws: `CurvatureError.fileSystem` if the file cannot be written.
  /// - Complexity: O(P).
  public static func save(_ parameters: [Float], to path: String) throws(CurvatureError) {
    try NpyFile.write(vector: parameters, to: path)
  }

  /// Reads a parameter vector, checking its length against `count` when given.
  /// - Throws: `CurvatureError` for an unreadable or malformed file, a non-float dtype, a
  ///   wrong length (`dimensionMismatch` naming `parameters`), or NaN/Inf.
  /// - Complexity: O(P).
  public static func load(from path: String, count: Int? = nil) throws(CurvatureError) -> [Float] {
    let a = try NpyFile.read(path: path)
    guard a.dataType == .float32 || a.dataType == .float64 else {
      throw .malformedFile(path: path, reason: "parameters must be float32 or float64")
    }
    if let count, a.count != count {
      throw .dimensionMismatch(name: "parameters", expected: count, actual: a.count)
    }
    let out = try a.floats()
    if let i = out.firstIndex(where: { !$0.isFinite }) {
      throw .nonFinite(name: "parameters", index: i)
    }
    return out
  }
}
