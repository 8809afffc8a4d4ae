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

    @Test func malformedInputIsRejected() {
        for bad in ["[1,2]", #"{"a":1"#, #"{"a" 1}"#, #"{"a":"open}"#, #"{"a":1} x"#, #"{"a":[1,2}"#, "{\"a\":}"] {
            #expect(throws: JSONParseError.self, "\(bad)") { _ = try values(["a"], bad) }
        }
    }
}
