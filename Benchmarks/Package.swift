// swift-tools-version:6.1
import PackageDescription

// A path dependency's identity is its folder name, which differs between clones and worktrees.
let root = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "Curvature")

// Benchmarks live in their own package so the library itself stays dependency-free.
//   swift package --disable-sandbox benchmark          (ordo-one/benchmark statistics)
//   swift run -c release Figures [area]                (side-by-side ratio tables)
let package = Package(
  name: "CurvatureBenchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(path: ".."),
    .package(url: "https://github.com/ordo-one/benchmark", "1.38.0"..<"1.39.0", traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "CurvatureBenchmarks",
      dependencies: [
        .product(name: "Curvature", package: root),
        .product(name: "CurvatureModels", package: root),
        .product(name: "Benchmark", package: "benchmark"),
      ],
      path: "Benchmarks/CurvatureBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
    // Reference bandwidth kernels (STREAM triad with ordinary or streaming stores) for Figures.
    .target(name: "CFigures", path: "Sources/CFigures"),
    .executableTarget(
      name: "Figures",
      dependencies: [
        "CFigures",
        .product(name: "Curvature", package: root),
        .product(name: "CurvatureModels", package: root),
        .product(name: "CurvatureAutodiff", package: root),
      ],
      path: "Sources/Figures"
    ),
  ],
  swiftLanguageModes: [.v6]
)
