import CurvatureMPICLI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

exit(MPICommand.main(Array(CommandLine.arguments.dropFirst())))
