import FerryCore
import FerryJSON
import Testing

/// The field rules of two-way sync, without I/O (the end-to-end proof is `ConflictTests`).
@Suite struct RecordMergeTests {
    let merge = RecordMerge(
        settings: ConflictSettings(
            policies: ["a": .sourceWins, "b": .destinationWins, "f": .fillIfEmpty],
            defaultPolicy: .record, timestampField: "t"),
        keyFields: ["id"])
    let base = RecordMerge.Base(
        source: ["id": 1, "a": "a0", "b": "b0", "c": "c0", "f": "f0"],
        written: ["id": 1, "a": "a0", "b": "b0", "c": "c0", "f": "f0"])

    @Test func oneSidedChangesNeedNoPolicy() {
        let outcome = merge.merge(
            source: ["id": 1, "a": "a0", "b": "b1", "c": "c0", "f": "f0"], base: base,
            destination: ["id": 1, "a": "a0", "b": "b0", "c": "cD", "f": "f0"])
        #expect(outcome.merged == ["id": 1, "a": "a0", "b": "b1", "c": "cD", "f": "f0"])
        #expect(outcome.conflicts.isEmpty)
    }

    @Test func bothSidesChangedFollowsThePolicyOrIsRecorded() {
        let outcome = merge.merge(
            source: ["id": 1, "a": "aS", "b": "bS", "c": "cS", "f": "fS"], base: base,
            destination: ["id": 1, "a": "aD", "b": "bD", "c": "cD", "f": ""])
        #expect(outcome.merged == ["id": 1, "a": "aS", "b": "bD", "c": "cD", "f": "fS"])
        #expect(outcome.conflicts == [RecordMerge.Conflict(field: "c", base: "c0", source: "cS", destination: "cD")])
    }

    @Test func newestWinsComparesTheTimestampsAndRecordsWhatItCannotCompare() {
        let newest = RecordMerge(
            settings: ConflictSettings(defaultPolicy: .newestWins, timestampField: "t"), keyFields: ["id"])
        let base = RecordMerge.Base(
            source: ["id": 1, "v": 0, "t": "2026-01-01T00:00:00Z"],
            written: ["id": 1, "v": 0, "t": "2026-01-01T00:00:00Z"])
        let sourceNewer = newest.merge(
            source: ["id": 1, "v": 1, "t": "2026-03-01T00:00:00.5Z"], base: base,
            destination: ["id": 1, "v": 2, "t": "2026-02-01 10:00:00"])
        #expect(sourceNewer.merged["v"] == 1)
        let destinationNewer = newest.merge(
            source: ["id": 1, "v": 1, "t": 5], base: base, destination: ["id": 1, "v": 2, "t": 9])
        #expect(destinationNewer.merged["v"] == 2)
        let unknown = newest.merge(
            source: ["id": 1, "v": 1, "t": "soon"], base: base, destination: ["id": 1, "v": 2, "t": "later"])
        #expect(unknown.conflicts.map(\.field).contains("v"))
    }

    @Test func aResolutionIsWrittenWhileTheSourceStillSendsWhatTheConflictSaw() {
        let resolutions = ["c": RecordMerge.Resolution(sourceValue: "cS", value: "chosen")]
        let destination: JSONObject = ["id": 1, "c": "cD"]
        let applied = merge.merge(
            source: ["id": 1, "c": "cS"], base: base, destination: destination, resolutions: resolutions)
        #expect(applied.merged["c"] == "chosen")
        #expect(applied.appliedResolutions == ["c"])
        let stale = merge.merge(
            source: ["id": 1, "c": "cS2"], base: base, destination: destination, resolutions: resolutions)
        #expect(stale.staleResolutions == ["c"])
        #expect(stale.conflicts.map(\.field) == ["c"])
    }

    @Test func valuesCompareAsTheDestinationReadsThemBack() {
        #expect(RecordMerge.same(.bool(true), .int(1)))
        #expect(RecordMerge.same(.int(2), .double(2)))
        #expect(RecordMerge.same(.object(["x": 1]), .string("{\"x\":1}")))
        #expect(RecordMerge.same(nil, .null))
        #expect(!RecordMerge.same(.string("1"), .int(1)))
    }

    @Test func withoutABaseOnlyEmptyDestinationValuesAreFilledWithoutAPolicy() {
        let outcome = merge.merge(
            source: ["id": 1, "c": "cS", "d": "dS", "e": ""], base: nil,
            destination: ["id": 1, "c": "cD", "d": nil, "e": "eD"])
        #expect(outcome.merged == ["id": 1, "c": "cD", "d": "dS", "e": "eD"])
        #expect(outcome.conflicts.map(\.field) == ["c"])
        #expect(
            merge.merge(source: ["id": 1, "c": "cS"], base: base, destination: nil).merged == ["id": 1, "c": "cS"])
    }
}
