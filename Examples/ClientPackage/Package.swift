// swift-tools-version:6.1
// A client of Curvature, as a user would write it: its own model, its own training loop, the
// library's tracker, monitor and comparison, and nothing but the public API.
import Foundation
import PackageDescription

// A path dependency's package identity is the last component of its path — here the name of the
// folder the repository was cloned into, which this manifest cannot know in advance. It is read
// from the path instead, so the example builds from a clone in any folder. (With a URL
// dependency the identity is the last component of the URL, e.g. `curvature`.)
let curvatureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .appendingPathComponent("../..").standardizedFileURL.resolvingSymlinksInPath()
let curvature = curvatureRoot.lastPathComponent.lowercased()

let package = Package(
  name: "CurvatureClientExample",
  platforms: [.macOS(.v13)],
  dependencies: [.package(path: "../..")],
  targets: [
    // The client's own model: a one-hidden-layer tanh network with a hand-written gradient.
    .target(
      name: "TanhRegression", dependencies: [.product(name: "Curvature", package: curvature)]),
    .executableTarget(
      name: "client-example",
      dependencies: ["TanhRegression", .product(name: "Curvature", package: curvature)]),
    .testTarget(
      name: "TanhRegressionTests",
      dependencies: ["TanhRegression", .product(name: "Curvature", package: curvature)]),
  ],
  swiftLanguageModes: [.v6]
)
