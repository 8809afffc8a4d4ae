import Testing

@testable import FerryJSON

private let alphabet: [Unicode.Scalar] = [
    "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "😀", "\u{FFFF}", "{", "}",
]

private func randomString(_ rng: inout SeededGenerator) -> String {
    var scalars = String.UnicodeScalarView()
    for _ in 0..<Int.random(in: 0...12, using: &rng) {
        if Bool.random(using: &rng) {
            scalars.append(alphabet.randomElement(using: &rng)!)
        } else {
            var value = UInt32.random(in: 0...0x10FFFF, using: &rng)
            if (0xD800...0xDFFF).contains(value) { value = 0x41 }
            scalars.append(Unicode.Scalar(value)!)
        }
    }
    return String(scalars)
}

func randomValue(_ rng: inout SeededGenerator, depth: Int) -> JSONValue {
    let choice = Int.random(in: 0..<(depth < 4 ? 9 : 7), using: &rng)
    switch choice {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &rng))
    case 2: return .int(Int64(bitPattern: rng.next()) >> UInt64.random(in: 0...63, using: &rng))
    case 3: return .int([Int64.min, Int64.max, 0, -1][Int.random(in: 0..<4, using: &rng)])
    case 4:
        var double = Double(bitPattern: rng.next())
        while !double.isFinite { double = Double(bitPattern: rng.next()) }
        return .double(double)
    case 5: return .double(Double(Int.random(in: -1000...1000, using: &rng)) / 8)
    case 6: return .string(randomString(&rng))
    case 7:
        return .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
    default:
        var object = JSONObject()
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            object[randomString(&rng)] = randomValue(&rng, depth: depth + 1)
        }
        return .object(object)
    }
}

@Suite struct JSONRoundTripTests {
    @Test func parseOfEncodeIsIdentityOnRandomValues() throws {
        var rng = SeededGenerator(state: 20_250_330)
        for _ in 0..<2000 {
            let value = randomValue(&rng, depth: 0)
            let bytes = value.encoded()
            let back = try JSONParser().parse(bytes)
            #expect(back == value, "\(String(decoding: bytes, as: UTF8.self))")
            #expect(back.encoded() == bytes)
            #expect(back.contentHash == value.contentHash)
        }
    }

    @Test func escapedInputRoundTripsThroughItsCanonicalForm() throws {
        let text = #"{"s":"\u00e9\ud83d\ude00\u001f\/","n":[1e2,-0.0,1E-7]}"#
        let value = try JSONValue(parsing: text)
        #expect(value.encodedString() == "{\"s\":\"é😀\\u001f/\",\"n\":[100.0,-0.0,1e-07]}")
        #expect(try JSONValue(parsing: value.encodedString()) == value)
    }
}
