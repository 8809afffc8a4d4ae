import Testing

@testable import FerryJSON

/// `validate` must accept exactly what `parse` accepts, with the same error: a destination
/// that stores text after validating it would otherwise keep what a parse refuses.
@Suite struct JSONValidationTests {
    /// The parse's error, or nil.
    private func parseError(_ bytes: [UInt8], _ options: JSONParser.Options) -> JSONParseError? {
        do {
            _ = try JSONParser(options: options).parse(bytes)
            return nil
        } catch { return error }
    }

    private func validationError(_ bytes: [UInt8], _ options: JSONParser.Options) -> JSONParseError? {
        let outcome: Result<Void, JSONParseError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) in try JSONParser(options: options).validate(buffer) }
        }
        if case .failure(let error) = outcome { return error }
        return nil
    }

    /// Same verdict and message; the offset too, but for invalid UTF-8 after an escape (the parse
    /// counts it in its decoded copy of the string, the validation in the source).
    private func expectSameVerdict(_ bytes: [UInt8], _ options: JSONParser.Options = .init()) {
        let parsed = parseError(bytes, options)
        let validated = validationError(bytes, options)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(
            (parsed == nil) == (validated == nil),
            "\(text): parse \(String(describing: parsed)), validate \(String(describing: validated))")
        guard let parsed, let validated else { return }
        #expect(parsed.message == validated.message, "\(text)")
        if parsed.message != "invalid UTF-8 in string" { #expect(parsed.offset == validated.offset, "\(text)") }
    }

    @Test(arguments: [
        "null", " true ", "false", "\"hi\"", "[]", "{}", "{\"a\":[1,2.5,{\"z\":false}],\"b\":null}", "-0", "1e2",
        "9223372036854775808", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "5e-324",
        #""\u0000\ud83d\ude00\"\\\/\b\f\n\r\t""#, "{\"a\":1 \"b\":2}", "{\"x\" 1}", "{\"a\":1,}", "{a:1}", "[1,2",
        "[1,]",
        "[1 2]", "{\n  \"a\": tru\n}", "[1] x", "", "   ", "01", "[-01]", "1.", "1.e5", "1e+", "-", "+1", ".5", "\"abc",
        "\"a\tb\"", #""\x""#, #""\u12G4""#, #""\u12""#, #""\uD83D""#, #""\uD83Dx""#, #""\uD83D\u0041""#, #""\uDE00""#,
        "[\"é\", x]", "'a'", "{\"a\":", "{\"a\"", "{", "[", "\"\\", "{\"b\":1,\"b\":2}", "[[[[1]]]]",
    ])
    func agreesWithTheParseOnEachCase(text: String) {
        expectSameVerdict(Array(text.utf8))
        expectSameVerdict(Array(text.utf8), .init(allowNonFiniteNumbers: true))
        expectSameVerdict(Array(text.utf8), .init(maximumDepth: 2))
    }

    /// A number is converted only when it could be out of range: 308 integer digits without an
    /// exponent are below Double's largest value, 309 may not be, and any exponent is converted.
    @Test func agreesOnNumbersAtTheEdgeOfDoublesRange() {
        for digits in [17, 18, 19, 307, 308, 309, 310, 400] {
            for text in [
                String(repeating: "9", count: digits), "-" + String(repeating: "9", count: digits),
                String(repeating: "9", count: digits) + ".5", "1" + String(repeating: "0", count: digits - 1),
                "[" + String(repeating: "9", count: digits) + ".25e-1]", "0." + String(repeating: "9", count: digits),
                "1e" + String(digits), "-1.5E+" + String(digits),
            ] {
                expectSameVerdict(Array(text.utf8))
                expectSameVerdict(Array(text.utf8), .init(allowNonFiniteNumbers: true))
            }
        }
    }

    @Test func agreesOnInvalidUTF8AndTheByteOrderMark() {
        expectSameVerdict([0x22, 0x61, 0xFF, 0x22])
        expectSameVerdict(Array(#""\n"#.utf8) + [0xC3, 0x22])
        expectSameVerdict([0x22, 0xE2, 0x82, 0xAC, 0x22])
        expectSameVerdict([0x22, 0xED, 0xA0, 0x80, 0x22]) // an encoded surrogate
        expectSameVerdict([0xEF, 0xBB, 0xBF] + Array("[1]".utf8))
        expectSameVerdict(Array((String(repeating: "[", count: 513) + String(repeating: "]", count: 513)).utf8))
    }

    /// Strings are scanned eight bytes at a time: an escape, a multi-byte character, a byte that
    /// is not UTF-8 or a control byte at every place of strings of 0–20 bytes, and the string
    /// cut short after it, get the parse's verdict; the parse decodes the valid ones exactly.
    @Test func agreesOnEverySpecialByteAtEveryPlaceOfAString() throws {
        let specials: [(raw: [UInt8], decoded: String?)] = [
            (Array(#"\""#.utf8), "\""), (Array(#"\\"#.utf8), "\\"), (Array(#"\u00e9"#.utf8), "é"),
            (Array(#"\n"#.utf8), "\n"), (Array("é".utf8), "é"), (Array("€".utf8), "€"), (Array("😀".utf8), "😀"),
            ([0xFF], nil), ([0xC3], nil), ([0xE2, 0x82], nil), ([0x01], nil), ([0x1F], nil), ([0x7F], "\u{7F}"),
        ]
        for special in specials {
            for length in 0...20 {
                for place in 0...length {
                    let filler = Array(repeating: UInt8(ascii: "y"), count: length)
                    let raw = Array(filler.prefix(place)) + special.raw + Array(filler.dropFirst(place))
                    let document = [UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]
                    expectSameVerdict(document)
                    expectSameVerdict(Array(document.dropLast()))
                    guard let decoded = special.decoded else {
                        #expect(throws: JSONParseError.self, "\(raw)") { _ = try JSONParser().parse(document) }
                        continue
                    }
                    let expected =
                        String(repeating: "y", count: place) + decoded + String(repeating: "y", count: length - place)
                    #expect(try JSONParser().parse(document) == .string(expected), "\(expected)")
                }
            }
        }
    }

    /// Random documents, then each cut short and with a byte changed: every verdict must match.
    @Test func agreesOnRandomDocumentsAndTheirCorruptions() {
        var rng = SeededGenerator(state: 20_261_128)
        let replacements: [UInt8] = Array("{}[]\",:\\ u0e-.tnfx".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]
        for _ in 0..<1500 {
            let bytes = randomValue(&rng, depth: 0).encoded()
            expectSameVerdict(bytes)
            guard !bytes.isEmpty else { continue }
            expectSameVerdict(Array(bytes[..<Int.random(in: 0..<bytes.count, using: &rng)]))
            var changed = bytes
            changed[Int.random(in: 0..<bytes.count, using: &rng)] = replacements.randomElement(using: &rng)!
            expectSameVerdict(changed)
        }
    }
}
