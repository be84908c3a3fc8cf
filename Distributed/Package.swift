// swift-tools-version:6.1
import PackageDescription

// The root package, by path. A path dependency's package identity is the name of its folder,
// which depends on where the repository was cloned; read it from the path instead of spelling it.
let rootPath = ".."
let rootIdentity = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init)
  ?? "curvature"

let package = Package(
  name: "CurvatureDistributed",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "CurvatureDistributed", targets: ["CurvatureDistributed"]),
    .executable(name: "curvature-mpi", targets: ["curvature-mpi"]),
  ],
  dependencies: [.package(path: rootPath)],
  targets: [
    // The system's MPI (Open MPI on Debian: `apt-get install libopenmpi-dev openmpi-bin`).
    .systemLibrary(
      name: "CMPI", pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev", "openmpi-bin"]), .brew(["open-mpi"])]),
    .target(
      name: "CurvatureDistributed",
      dependencies: [
        "CMPI",
        .product(name: "Curvature", package: rootIdentity),
      ]),
    // The `curvature-mpi` commands, as a library so tests can reach them.
    .target(
      name: "CurvatureMPICLI",
      dependencies: [
        "CurvatureDistributed",
        .product(name: "Curvature", package: rootIdentity),
        .product(name: "CurvatureModels", package: rootIdentity),
        .product(name: "CurvatureCLI", package: rootIdentity),
      ]),
    .executableTarget(name: "curvature-mpi", dependencies: ["CurvatureDistributed", "CurvatureMPICLI"]),
    .testTarget(
      name: "CurvatureDistributedTests",
      dependencies: [
        "CurvatureDistributed",
        "curvature-mpi",
        .product(name: "Curvature", package: rootIdentity),
        .product(name: "CurvatureModels", package: rootIdentity),
        .product(name: "CurvatureCLI", package: rootIdentity),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
