import Foundation
import Testing

@testable import CurvatureCLI

@Suite struct JSONValueTests {
  @Test func serialisesCompactlyInKeyOrder() throws {
    let v: JSONValue = [
      "b": 1, "a": [true, false, nil], "x": 0.1, "big": .number(2.5e20), "tiny": .number(1e-5),
      "whole": .number(3), "s": "q\"\\\n\t\u{01}é",
    ]
    let text = try v.serialized()
    #expect(
      text
        == #"{"b":1,"a":[true,false,null],"x":0.1,"big":2.5e+20,"tiny":1e-05,"whole":3,"s":"q\"\\\n\t\u0001é"}"#
    )
  }

  @Test func outputIsValidJSONThatRoundTrips() throws {
    let values: [Double] = [
      0, -0.0, 1, -1.5, 1e-300, 1.7976931348623157e308, 123456789.125, 1e15, 3e16,
    ]
    let text = try JSONValue.object([("v", .numbers(values))]).serialized()
    let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    let back = (parsed?["v"] as? [NSNumber])?.map(\.doubleValue)
    #expect(back == values)
  }

  @Test func nonFiniteNumbersAreRefusedWithTheirPath() {
    let v: JSONValue = ["runs": [["losses": .numbers([1.0, .nan])]]]
    do {
      _ = try v.serialized()
      Issue.record("expected a throw")
    } catch {
      #expect(error.path == "runs[0].losses[1]")
      #expect(error.value.isNaN)
    }
    #expect(throws: JSONError.self) { try JSONValue.number(.infinity).serialized() }
  }
}
