import Testing
import Yams

@testable import FerryCore

/// The configuration's scalar types, decided without regular expressions, are the ones Yams'
/// default resolver gives: text by text, for the forms YAML 1.1 names and for random text
/// from the characters those forms are made of.
@Suite struct YAMLScalarTypeTests {
    static let forms = [
        "", "~", "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yEs", "no", "on", "OFF", "y", "n", "true",
        "tRUE",
        "0", "-0", "+0", "00", "007", "0o17", "0o", "0o8", "0b101", "0b", "0b2", "-0b1_0", "0x1F", "0xG", "0x", "+0x_",
        "1_000", "-1", "+12", "1:30", "190:20:30", "1:60", "1:5", "1:059", "0:30", "12:", "_1", "1__", "0_", "08",
        "1.5", "-1.5e3", "1e5", "1E+5", "1e", "1.", ".5", "._", ".5e+3", ".5e3", "+.5", "-.inf", ".Inf", "+.INF",
        ".nan",
        "-.nan", ".NaN", "1:30.5", "1:30.", "-1:20:30.5_", "1_2.3_4", "<<", "<", "=", "==",
        "2024-01-31", "2024-1-31", "2024-01-31T10:20:30Z", "2024-1-3t1:20:30", "2024-01-31 10:20:30.123 +05:30",
        "2024-01-31\t \t10:20:30-5", "2024-01-31T10:20:30+0530", "2024-01-31T10:20", "2024-01-31T10:20:30 ",
        "2024-01-31T10:20:30.Z", "2024-01-31T10:20:30 Z", "24-01-31", "2024-001-31",
        "5\n", "5\r\n", "5\r", "yes\u{2028}", "null\u{85}", "\n", "5\n\n", "5 ", " 5", "5\u{0B}", "5\u{0C}",
        "a", "http://x", "1.2.3", "12abc", "٣",
    ]

    @Test(arguments: forms)
    func namedFormsAreTypedAsYamsTypesThem(text: String) {
        #expect(YAMLScalarType.tag(of: text) == Resolver.default.resolveTag(of: Node(text)), "\(text.debugDescription)")
    }

    /// 30,000 texts of up to 12 characters from digits, signs, separators and the letters of
    /// the YAML forms, with a fixed seed so a failure repeats.
    @Test func randomTextIsTypedAsYamsTypesIt() {
        let alphabet = Array("0123456789+-._:xobeEinfaINFNtTZ \t<=~yl\n\r")
        var generator = SeededTexts(seed: 0x4645_5252)
        var mismatches: [String] = []
        var kinds: [Yams.Tag.Name: Int] = [:]
        for _ in 0..<30_000 {
            let length = Int(generator.next() % 13)
            let text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            let tag = YAMLScalarType.tag(of: text)
            kinds[tag, default: 0] += 1
            if tag != Resolver.default.resolveTag(of: Node(text)) { mismatches.append(text) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20).map(\.debugDescription))")
        // Not only strings: the comparison covers texts of the other types too.
        #expect(
            kinds[.int, default: 0] > 500 && kinds[.float, default: 0] > 50 && kinds[.null, default: 0] > 1_000,
            "\(kinds)")
    }

    /// Random digits and separators arranged as the number and time forms are, where text
    /// drawn at random rarely lands.
    @Test func shapedTextIsTypedAsYamsTypesIt() {
        var generator = SeededTexts(seed: 0x5941_4D4C)
        var kinds: [Yams.Tag.Name: Int] = [:]
        let pieces = [
            "0", "1", "5", "9", "59", "60", "_", ":", ".", "e", "E", "+", "-", "x", "b", "o", "T", " ", "Z", "2024",
            "12", "-01",
        ]
        var mismatches: [String] = []
        for _ in 0..<30_000 {
            let count = Int(generator.next() % 7) + 1
            let text = (0..<count).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
            let tag = YAMLScalarType.tag(of: text)
            kinds[tag, default: 0] += 1
            if tag != Resolver.default.resolveTag(of: Node(text)) { mismatches.append(text) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20).map(\.debugDescription))")
        #expect(kinds[.int, default: 0] > 2_000 && kinds[.float, default: 0] > 400, "\(kinds)")
    }

    /// An explicit tag is kept as written; a quoted scalar is a string; a plain one is typed by its text.
    @Test func aScalarsOwnTagComesFirst() throws {
        let yaml = "a: 5\nb: !!str 5\nc: '5'\nd: !!int '7'\ne: yes\n"
        let root = try #require(try Yams.compose(yaml: yaml, .basic))
        func scalar(_ key: String) throws -> Node.Scalar {
            try #require(root.mapping?.first { $0.key.string == key }?.value.scalar)
        }
        #expect(YAMLScalarType.tag(of: try scalar("a")) == .int)
        #expect(YAMLScalarType.tag(of: try scalar("b")) == .str)
        #expect(YAMLScalarType.tag(of: try scalar("c")) == .str)
        #expect(YAMLScalarType.tag(of: try scalar("d")) == .int)
        #expect(YAMLScalarType.tag(of: try scalar("e")) == .bool)
    }
}

/// Knuth's 64-bit linear congruential generator, seeded: the random texts are the same on every run.
private struct SeededTexts {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
}
