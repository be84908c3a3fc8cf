import Foundation
import Testing

@testable import Curvature

@Suite struct NpyFileTests {
  static func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
      .appendingPathComponent("npy").appendingPathComponent(name).path
  }

  /// The 3×4 values the fixtures were generated from: base(i, j) = 10 i + j.
  static func expected(_ dtype: String) -> NpyArray.Elements {
    let base = (0..<3).flatMap { i in (0..<4).map { j in Double(10 * i + j) } }
    switch dtype {
    case "f4": return .float32(base.map { Float($0 * 1.5 - 7.25) })
    case "f8": return .float64(base.map { $0 / 3 - 7 })
    case "i4": return .int32(base.map { Int32($0 * 1_000_003 - 7) })
    default: return .int64(base.map { Int64($0) * 4_000_000_000_001 - 7 })
    }
  }

  static func malformedReason(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch let CurvatureError.malformedFile(_, reason) {
      return reason
    } catch {
      return "unexpected error \(error)"
    }
  }

  @Test(arguments: ["f4", "f8", "i4", "i8"])
  func readsNumPyFixtures(dtype: String) throws {
    for order in ["C", "F"] {
      for version in 1...3 {
        let a = try NpyFile.read(path: Self.fixture("\(dtype)_\(order)_v\(version).npy"))
        #expect(a.shape == [3, 4])
        #expect(a.dataType.rawValue == "<" + dtype)
        #expect(a.elements == Self.expected(dtype))
        // Writing the same array reproduces NumPy's bytes exactly (header, padding, data).
        let original = try Data(
          contentsOf: URL(fileURLWithPath: Self.fixture("\(dtype)_\(order)_v\(version).npy")))
        let encoded = try NpyFile.encode(a, fortranOrder: order == "F", formatVersion: version)
        #expect(encoded == [UInt8](original))
      }
    }
    let flat = try NpyFile.read(path: Self.fixture("\(dtype)_1d.npy"))
    #expect(flat.shape == [12])
    #expect(flat.elements == Self.expected(dtype))
  }

  @Test func emptyArrays() throws {
    let a = try NpyFile.read(path: Self.fixture("f4_empty.npy"))
    #expect(a.shape == [0] && a.count == 0)
    let b = try NpyFile.read(path: Self.fixture("f8_empty_2d.npy"))
    #expect(b.shape == [0, 3] && b.count == 0)
    #expect(try b.doubles().isEmpty)
  }

  /// 3-D and 4-D arrays (N × C × H × W images): C order as stored; Fortran order (first index
  /// fastest) reordered so that element (i, j, k) of a 2×3×4 file holding 0, 1, 2, … in file
  /// order is i + 2j + 6k.
  @Test func higherRankArraysInBothOrders() throws {
    let values = (0..<24).flatMap {
      withUnsafeBytes(of: Float($0).bitPattern.littleEndian, Array.init)
    }
    let c = try NpyFile.read(
      data: Self.image(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", data: values),
      name: "c.npy")
    #expect(c.shape == [2, 3, 4] && c.elements == .float32((0..<24).map(Float.init)))
    let f = try NpyFile.read(
      data: Self.image(
        "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 4), }", data: values),
      name: "f.npy")
    var expected: [Float] = []
    for i in 0..<2 {
      for j in 0..<3 { for k in 0..<4 { expected.append(Float(i + 2 * j + 6 * k)) } }
    }
    #expect(f.shape == [2, 3, 4] && f.elements == .float32(expected))
    let image = try NpyArray(shape: [2, 1, 3, 2], elements: .float64((0..<12).map(Double.init)))
    #expect(try NpyFile.read(data: NpyFile.encode(image), name: "4d.npy") == image)
    #expect(try NpyFile.read(path: Self.fixture("bad_3d.npy")).shape == [2, 2, 2])
    #expect(throws: CurvatureError.self) {
      try NpyArray(shape: [1, 1, 1, 1, 2], elements: .float32([0, 1]))
    }
  }

  @Test func unsupportedNumPyFilesAreRejectedByName() {
    let cases = [
      ("bad_0d.npy", "0-D"), ("bad_big_endian.npy", "big-endian"),
      ("bad_f2.npy", "unsupported dtype '<f2'"), ("bad_u4.npy", "unsupported dtype '<u4'"),
      ("bad_bool.npy", "unsupported dtype '|b1'"), ("bad_structured.npy", "structured"),
    ]
    for (name, phrase) in cases {
      let reason = Self.malformedReason { _ = try NpyFile.read(path: Self.fixture(name)) }
      #expect(reason?.contains(phrase) == true, "\(name): \(reason ?? "no error")")
    }
    #expect(throws: CurvatureError.self) { try NpyFile.read(path: "/nonexistent/file.npy") }
  }

  @Test func roundTripsEveryTypeOrderAndVersion() throws {
    let arrays: [NpyArray] = [
      try NpyArray(
        shape: [2, 3], elements: .float32([1, -2.5, .pi, 0, -0, .greatestFiniteMagnitude])),
      try NpyArray(shape: [3, 2], elements: .float64([1e-300, -1e300, 0.1, 2, 3, 4])),
      try NpyArray(shape: [1, 4], elements: .int32([.min, .max, 0, -1])),
      try NpyArray(shape: [4], elements: .int64([.min, .max, 0, 1 << 53 + 1])),
      try NpyArray(shape: [0, 5], elements: .float32([])),
    ]
    for a in arrays {
      for fortran in [false, true] {
        for version in [1, 2, 3] {
          let bytes = try NpyFile.encode(a, fortranOrder: fortran, formatVersion: version)
          #expect(bytes.count % 64 == (a.count * a.dataType.size) % 64)
          #expect(try NpyFile.read(data: bytes) == a)
        }
      }
    }
    // NaN payloads survive bit for bit.
    let nan = NpyArray(vector: [.nan, -.infinity, .infinity])
    let back = try NpyFile.read(data: try NpyFile.encode(nan))
    guard case .float32(let x) = back.elements else {
      Issue.record("wrong type")
      return
    }
    #expect(x[0].isNaN && x[1] == -.infinity && x[2] == .infinity)
  }

  @Test func atomicWritesToDisk() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("npy-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("v.npy").path
    try NpyFile.write(vector: [1, 2, 3], to: path)
    try NpyFile.write(vector: [4, 5], to: path)  // replaces the file
    #expect(try NpyFile.read(path: path) == NpyArray(vector: [4, 5]))
    // Only the target remains: no temporary files.
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["v.npy"])
    // A directory that does not exist: a file-system error, nothing written.
    #expect(throws: CurvatureError.self) {
      try NpyFile.write(vector: [1], to: directory.appendingPathComponent("no/such/dir.npy").path)
    }
    // A basis is written as the P×k matrix U (Fortran order straight from its columns).
    var rng = SeededGenerator(seed: 6)
    let basis = try Basis(
      orthonormalizing: (0..<3).map { _ in rng.gaussianVector(count: 1000) }, dimension: 1000)
    let bpath = directory.appendingPathComponent("u.npy").path
    try NpyFile.write(basis: basis, to: bpath)
    let read = try NpyFile.read(path: bpath)
    #expect(read.shape == [1000, 3])
    #expect(read == NpyArray(basis: basis))
    let columns = try read.floatColumns()
    for j in 0..<3 { #expect(columns[j] == basis.column(j)) }
  }

  @Test func typedAccessorsCheckConversions() throws {
    let d = try NpyArray(shape: [3], elements: .float64([1.5, -2, 1e300]))
    #expect(throws: CurvatureError.self) { try d.floats() }
    #expect(throws: CurvatureError.self) { try d.ints() }
    #expect(try NpyArray(shape: [2], elements: .float64([3, -2])).ints() == [3, -2])
    #expect(try NpyArray(shape: [2], elements: .float32([3, -2])).doubles() == [3, -2])
    #expect(throws: CurvatureError.self) {
      try NpyArray(shape: [1], elements: .int64([(1 << 53) + 1])).doubles()
    }
    #expect(throws: CurvatureError.self) {
      try NpyArray(shape: [1], elements: .int32([16_777_217])).floats()
    }
    #expect(try NpyArray(shape: [1], elements: .int32([16_777_216])).floats() == [16_777_216])
    #expect(throws: CurvatureError.self) {
      try NpyArray(shape: [1], elements: .float32([.nan])).ints()
    }
    #expect(throws: CurvatureError.self) { try NpyArray(shape: [2, 2], elements: .float32([1])) }
    #expect(throws: CurvatureError.self) {
      try NpyArray(shape: [1, 1, 1, 1, 1], elements: .float32([1]))
    }
    #expect(throws: CurvatureError.self) { try NpyArray(shape: [-1], elements: .float32([])) }
    #expect(throws: CurvatureError.self) { try NpyArray(vector: [1]).floatColumns() }
    #expect(throws: CurvatureError.self) {
      try NpyFile.encode(NpyArray(vector: [1]), formatVersion: 4)
    }
  }

  /// A hand-written image: preamble for `version`, the header text padded to 64, then `data`.
  static func image(_ header: String, version: UInt8 = 1, data: [UInt8] = [], pad: Bool = true)
    -> [UInt8]
  {
    var h = Array(header.utf8)
    let prefix = version == 1 ? 10 : 12
    if pad {
      h += [UInt8](repeating: 0x20, count: (64 - (prefix + h.count + 1) % 64) % 64)
      h.append(0x0A)
    }
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    if version == 1 {
      out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8)]
    } else {
      out += (0..<4).map { UInt8((h.count >> (8 * $0)) & 0xFF) }
    }
    return out + h + data
  }

  @Test func malformedImagesNameTheProblem() throws {
    let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    let eight = [UInt8](repeating: 0, count: 8)
    #expect(try NpyFile.read(data: Self.image(good, data: eight)).count == 2)
    var cases: [([UInt8], String)] = [
      (Array("hello world".utf8), "bad magic"),
      ([0x93, 0x4E, 0x55], "truncated preamble"),
      (Array(Self.image(good, data: eight).prefix(9)), "truncated preamble"),
      (Self.image(good, version: 4, data: eight), "unsupported format version 4.0"),
      (Array(Self.image(good, data: eight).prefix(40)), "truncated header"),
      (Self.image(good, data: [0, 0, 0, 0, 0, 0, 0]), "truncated data"),
      (Self.image(good, data: eight + [0]), "data size mismatch"),
      (
        Self.image(good.replacingOccurrences(of: "(2,)", with: "(9223372036854775807, 2)")),
        "overflows"
      ),
      (
        Self.image(good.replacingOccurrences(of: "(2,)", with: "(99999999999999999999,)")),
        "too large"
      ),
      (
        Self.image(good.replacingOccurrences(of: "(2,)", with: "(1000000000000,)"), data: eight),
        "truncated data"
      ),
      (Self.image(good.replacingOccurrences(of: "(2,)", with: "(2)"), data: eight), "not a tuple"),
      (Self.image(good.replacingOccurrences(of: "(2,)", with: "(-2,)"), data: eight), "negative"),
      (
        Self.image(good.replacingOccurrences(of: "'<f4'", with: "'>f4'"), data: eight), "big-endian"
      ),
      (
        Self.image(good.replacingOccurrences(of: "'<f4'", with: "'<c8'"), data: eight),
        "unsupported dtype"
      ),
      (
        Self.image(good.replacingOccurrences(of: "False", with: "Maybe"), data: eight),
        "True or False"
      ),
      (
        Self.image(good.replacingOccurrences(of: "'shape'", with: "'shapes'"), data: eight),
        "unexpected key"
      ),
      (
        Self.image("{'descr': '<f4', 'fortran_order': False, }", data: eight), "missing key 'shape'"
      ),
      (
        Self.image(good.replacingOccurrences(of: "}", with: "'descr': '<f4'}"), data: eight),
        "repeated key"
      ),
      (Self.image(good.replacingOccurrences(of: "}", with: ""), data: eight), "expected"),
      (Self.image("{'descr: '<f4'", data: eight), "header"),
      (Self.image(good + " x", data: eight), "after '}'"),
      (Self.image(good.replacingOccurrences(of: "(2,)", with: "()"), data: eight), "0-D"),
      (
        Self.image(good.replacingOccurrences(of: "(2,)", with: "(1, 1, 1, 1, 2)"), data: eight),
        "5-D"
      ),
    ]
    var v2 = Self.image(good, version: 2, data: eight)
    v2[8...11] = [0xFF, 0xFF, 0xFF, 0x7F]  // header length far beyond the file
    cases.append((v2, "truncated header"))
    var minor = Self.image(good, data: eight)
    minor[7] = 1
    cases.append((minor, "unsupported format version 1.1"))
    for (bytes, phrase) in cases {
      let reason = Self.malformedReason { _ = try NpyFile.read(data: bytes, name: "test.npy") }
      #expect(reason?.contains(phrase) == true, "expected '\(phrase)', got \(reason ?? "no error")")
    }
    // Keys in another order, double quotes and no trailing comma are fine (valid Python).
    let relaxed = #"{"shape": (1, 2), "fortran_order": True, "descr": "<f4"}"#
    let a = try NpyFile.read(data: Self.image(relaxed, data: eight))
    #expect(a.shape == [1, 2])
  }

  /// Seeded random mutations of valid images: the reader must throw or succeed, never crash.
  /// `CURVATURE_NPY_FUZZ_COUNT` raises the count for a longer run.
  @Test func fuzzedImagesNeverCrash() throws {
    let count =
      ProcessInfo.processInfo.environment["CURVATURE_NPY_FUZZ_COUNT"].flatMap(Int.init) ?? 3000
    let seeds: [[UInt8]] = try [
      NpyFile.encode(try NpyArray(shape: [3, 4], elements: Self.expected("f4"))),
      NpyFile.encode(
        try NpyArray(shape: [3, 4], elements: Self.expected("f8")), fortranOrder: true),
      NpyFile.encode(try NpyArray(shape: [12], elements: Self.expected("i4")), formatVersion: 2),
      NpyFile.encode(try NpyArray(shape: [4, 3], elements: Self.expected("i8")), formatVersion: 3),
    ]
    let (accepted, rejected) = NpyFuzz.run(seeds: seeds, count: count, seed: 2026)
    #expect(accepted + rejected == count)
    if count != 3000 {
      print("npy fuzz: \(count) inputs, \(accepted) accepted, \(rejected) rejected, no crash")
    }
    #expect(rejected > count / 2)  // most mutations break something
  }
}

/// The mutation fuzzer shared by the test above and longer runs.
enum NpyFuzz {
  static let headerTokens: [String] = [
    "(", ")", ",", "'", "\"", "{", "}", ":", "-1", "0", "99999999999999999999", "True", "False",
    "<f4", ">f8", "<i8", "|b1", "descr", "shape", "fortran_order", " ", "\n", "\0", "L",
  ]

  /// Returns (accepted, rejected) counts; traps only if the reader itself crashes.
  static func run(seeds: [[UInt8]], count: Int, seed: UInt64) -> (Int, Int) {
    var rng = SeededGenerator(seed: seed)
    var accepted = 0
    var rejected = 0
    for _ in 0..<count {
      var b = seeds[rng.nextInt(below: seeds.count)]
      for _ in 0...rng.nextInt(below: 3) { mutate(&b, &rng) }
      do {
        let a = try NpyFile.read(data: b, name: "fuzz")
        // Whatever is accepted is self-consistent.
        precondition(a.count == a.shape.reduce(1, *))
        accepted += 1
      } catch {
        rejected += 1
      }
    }
    return (accepted, rejected)
  }

  static func mutate(_ b: inout [UInt8], _ rng: inout SeededGenerator) {
    if b.isEmpty {
      b = [0x93]
      return
    }
    // Header bytes (the first 128) are mutated more often than data bytes.
    let headerEnd = min(b.count, 128)
    func position(_ header: Bool) -> Int { rng.nextInt(below: header ? headerEnd : b.count) }
    switch rng.nextInt(below: 9) {
    case 0: b[position(rng.nextInt(below: 4) > 0)] ^= UInt8(1 << rng.nextInt(below: 8))
    case 1: b[position(true)] = UInt8(truncatingIfNeeded: rng.next())
    case 2: b.removeLast(rng.nextInt(below: b.count) + 1)
    case 3:
      let p = position(true)
      b.removeSubrange(p..<min(b.count, p + 1 + rng.nextInt(below: 8)))
    case 4:
      let token = headerTokens[rng.nextInt(below: headerTokens.count)]
      b.insert(contentsOf: Array(token.utf8), at: position(true))
    case 5:
      let token = headerTokens[rng.nextInt(below: headerTokens.count)]
      let p = position(true)
      let end = min(b.count, p + token.utf8.count)
      b.replaceSubrange(p..<end, with: Array(token.utf8))
    case 6:
      // Header length field (bytes 8–11) set to something random.
      if b.count > 11 { b[8 + rng.nextInt(below: 4)] = UInt8(truncatingIfNeeded: rng.next()) }
    case 7:
      // A digit in the shape replaced by another digit.
      if let i = b.prefix(headerEnd).indices.filter({ b[$0] >= 0x30 && b[$0] <= 0x39 && $0 > 10 })
        .randomElement(using: &rng)
      {
        b[i] = 0x30 + UInt8(rng.nextInt(below: 10))
      }
    default:
      b += (0..<rng.nextInt(below: 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }
  }
}
