import Testing

@testable import FerryJSON

@Suite struct JSONWriterTests {
    @Test func writesCompactJSON() {
        let value: JSONValue = ["b": 1, "a": [true, nil, "x"], "c": ["d": -2.5]]
        #expect(value.encodedString() == #"{"b":1,"a":[true,null,"x"],"c":{"d":-2.5}}"#)
        #expect(value.encodedString(canonical: true) == #"{"a":[true,null,"x"],"b":1,"c":{"d":-2.5}}"#)
    }

    @Test func escapesStrings() {
        let value = JSONValue.string("q\"b\\s/\u{8}\u{C}\n\r\t\u{0}\u{1F}\u{7F} é😀")
        #expect(value.encodedString() == #""q\"b\\s/\b\f\n\r\t\u0000\u001f"# + "\u{7F} é😀\"")
    }

    @Test func writesIntegersAtTheLimits() {
        #expect(JSONValue.int(.min).encodedString() == "-9223372036854775808")
        #expect(JSONValue.int(.max).encodedString() == "9223372036854775807")
        #expect(JSONValue.int(0).encodedString() == "0")
        #expect(JSONValue.int(-7).encodedString() == "-7")
    }

    @Test func writesShortestRoundTripDoubles() {
        #expect(JSONValue.double(1.0).encodedString() == "1.0")
        #expect(JSONValue.double(0.1).encodedString() == "0.1")
        #expect(JSONValue.double(-0.0).encodedString() == "-0.0")
        #expect(JSONValue.double(1e21).encodedString() == "1e+21")
        #expect(JSONValue.double(.leastNonzeroMagnitude).encodedString() == "5e-324")
        #expect(JSONValue.double(123.456).encodedString() == "123.456")
    }

    @Test func neverWritesNonFiniteNumbers() {
        let value: JSONValue = [.double(.nan), .double(.infinity), .double(-.infinity)]
        #expect(value.encodedString() == "[null,null,null]")
    }

    @Test func canonicalOrderIsByUTF8Bytes() {
        let object = JSONObject([("é", 1), ("z", 2), ("B", 3), ("a", 4), ("", 5)])
        #expect(object.encodedString(canonical: true) == #"{"":5,"B":3,"a":4,"z":2,"é":1}"#)
        #expect(object.encodedString() == #"{"é":1,"z":2,"B":3,"a":4,"":5}"#)
    }

    @Test func writerAppendsToAnExistingBuffer() {
        var buffer = Array("x=".utf8)
        JSONWriter().write(["k": "v"] as JSONValue, into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"x={"k":"v"}"#)
    }
}
