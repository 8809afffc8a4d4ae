import FerryCore
import FerryJSON
import Testing

@testable import FerryEngine

/// The field comparison behind the dry-run diff: values that mean the same once stored
/// are equal, nested objects give dotted paths, the destination's own columns are ignored.
@Suite struct FieldComparisonTests {
    static func object(_ text: String) throws -> JSONObject {
        try #require(try JSONParser().parse(text).objectValue)
    }

    @Test func storedFormsOfTheSameValueAreEqual() throws {
        let stored = try Self.object(
            #"{"id":1,"n":2.0,"flag":1,"tags":"[\"a\"]","meta":"{\"x\":1}","gone":null,"rowid_extra":7}"#)
        let sent = try Self.object(#"{"id":1,"n":2,"flag":true,"tags":["a"],"meta":{"x":1}}"#)
        #expect(FieldComparison.changes(from: stored, to: sent).isEmpty)
    }

    @Test func nestedChangesHaveDottedPaths() throws {
        let stored = try Self.object(#"{"id":1,"a":{"b":{"c":1,"d":2}},"tags":["a"]}"#)
        let sent = try Self.object(#"{"id":1,"a":{"b":{"c":5}},"tags":["a","b"],"new":"x"}"#)
        let changes = FieldComparison.changes(from: stored, to: sent)
        #expect(changes.map(\.path) == ["a.b.c", "a.b.d", "tags", "new"])
        #expect(changes[0].old == .int(1) && changes[0].new == .int(5))
        #expect(changes[1].old == .int(2) && changes[1].new == nil)
        #expect(changes[3].old == nil && changes[3].new == .string("x"))
    }

    @Test func textAndNumberStayDistinct() throws {
        #expect(!FieldComparison.equivalent(.string("1"), .int(1)))
        #expect(!FieldComparison.equivalent(.int(0), .null))
        #expect(FieldComparison.equivalent(nil, .null))
    }

    @Test func theListingIsBoundedAndEveryKindCounted() {
        var diff = PipelineDiff(pipeline: PipelineID(site: "", pipeline: "p"), limit: 2, mirror: true)
        for kind in [RecordDiff.Kind.create, .update, .delete, .create] { diff.add(RecordDiff(kind: kind, key: "1")) }
        #expect(diff.listed.count == 2 && diff.omitted == 2 && diff.created == 2 && diff.deleted == 1)
        #expect(diff.deletes == .notReached)
    }
}
