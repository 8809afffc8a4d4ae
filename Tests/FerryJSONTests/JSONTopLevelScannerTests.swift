import FerryJSON
import Foundation
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

    /// Equal bytes are not enough when the key has an escape: `\b` is a backspace, not a backslash.
    @Test func aKeyWithAnEscapeMatchesOnlyWhatItDecodesTo() throws {
        #expect(try values(["a\\b"], #"{"a\b":1,"a\\b":2}"#) == [.int(2)])
        #expect(try values(["a\u{8}"], #"{"a\b":1,"a\\b":2}"#) == [.int(1)])
    }

    /// The values of a record inside a checked document: the same values, the walk stopping
    /// at the last field asked for (so a broken tail goes unseen, as the document was checked).
    @Test func valuesInACheckedRecordAreTheValuesAndStopAtTheLastField() throws {
        var generator = SeededGenerator(state: 11)
        for _ in 0..<300 {
            let keys = (0..<4).map { "k\($0)" }
            var members: [String] = []
            for _ in 0..<6 {
                let key = keys[Int(generator.next() % 4)]
                let value = generator.next() % 2 == 0 ? #""v,}\"\u0041""# : #"[1,{"k0":null}]"#
                members.append(#""\#(key)":\#(value)"#)
            }
            let text = "{" + members.joined(separator: ",") + "}"
            let asked = Array(keys.prefix(Int(generator.next() % 4) + 1))
            let checked = try Array(text.utf8).withUnsafeBytes {
                try JSONTopLevelScanner.values(of: asked.map { Array($0.utf8) }, inChecked: $0)
            }
            #expect(checked == (try values(asked, text)), "\(text)")
        }
        let brokenTail = Array(#"{"id":1,"name":"x","rest":[1,"#.utf8)
        #expect(
            try brokenTail.withUnsafeBytes {
                try JSONTopLevelScanner.values(of: [Array("name".utf8), Array("id".utf8)], inChecked: $0)
            } == [.string("x"), .int(1)])
        #expect(throws: JSONParseError.self) {
            _ = try brokenTail.withUnsafeBytes {
                try JSONTopLevelScanner.values(of: [Array("name".utf8), Array("missing".utf8)], inChecked: $0)
            }
        }
    }

    /// Keys compared where they stand agree with walking the members and comparing each key's
    /// bytes, for names written as their bytes; a name JSON escapes never matches, and anything
    /// malformed is a false with nothing appended.
    @Test func keysComparedWhereTheyStandAgreeWithTheWalk() throws {
        func walked(_ line: [UInt8], _ names: [String]) -> [String]? {
            var keys: [[UInt8]] = []
            var found: [String] = []
            do {
                try line.withUnsafeBytes { bytes in
                    try JSONTopLevelScanner.forEachMember(in: bytes) { key, value in
                        keys.append(Array(key))
                        found.append(String(decoding: value, as: UTF8.self))
                    }
                }
            } catch { return nil }
            return keys == names.map { Array($0.utf8) } ? found : nil
        }
        func compared(_ line: [UInt8], _ names: [String]) -> [String]? {
            // A name JSON escapes is not a plain key: such names are never compared as bytes.
            guard let keys = JSONTopLevelScanner.PlainKeys(names) else { return nil }
            var values: [UnsafeRawBufferPointer] = [UnsafeRawBufferPointer(start: nil, count: 0)]
            return line.withUnsafeBytes { bytes in
                guard JSONTopLevelScanner.values(in: bytes, keyedExactly: keys, appendingTo: &values) else {
                    #expect(values.count == 1, "nothing appended on a false")
                    return nil
                }
                return values.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            }
        }
        var generator = SeededGenerator(state: 5)
        let keys = ["id", "name", "a b", "é", "", "n1"]
        for _ in 0..<2_000 {
            let chosen = (0..<Int(generator.next() % 4)).map { _ in keys[Int(generator.next() % UInt64(keys.count))] }
            let values = [#""x, \"}""#, "12.5", "[1,{\"k\":null}]", "true", #""""#]
            var text =
                "{" + chosen.map { #" "\#($0)" : "# + values[Int(generator.next() % 5)] }.joined(separator: ",") + "}"
            switch generator.next() % 6 {
            case 0: text.removeLast()
            case 1: text += " x"
            case 2: text = text.replacingOccurrences(of: ":", with: " ")
            default: break
            }
            var names = chosen
            if generator.next() % 4 == 0, !names.isEmpty { names.removeLast() }
            let line = Array(text.utf8)
            #expect(compared(line, names) == walked(line, names), "\(text) \(chosen)")
        }
        // Equal bytes are not the same key when a name holds a byte JSON escapes.
        for (text, name) in [(#"{"a\b":1}"#, #"a\b"#), (#"{"a\"b":1}"#, #"a\"b"#), ("{\"a\u{1}\":1}", "a\u{1}")] {
            #expect(compared(Array(text.utf8), [name]) == nil, "\(text)")
        }
    }

    @Test func rawValuesAreTheValuesBytesAndParseToTheValues() throws {
        let line = Array(#"{"id": 42 ,"name":"\u0041ino","tags":[1,"x"]}"#.utf8)
        try line.withUnsafeBytes { bytes in
            let fields = ["tags", "missing", "id", "name"].map { Array($0.utf8) }
            let raw = try JSONTopLevelScanner.rawValues(of: fields, in: bytes)
            #expect(
                raw.map { $0.map { String(decoding: $0, as: UTF8.self) } } == [#"[1,"x"]"#, nil, "42", #""\u0041ino""#])
            #expect(
                try JSONTopLevelScanner.parse(raw) == [
                    .array([.int(1), .string("x")]), nil, .int(42), .string("Aino"),
                ])
        }
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
