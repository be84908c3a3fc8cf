import Curvature

/// Reads the `--name value` options of a figures area from `arguments`, calling
/// `body(name, value)` for each in order; names in `switches` take no value (theirs is ""), and
/// a missing last value is "". `body` returns `false` for a name it does not know, which is an
/// error.
/// - Throws: `CurvatureError.invalidArgument` for an unknown option, or what `body` throws.
func forEachOption(
  _ arguments: [String], switches: Set<String> = [], _ body: (String, String) throws -> Bool
) throws {
  var i = 0
  while i < arguments.count {
    let name = arguments[i]
    let isSwitch = switches.contains(name)
    let value = !isSwitch && i + 1 < arguments.count ? arguments[i + 1] : ""
    guard try body(name, value) else {
      throw CurvatureError.invalidArgument(name: name, reason: "unknown option")
    }
    i += isSwitch ? 1 : 2
  }
}
