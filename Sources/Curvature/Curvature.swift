import CCurvatureKernels

/// Library-wide facts.
public enum CurvatureLibrary {
  /// The library version (semantic versioning).
  public static let version = "0.1.0"

  /// The compute path chosen at run time for compute-bound micro-kernels
  /// (`"avx512"`, `"avx2+fma"`, `"neon"` or `"baseline"`).
  public static var instructionSet: String {
    switch curvature_detect_isa() {
    case CURVATURE_ISA_AVX512: return "avx512"
    case CURVATURE_ISA_AVX2_FMA: return "avx2+fma"
    case CURVATURE_ISA_NEON: return "neon"
    default: return "baseline"
    }
  }
}
