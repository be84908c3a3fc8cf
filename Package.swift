// swift-tools-version:6.1
import PackageDescription

let package = Package(
  name: "Curvature",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "Curvature", targets: ["Curvature"]),
    .library(name: "CurvatureModels", targets: ["CurvatureModels"]),
    .library(name: "CurvatureAutodiff", targets: ["CurvatureAutodiff"]),
    // The command-line tool's commands, for tools that extend it (e.g. `Distributed/`).
    .library(name: "CurvatureCLI", targets: ["CurvatureCLI"]),
    .library(name: "CurvatureExperiments", targets: ["CurvatureExperiments"]),
    .executable(name: "curvature", targets: ["curvature"]),
  ],
  targets: [
    // Per-ISA compute micro-kernels (GEMM and friends), chosen at run time by CPU detection.
    .target(name: "CCurvatureKernels"),
    .target(name: "Curvature", dependencies: ["CCurvatureKernels"]),
    .target(
      name: "CurvatureModels",
      dependencies: ["Curvature"],
      resources: [
        .copy("Resources/digits.csv"), .copy("Resources/DIGITS-LICENSE.md"),
        .copy("Resources/devils-dictionary.txt"), .copy("Resources/DEVILS-DICTIONARY-LICENSE.md"),
      ]
    ),
    // Models written with Swift's differentiable programming (`_Differentiation`, part of the
    // toolchain); a separate product so the core library builds with toolchains without it.
    .target(name: "CurvatureAutodiff", dependencies: ["Curvature"]),
    // The paper reproductions behind `curvature reproduce`: experiments and their claims.
    .target(name: "CurvatureExperiments", dependencies: ["Curvature", "CurvatureModels"]),
    .target(
      name: "CurvatureCLI", dependencies: ["Curvature", "CurvatureModels", "CurvatureExperiments"]),
    .executableTarget(name: "curvature", dependencies: ["CurvatureCLI"]),
    .testTarget(
      name: "CurvatureTests", dependencies: ["Curvature"], resources: [.copy("Fixtures")]),
    .testTarget(name: "CurvatureModelsTests", dependencies: ["CurvatureModels"]),
    .testTarget(name: "CurvatureCLITests", dependencies: ["CurvatureCLI"]),
    // README's autodiff example, a client's main.swift verbatim (run by CurvatureAutodiffTests).
    .executableTarget(
      name: "AutodiffExample", dependencies: ["Curvature", "CurvatureAutodiff"],
      path: "Tests/AutodiffExample"),
    .testTarget(name: "CurvatureExperimentsTests", dependencies: ["CurvatureExperiments"]),
    .testTarget(
      name: "CurvatureAutodiffTests",
      dependencies: ["CurvatureAutodiff", "CurvatureModels", "AutodiffExample"]),
  ],
  swiftLanguageModes: [.v6]
)
