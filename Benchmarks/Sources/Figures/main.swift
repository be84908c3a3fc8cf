import Curvature
import Foundation

// Side-by-side figures: every ratio in Benchmarks/README.md comes from one run of this tool.
//   swift run -c release Figures [kernels|dense|spectrum|models|text|optimizers|stabilization|inloop|gaussnewton|blocklanczos|autodiff|uncertainty|song|all] [options]
let arguments = Array(CommandLine.arguments.dropFirst())
let area = arguments.first ?? "all"
let rest = Array(arguments.dropFirst())
print("compute path: \(CurvatureLibrary.instructionSet)")
do {
  switch area {
  case "kernels": try kernelFigures(arguments: rest)
  case "dense": try denseFigures(arguments: rest)
  case "spectrum": try spectrumFigures(arguments: rest)
  case "models": try modelFigures(arguments: rest)
  case "text": try textTransformerFigures(arguments: rest)
  case "optimizers": try optimizerFigures(arguments: rest)
  case "stabilization": try stabilizationFigures(arguments: rest)
  case "inloop": try inLoopFigures(arguments: rest)
  case "gaussnewton": try gaussNewtonFigures(arguments: rest)
  case "blocklanczos": try blockLanczosFigures(arguments: rest)
  case "autodiff": try autodiffFigures(arguments: rest)
  case "uncertainty": try uncertaintyFigures(arguments: rest)
  case "song": try songSweepFigures(arguments: rest)
  case "all":
    try kernelFigures(arguments: rest)
    try denseFigures(arguments: rest)
    try spectrumFigures(arguments: rest)
    try modelFigures(arguments: rest)
    try optimizerFigures(arguments: rest)
    try stabilizationFigures(arguments: rest)
    try autodiffFigures(arguments: rest)
  default:
    FileHandle.standardError.write(Data("Figures: unknown area '\(area)'\n".utf8))
    exit(2)
  }
} catch {
  FileHandle.standardError.write(Data("Figures: error: \(error)\n".utf8))
  exit(1)
}
