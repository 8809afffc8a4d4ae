import FerryJSON
import Foundation
import Testing

@testable import FerryEngine

/// A record's key text from its key field's raw JSON: the shortcut for plain integers gives
/// exactly what parsing the value and encoding it gives, and declines everything else.
@Suite struct RecordKeyTests {
    private func slowKey(_ raw: String) -> String? {
        guard let value = try? JSONParser().parse(raw) else { return nil }
        return try? RecordKey.text(of: [value], fields: ["id"], writer: JSONWriter())
    }

    private func fastKey(_ raw: String) -> String? {
        Array(raw.utf8).withUnsafeBytes { RecordKey.text(ofPlainInteger: $0) }
    }

    @Test func plainIntegersAreTheirOwnTextAndNothingElseIsTaken() {
        var raws = [
            "0", "-0", "7", "-7", "01", "-01", "00", "-", "", "1.0", "1e2", "1E2", "-1.5", "\"42\"", "true", "null",
            "123456789012345678", "-123456789012345678", "1234567890123456789", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "+1", "1 ", " 1", "0x1F", "١٢",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 { raws.append(String(Int64.random(in: .min ... .max, using: &generator))) }
        for _ in 0..<500 { raws.append(String(Int.random(in: -99_999...99_999, using: &generator))) }
        for raw in raws {
            let fast = fastKey(raw)
            if let fast { #expect(fast == slowKey(raw), "\(raw)") }
            let taken =
                raw.utf8.count <= 19 && raw.range(of: #"^-?[1-9][0-9]{0,17}$|^0$"#, options: .regularExpression) != nil
            #expect((fast != nil) == taken, "\(raw)")
        }
    }
}
