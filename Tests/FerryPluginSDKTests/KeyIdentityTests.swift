import FerryJSON
import FerryPluginSDK
import Testing

/// Keys are exact identities: a column's kind comes from the schema or the
/// first usable value, and a key the column cannot hold exactly is refused.
@Suite struct KeyIdentityTests {
    @Test func theSchemaDecidesTheColumnBeforeTheValues() {
        #expect(KeyIdentity.column(forProperty: ["type": "integer"], values: [.string("a")]) == .integer)
        #expect(KeyIdentity.column(forProperty: ["type": ["null", "string"]], values: [.int(1)]) == .text)
    }

    @Test func withoutASchemaTheFirstIntegerOrStringDecides() {
        #expect(KeyIdentity.column(forProperty: nil, values: [.null, .double(1.5), .int(7), .string("x")]) == .integer)
        #expect(KeyIdentity.column(forProperty: ["type": "number"], values: [.string("x"), .int(7)]) == .text)
        #expect(KeyIdentity.column(forProperty: nil, values: []) == .text)
    }

    @Test func keysOfTheColumnsTypeAndNullsPass() throws {
        try KeyIdentity.check(.int(1), field: "id", column: .integer)
        try KeyIdentity.check(.string("VC1"), field: "id", column: .text)
        try KeyIdentity.check(.int(1), field: "id", column: .integerOrText)
        try KeyIdentity.check(.string("1"), field: "id", column: .integerOrText)
        try KeyIdentity.check(.null, field: "id", column: .integer)
    }

    @Test(arguments: [
        (JSONValue.string("1001"), KeyIdentity.Column.integer, "merge it with the integer 1001"),
        (.int(1001), .text, "merge it with the string \"1001\""),
        (.double(1.0), .integerOrText, "never a float"),
        (.double(1e19), .integer, "beyond 64-bit integers"),
        (.bool(true), .integer, "a boolean is no key"),
        (.array([.int(1)]), .text, "is an array"),
    ])
    func keysThatWouldMergeWithAnotherRecordAreRefused(value: JSONValue, column: KeyIdentity.Column, reason: String) {
        let error = #expect(throws: PluginError.self) { try KeyIdentity.check(value, field: "id", column: column) }
        #expect(error?.message.contains("key field 'id'") == true)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }
}
