import Curvature
import Foundation

/// A seeded fuzzer for the `.npy` reader: it builds valid files of every dtype, order, header
/// version and rank, then mutates them (truncation, byte flips, insertions and deletions,
/// rewritten headers with huge, negative or malformed shapes and descriptors) or makes random
/// bytes, and checks that ``NpyFile/read(data:name:)`` either returns a self-consistent array
/// or throws `CurvatureError.malformedFile`, quickly, and never crashes.
///
/// The test suite runs a few thousand inputs (`NpyFuzzTests`); a developer runs any number
/// with `CURVATURE_NPY_FUZZ_COUNT=100000 swift test --filter NpyFuzzTests` (optionally
/// `CURVATURE_NPY_FUZZ_SEED=S`). The same file builds the `npy-fuzz` executable of the
/// Benchmarks package (`swift run -c release npy-fuzz 1000000 SEED` in `Benchmarks/`).
struct NpyFuzzer {
  /// What one run found.
  struct Summary: CustomStringConvertible {
    var inputs = 0
    var accepted = 0
    var rejected = 0
    /// Inputs that broke a rule (a wrong error type, an inconsistent array, a valid file
    /// refused), with a hex dump of the first few.
    var failures: [String] = []
    /// The slowest single decode, in seconds.
    var slowest = 0.0

    var description: String {
      "\(inputs) inputs: \(accepted) accepted, \(rejected) rejected, \(failures.count) failures, "
        + "slowest decode \(String(format: "%.2e", slowest)) s"
    }
  }

  var rng: SeededGenerator

  init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

  static let descriptors = ["<f4", "<f8", "<i4", "<i8"]

  mutating func pick<T>(_ items: [T]) -> T { items[rng.nextInt(below: items.count)] }

  /// A header dictionary as NumPy writes it.
  static func dictionary(descr: String, fortran: Bool, shape: String) -> String {
    "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
  }

  /// The shape tuple text of `dims` (`(n,)` for one dimension).
  static func tuple(_ dims: [String]) -> String {
    dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
  }

  /// Preamble + padded header for `dictionary` in format `version`.
  static func preamble(_ dictionary: String, version: Int) -> [UInt8] {
    let prefix = version == 1 ? 10 : 12
    var text = Array(dictionary.utf8)
    let total = prefix + text.count + 1
    text += [UInt8](repeating: 0x20, count: (64 - total % 64) % 64) + [0x0A]
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, UInt8(version), 0]
    let n = text.count
    if version == 1 {
      out += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF)]
    } else {
      out += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24 & 0xFF)]
    }
    return out + text
  }

  /// A valid file: random dtype, order, version, rank 1–4 with sides 0–5, random payload.
  mutating func validFile() -> (bytes: [UInt8], shape: [Int], descriptor: String) {
    let descr = pick(Self.descriptors)
    let rank = 1 + rng.nextInt(below: 4)
    let shape = (0..<rank).map { _ in rng.nextInt(below: 6) }
    let fortran = rank >= 2 && rng.nextInt(below: 2) == 0
    let version = 1 + rng.nextInt(below: 3)
    let size = descr.hasSuffix("8") ? 8 : 4
    var bytes = Self.preamble(
      Self.dictionary(descr: descr, fortran: fortran, shape: Self.tuple(shape.map(String.init))),
      version: version)
    let count = shape.reduce(1, *)
    for _ in 0..<(count * size) { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
    return (bytes, shape, descr)
  }

  /// Shape texts a hostile file might carry.
  mutating func hostileShape() -> String {
    let huge = [
      "9223372036854775807", "-1", "-9223372036854775808", "4611686018427387904",
      "99999999999999999999999", "0", "1e9", "0x10", "2147483648", "-0", "+3", "3.0", "None",
      "True", "''", "(1,)", "[3]",
    ]
    let rank = rng.nextInt(below: 7)
    let dims = (0..<rank).map { _ in
      rng.nextInt(below: 3) == 0 ? String(rng.nextInt(below: 9)) : pick(huge)
    }
    switch rng.nextInt(below: 6) {
    case 0: return "()"
    case 1: return "(" + dims.joined(separator: ",") + ")"  // missing trailing comma
    case 2: return "[" + dims.joined(separator: ", ") + "]"
    case 3: return "(" + String(repeating: "(", count: 1 + rng.nextInt(below: 300))
    default: return Self.tuple(dims.isEmpty ? ["1"] : dims)
    }
  }

  /// One fuzz input and, for an unmutated valid file, the shape it must decode to.
  mutating func next() -> (bytes: [UInt8], expected: [Int]?) {
    let kind = rng.nextInt(below: 10)
    if kind == 0 {
      let n = rng.nextInt(below: 300)
      var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      if n >= 8 && rng.nextInt(below: 2) == 0 {
        bytes.replaceSubrange(0..<8, with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
      }
      return (bytes, nil)
    }
    var (bytes, shape, descr) = validFile()
    switch kind {
    case 1:
      return (bytes, shape)
    case 2:  // truncation anywhere
      return (Array(bytes.prefix(rng.nextInt(below: bytes.count + 1))), nil)
    case 3:  // byte flips
      for _ in 0..<(1 + rng.nextInt(below: 4)) where !bytes.isEmpty {
        bytes[rng.nextInt(below: bytes.count)] ^= UInt8(1 + rng.nextInt(below: 255))
      }
      return (bytes, nil)
    case 4:  // insertions and deletions in the header region
      for _ in 0..<(1 + rng.nextInt(below: 3)) {
        let at = rng.nextInt(below: min(bytes.count, 140) + 1)
        if rng.nextInt(below: 2) == 0 || at == bytes.count {
          bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
        } else {
          bytes.remove(at: at)
        }
      }
      return (bytes, nil)
    case 5, 6:  // rewritten header: hostile shapes, with or without data after it
      let version = 1 + rng.nextInt(below: 3)
      var out = Self.preamble(
        Self.dictionary(
          descr: pick(Self.descriptors), fortran: rng.nextInt(below: 2) == 0,
          shape: hostileShape()), version: version)
      out += (0..<rng.nextInt(below: 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      return (out, nil)
    case 7:  // rewritten header: other descriptors, keys, versions and length fields
      let descrs = [
        ">f4", "|u1", "<f2", "<c8", "O", "<U3", "f4", "<f4 ", "", "<i16", "<f8'", "\\x00",
      ]
      let dictionaries = [
        Self.dictionary(descr: pick(descrs), fortran: false, shape: "(\(shape.first ?? 1),)"),
        "{'descr': '\(descr)', 'shape': (2,)}",
        "{'descr': '\(descr)', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
        "{'fortran_order': False, 'shape': (2,), 'descr': '\(descr)'}",
        "{'descr': '\(descr)', 'fortran_order': Maybe, 'shape': (2,), }",
        "{'descr': \"\(descr)\", 'fortran_order': False, 'shape': (2,), }",
        "{'descr': '\(descr)', 'fortran_order': False, 'shape': (2,), ",
        "not a dictionary",
        "",
      ]
      var out = Self.preamble(pick(dictionaries), version: 1 + rng.nextInt(below: 3))
      if rng.nextInt(below: 3) == 0 { out[6] = UInt8(rng.nextInt(below: 256)) }
      if rng.nextInt(below: 3) == 0 {
        out[8] = UInt8(truncatingIfNeeded: rng.next())
        out[9] = UInt8(truncatingIfNeeded: rng.next())
      }
      out += [UInt8](repeating: 0, count: 8 * rng.nextInt(below: 4))
      return (out, nil)
    default:  // extra or missing data bytes after a valid header
      if rng.nextInt(below: 2) == 0 {
        bytes += (0..<(1 + rng.nextInt(below: 16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      } else if bytes.count > 0 {
        bytes.removeLast(1 + rng.nextInt(below: min(bytes.count, 16)))
      }
      return (bytes, nil)
    }
  }

  /// Decodes `count` inputs and checks every outcome.
  mutating func run(count: Int) -> Summary {
    var summary = Summary()
    let clock = ContinuousClock()
    for _ in 0..<count {
      let (bytes, expected) = next()
      summary.inputs += 1
      let start = clock.now
      var problem: String? = nil
      do {
        let array = try NpyFile.read(data: bytes, name: "fuzz")
        summary.accepted += 1
        if !(1...NpyArray.maximumRank).contains(array.shape.count)
          || array.shape.contains(where: { $0 < 0 })
          || array.shape.reduce(1, *) != array.count
        {
          problem = "inconsistent array: shape \(array.shape), \(array.count) elements"
        } else if let expected, expected != array.shape {
          problem = "valid file decoded to shape \(array.shape), expected \(expected)"
        }
      } catch CurvatureError.malformedFile {
        summary.rejected += 1
        if let expected { problem = "valid file of shape \(expected) rejected" }
      } catch {
        summary.rejected += 1
        problem = "unexpected error \(error)"
      }
      let elapsed = clock.now - start
      let seconds =
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      summary.slowest = max(summary.slowest, seconds)
      if let problem, summary.failures.count < 20 {
        let hex = bytes.prefix(160).map { String(format: "%02x", $0) }.joined()
        summary.failures.append("\(problem) [\(bytes.count) bytes: \(hex)]")
      } else if problem != nil {
        summary.failures.append(problem!)
      }
    }
    return summary
  }
}
