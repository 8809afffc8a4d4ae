import FerryJSON
import Testing

/// Each way a record can be hostile gets its own words and byte offset, never
/// the catch-all "record is not a JSON object".
@Suite struct JSONRecordErrorTests {
    static func recordError(_ bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try bytes.withUnsafeBytes { buffer throws(JSONParseError) in try JSONParser().parseRecord(buffer) }
            return nil
        } catch {
            return error as? JSONParseError
        }
    }

    @Test(
        arguments: [
            (Array(#"{"a":"x"#.utf8) + [0xFF, 0x22, 0x7D], "invalid UTF-8 in string at byte 7 (line 1, column 8)"),
            (
                Array(#"{"a":"#.utf8) + [0xC3, 0x7D],
                "unexpected byte 0xC3 (JSON text outside strings is ASCII), expected a JSON value at byte 5"
            ),
            (
                Array(#"{"n":NaN}"#.utf8),
                "unexpected character 'N', expected a JSON value (NaN and Infinity are not JSON) at byte 5"
            ),
            (Array(#"{"n":-Infinity}"#.utf8), "expected a digit after '-' at byte 6"),
            (Array(#"{"n":1e400}"#.utf8), "number 1e400 is out of range for a double at byte 5"),
            (Array(#"[{"id":1}]"#.utf8), "expected a JSON object (a record), got an array at byte 0"),
            (Array("\u{FEFF}  \"text\"".utf8), "expected a JSON object (a record), got a string at byte 5"),
            (Array(#"{"id":1} {"id":2}"#.utf8), "unexpected character '{' after the JSON value at byte 9"),
        ] as [([UInt8], String)])
    func saysWhatIsWrongAndAtWhichByte(record: [UInt8], expected: String) throws {
        let error = try #require(Self.recordError(record))
        #expect(error.description.hasPrefix(expected), "\(error)")
        #expect(!error.description.contains("not a JSON object"))
    }

    @Test func tooDeepSaysTheLimitAndWhere() throws {
        let record =
            Array(#"{"a":"#.utf8) + Array(repeating: UInt8(ascii: "["), count: 600)
            + Array(repeating: UInt8(ascii: "]"), count: 600) + [0x7D]
        let error = try #require(Self.recordError(record))
        // The object is level 1, so the 512th '[' (at byte 5 + 511) is the first too deep.
        #expect(error.description.hasPrefix("nesting deeper than 512 levels at byte 516"), "\(error)")
    }

    @Test func aGoodRecordParses() throws {
        let record = try Array(#"{"id":1,"name":"é"}"#.utf8).withUnsafeBytes { buffer throws(JSONParseError) in
            try JSONParser().parseRecord(buffer)
        }
        #expect(record["name"] == .string("é"))
    }
}
