import FerryCore
import FerryJSON
import Testing

/// `destination_wins_reported`: the destination's value is kept whenever it changed, and that
/// change is a conflict even when the source did not move; a source-only change is written.
@Suite struct RecordMergeReportedTests {
    let merge = RecordMerge(
        settings: ConflictSettings(policies: ["client": .destinationWinsReported], defaultPolicy: .sourceWins),
        keyFields: ["id"])
    let base = RecordMerge.Base(
        source: ["id": 1, "client": 7, "name": "n0"], written: ["id": 1, "client": 7, "name": "n0"])

    @Test func aChangeOnTheDestinationAloneIsKeptAndRecorded() {
        let outcome = merge.merge(
            source: ["id": 1, "client": 7, "name": "n1"], base: base, destination: ["id": 1, "client": 9, "name": "n0"])
        #expect(outcome.merged == ["id": 1, "client": 9, "name": "n1"])
        #expect(outcome.conflicts == [RecordMerge.Conflict(field: "client", base: 7, source: 7, destination: 9)])
    }

    @Test func aChangeOnBothSidesKeepsTheDestinationsAndIsRecorded() {
        let outcome = merge.merge(
            source: ["id": 1, "client": 8, "name": "n0"], base: base, destination: ["id": 1, "client": 9, "name": "n0"])
        #expect(outcome.merged["client"] == 9)
        #expect(outcome.conflicts.map(\.field) == ["client"])
    }

    @Test func aChangeOnTheSourceAloneIsWrittenWithoutAConflict() {
        let outcome = merge.merge(
            source: ["id": 1, "client": 8, "name": "n0"], base: base, destination: ["id": 1, "client": 7, "name": "n0"])
        #expect(outcome.merged["client"] == 8)
        #expect(outcome.conflicts.isEmpty)
        #expect(ConflictSettings(policies: ["client": .destinationWinsReported]).reportsDestinationChanges)
        #expect(!ConflictSettings(policies: ["client": .record]).reportsDestinationChanges)
    }
}
