import FerryJSON
import Testing

@Suite struct JSONTopLevelScannerTests {
    func values(_ fields: [String], _ text: String) throws -> [JSONValue?] {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { try JSONTopLevelScanner.values(of: fields.map { Array($0.utf8) }, in: $0) }
    }

    @Test func picksTopLevelFieldsAndSkipsTheRest() throws {
        let line = #"{"a":{"id":9,"s":"x}]\"y"},"id":42,"name":"Aino","tags":["{",1],"n":null,"f":1.5e2}"#
        #expect(
            try values(["id", "name", "n", "f", "missing"], line) == [
                .int(42), .string("Aino"), .null, .double(150), nil,
            ])
    }

    @Test func nestedKeysWithTheSameNameAreNotTopLevel() throws {
        #expect(try values(["id"], #"{"inner":{"id":1}}"#) == [nil])
    }

    @Test func escapedKeysAreDecodedBeforeComparing() throws {
        #expect(try values(["id"], #"{"\u0069d":"7"}"#) == [.string("7")])
    }

    @Test func agreesWithTheFullParserOnRandomObjects() throws {
        var generator = SeededGenerator(state: 7)
        for _ in 0..<300 {
            let keys = (0..<5).map { "k\($0)" }
            var object = JSONObject()
            for key in keys where generator.next() % 3 != 0 {
                object[key] =
                    generator.next() % 2 == 0
                    ? .string("v \(generator.next() % 100) \"q\" \\ ,}]") : .array([.int(1), .object(["x": .null])])
            }
            let text = JSONValue.object(object).encodedString()
            #expect(try values(keys, text) == keys.map { object[$0] })
        }
    }

    /// Strings are skipped eight bytes at a time: an escape, a multi-byte character or the
    /// closing quote at any place in or across those eight, or near the end of the bytes, is
    /// found where a byte-by-byte reading finds it.
    @Test func stringsOfEveryLengthWithASpecialAtEveryPlaceAreSkippedExactly() throws {
        for special in [#"\""#, #"\\"#, #"\u00e9"#, "é", "€", "\u{7F}", "}"] {
            for length in 0...20 {
                for place in 0...length {
                    let filler = String(repeating: "x", count: length)
                    let raw = String(filler.prefix(place)) + special + String(filler.dropFirst(place))
                    let line = #"{"s":""# + raw + #"","id":7}"#
                    let parsed = try JSONParser().parse(Array(line.utf8))
                    guard case .object(let object) = parsed else { Issue.record("not an object"); continue }
                    #expect(try values(["id", "s"], line) == [.int(7), object["s"]], "\(line)")
                }
            }
        }
    }

    @Test func aControlCharacterOrAMissingQuoteAnywhereInAStringIsRejected() {
        for length in 0...20 {
            for place in 0...length {
                let filler = Array(repeating: UInt8(ascii: "x"), count: length)
                for control: UInt8 in [0x01, 0x09, 0x1F] {
                    let raw = Array(filler.prefix(place)) + [control] + Array(filler.dropFirst(place))
                    let line = Array(#"{"s":""#.utf8) + raw + Array(#"","id":7}"#.utf8)
                    #expect(throws: JSONParseError.self, "control \(control) at \(place) of \(length)") {
                        _ = try line.withUnsafeBytes { try JSONTopLevelScanner.values(of: [Array("id".utf8)], in: $0) }
                    }
                }
            }
            let unterminated = #"{"id":7,"s":""# + String(repeating: "x", count: length)
            #expect(throws: JSONParseError.self, "\(unterminated)") { _ = try values(["id"], unterminated) }
            let escapedEnd = #"{"id":7,"s":""# + String(repeating: "x", count: length) + #"\""#
            #expect(throws: JSONParseError.self, "\(escapedEnd)") { _ = try values(["id"], escapedEnd) }
        }
    }

    @Test func malformedInputIsRejected() {
        for bad in ["[1,2]", #"{"a":1"#, #"{"a" 1}"#, #"{"a":"open}"#, #"{"a":1} x"#, #"{"a":[1,2}"#, "{\"a\":}"] {
            #expect(throws: JSONParseError.self, "\(bad)") { _ = try values(["a"], bad) }
        }
    }
}
