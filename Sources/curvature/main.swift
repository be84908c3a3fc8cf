import CurvatureCLI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

exit(CurvatureCommand.run(Array(CommandLine.arguments.dropFirst())))
