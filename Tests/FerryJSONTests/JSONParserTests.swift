import Testing

@testable import FerryJSON

private func parse(_ text: String, allowNonFinite: Bool = false) throws -> JSONValue {
    try JSONParser(options: .init(allowNonFiniteNumbers: allowNonFinite)).parse(text)
}

private func parseError(_ text: String, allowNonFinite: Bool = false) -> JSONParseError? {
    do {
        _ = try JSONParser(options: .init(allowNonFiniteNumbers: allowNonFinite)).parse(text)
        return nil
    } catch {
        return error
    }
}

@Suite struct JSONParserTests {
    @Test func parsesScalarsAndContainers() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("\"hi\"") == .string("hi"))
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object(JSONObject()))
        let value = try parse(#"{"id": 7, "tags": ["a", "b"], "nested": {"x": null, "y": [1, 2.5, {"z": false}]}}"#)
        #expect(value == ["id": 7, "tags": ["a", "b"], "nested": ["x": nil, "y": [1, 2.5, ["z": false]]]])
        #expect(value.objectValue?.keys == ["id", "tags", "nested"])
    }

    @Test func keepsKeyOrderAndLastDuplicateValue() throws {
        let value = try parse(#"{"b":1,"a":2,"b":3}"#)
        #expect(value.objectValue?.keys == ["b", "a"])
        #expect(value["b"] == .int(3))
    }

    @Test func skipsLeadingByteOrderMark() throws {
        #expect(try JSONParser().parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == [1])
    }

    @Test func integersStayExactAtTheLimits() throws {
        #expect(try parse("9223372036854775807") == .int(.max))
        #expect(try parse("-9223372036854775808") == .int(.min))
        #expect(try parse("123456789012345678") == .int(123_456_789_012_345_678))
        #expect(try parse("-0") == .int(0))
        #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808.0))
        #expect(try parse("-9223372036854775809") == .double(-9_223_372_036_854_775_809.0))
        #expect(try parse("100000000000000000000000") == .double(1e23))
    }

    @Test func fractionsAndExponentsAreDoubles() throws {
        #expect(try parse("1.0") == .double(1.0))
        #expect(try parse("1e2") == .double(100))
        #expect(try parse("-1.5E-3") == .double(-0.0015))
        #expect(try parse("0.1") == .double(0.1))
        #expect(try parse("5e-324") == .double(.leastNonzeroMagnitude))
        #expect(try parse("1e-400") == .double(0))
        #expect(try parse("1.7976931348623157e308") == .double(.greatestFiniteMagnitude))
    }

    @Test func outOfRangeNumbersAreNonFinite() throws {
        #expect(parseError("1e400")?.message == "number 1e400 is out of range for a double")
        #expect(try parse("1e400", allowNonFinite: true) == .double(.infinity))
        #expect(try parse("-1e400", allowNonFinite: true) == .double(-.infinity))
    }

    @Test func nonFiniteLiteralsOnlyWhenAllowed() throws {
        let nan = try parse("[NaN, Infinity, -Infinity]", allowNonFinite: true).arrayValue ?? []
        #expect(nan.count == 3)
        #expect(nan[0].doubleValue?.isNaN == true)
        #expect(nan[1] == .double(.infinity))
        #expect(nan[2] == .double(-.infinity))
        #expect(
            parseError("NaN")?.description
                == "unexpected character 'N', expected a JSON value (NaN and Infinity are not JSON) at byte 0 (line 1, column 1)"
        )
        #expect(parseError("[1,-Infinity]")?.description == "expected a digit after '-' at byte 4 (line 1, column 5)")
        #expect(parseError("Nan", allowNonFinite: true)?.message == "invalid literal, expected 'NaN'")
    }

    @Test func escapesAndSurrogatePairs() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC""#) == .string("é€"))
        #expect(try parse(#""\uD83D\uDE00 ok""#) == .string("😀 ok"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try parse("\"raw é 😀\"") == .string("raw é 😀"))
    }

    @Test(arguments: [
        (#"{"a":1 "b":2}"#, "expected ',' or '}' after object member at byte 7 (line 1, column 8)"),
        (#"{"name": "Ferry", "x" 1}"#, "expected ':' after object key at byte 22 (line 1, column 23)"),
        (#"{"a":1,}"#, "expected '\"' to begin an object key after ',' at byte 7 (line 1, column 8)"),
        (#"{a:1}"#, "expected '\"' to begin an object key or '}' at byte 1 (line 1, column 2)"),
        ("[1,2", "unexpected end of input, expected ',' or ']' after array element at byte 4 (line 1, column 5)"),
        ("[1,]", "expected a JSON value after ',' (trailing commas are not JSON) at byte 3 (line 1, column 4)"),
        ("[1 2]", "expected ',' or ']' after array element at byte 3 (line 1, column 4)"),
        ("{\n  \"a\": tru\n}", "invalid literal, expected 'true' at byte 9 (line 2, column 8)"),
        ("[1] x", "unexpected character 'x' after the JSON value at byte 4 (line 1, column 5)"),
        ("", "expected a JSON value but the input is empty at byte 0 (line 1, column 1)"),
        ("   ", "unexpected end of input, expected a JSON value at byte 3 (line 1, column 4)"),
        ("01", "leading zeros are not allowed in numbers at byte 0 (line 1, column 1)"),
        ("[-01]", "leading zeros are not allowed in numbers at byte 2 (line 1, column 3)"),
        ("1.", "expected a digit after the decimal point at byte 2 (line 1, column 3)"),
        ("1.e5", "expected a digit after the decimal point at byte 2 (line 1, column 3)"),
        ("1e+", "expected a digit in the exponent at byte 3 (line 1, column 4)"),
        ("-", "expected a digit after '-' at byte 1 (line 1, column 2)"),
        ("+1", "unexpected character '+', expected a JSON value at byte 0 (line 1, column 1)"),
        (".5", "unexpected character '.', expected a JSON value at byte 0 (line 1, column 1)"),
        ("\"abc", "unterminated string at byte 0 (line 1, column 1)"),
        ("\"a\tb\"", "control character U+0009 in string must be escaped at byte 2 (line 1, column 3)"),
        (#""\x""#, "invalid escape sequence '\\x' in string at byte 1 (line 1, column 2)"),
        (#""\u12G4""#, "invalid \\u escape in string, expected 4 hex digits at byte 1 (line 1, column 2)"),
        (#""\u12""#, "invalid \\u escape in string, expected 4 hex digits at byte 1 (line 1, column 2)"),
        (#""\uD83D""#, "unpaired surrogate \\uD83D in string at byte 1 (line 1, column 2)"),
        (#""\uD83Dx""#, "unpaired surrogate \\uD83D in string at byte 1 (line 1, column 2)"),
        (#""\uD83D\u0041""#, "unpaired surrogate \\uD83D in string at byte 1 (line 1, column 2)"),
        (#""\uDE00""#, "unpaired surrogate \\uDE00 in string at byte 1 (line 1, column 2)"),
        ("[\"é\", x]", "unexpected character 'x', expected a JSON value at byte 7 (line 1, column 7)"),
        ("'a'", "unexpected character ''', expected a JSON value at byte 0 (line 1, column 1)"),
    ])
    func rejectsInvalidDocumentsAtExactPositions(text: String, expected: String) {
        #expect(parseError(text)?.description == expected)
    }

    @Test func reportsByteOffsetLineAndColumn() {
        let error = parseError("{\n  \"a\": 1,\n  \"b\" 2\n}")
        #expect(error?.offset == 18)
        #expect(error?.line == 3)
        #expect(error?.column == 7)
        #expect(error?.message == "expected ':' after object key")
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        #expect(throws: JSONParseError.self) { try JSONParser().parse(bytes) }
        do {
            _ = try JSONParser().parse(bytes)
        } catch {
            #expect(error.message == "invalid UTF-8 in string")
            #expect(error.offset == 2)
        }
        let escaped: [UInt8] = Array(#""\n"#.utf8) + [0xC3] + [0x22]
        #expect(throws: JSONParseError.self) { try JSONParser().parse(escaped) }
    }

    @Test func limitsNestingDepth() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(try parse(ok).arrayValue != nil)
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(parseError(deep)?.description == "nesting deeper than 512 levels at byte 512 (line 1, column 513)")
        let objects = String(repeating: #"{"a":"#, count: 600)
        #expect(parseError(objects)?.message == "nesting deeper than 512 levels")
        let shallow = JSONParser(options: .init(maximumDepth: 2))
        #expect(throws: JSONParseError.self) { try shallow.parse("[[[1]]]") }
    }

    @Test func initializerParsesText() throws {
        #expect(try JSONValue(parsing: #"{"a": [true]}"#) == ["a": [true]])
    }
}
