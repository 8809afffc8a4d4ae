import FerryPluginSDK
import Testing

/// The whole-batch-then-per-record pattern and the per-record savepoint,
/// driven with a script of the SQL a destination would run.
@Suite struct BatchAttemptsTests {
    struct Refused: Error { var reason: String }
    struct Broken: Error {}

    @Test func aBatchThatLandsIsTriedOnce() throws {
        var attempts: [Bool] = []
        var rollBacks = 0
        let result = try BatchAttempts.run(rollBack: { rollBacks += 1 }) { perRecord in
            attempts.append(perRecord)
            return "written"
        }
        #expect(result == "written")
        #expect(attempts == [false])
        #expect(rollBacks == 0)
    }

    @Test func aRecordErrorRollsBackAndRetriesRecordByRecord() throws {
        var attempts: [Bool] = []
        var rollBacks = 0
        let result = try BatchAttempts.run(rollBack: { rollBacks += 1 }) { perRecord in
            attempts.append(perRecord)
            guard perRecord else { throw BatchAttempts.RetryPerRecord() }
            return 2
        }
        #expect(result == 2)
        #expect(attempts == [false, true])
        #expect(rollBacks == 1)
    }

    @Test func otherErrorsRollBackAndPropagateWithoutASecondAttempt() {
        var attempts: [Bool] = []
        var rollBacks = 0
        #expect(throws: Broken.self) {
            try BatchAttempts.run(rollBack: { rollBacks += 1 }) { perRecord -> Int in
                attempts.append(perRecord)
                throw Broken()
            }
        }
        #expect(attempts == [false])
        #expect(rollBacks == 1)
    }

    @Test func aFailingRecordByRecordAttemptRollsBackToo() {
        var rollBacks = 0
        #expect(throws: Broken.self) {
            try BatchAttempts.run(rollBack: { rollBacks += 1 }) { perRecord -> Int in
                if perRecord { throw Broken() }
                throw BatchAttempts.RetryPerRecord()
            }
        }
        #expect(rollBacks == 2)
    }

    static func reason(_ error: any Error) -> String? { (error as? Refused)?.reason }

    @Test func aRecordThatLandsReleasesItsSavepoint() throws {
        var sql: [String] = []
        var wrote = false
        let refused = try BatchAttempts.savepoint(execute: { sql.append($0) }, recordError: Self.reason) {
            wrote = true
        }
        #expect(refused == nil)
        #expect(wrote)
        #expect(sql == ["SAVEPOINT ferry_record", "RELEASE SAVEPOINT ferry_record"])
    }

    @Test func aRefusedRecordIsUndoneAloneAndItsReasonReturned() throws {
        var sql: [String] = []
        let refused = try BatchAttempts.savepoint(execute: { sql.append($0) }, recordError: Self.reason) {
            throw Refused(reason: "UNIQUE constraint failed")
        }
        #expect(refused == "UNIQUE constraint failed")
        #expect(
            sql == ["SAVEPOINT ferry_record", "ROLLBACK TO SAVEPOINT ferry_record; RELEASE SAVEPOINT ferry_record"])
    }

    @Test func anErrorOfTheBatchPropagatesAndLeavesTheSavepointToTheBatchRollback() {
        var sql: [String] = []
        #expect(throws: Broken.self) {
            _ = try BatchAttempts.savepoint(execute: { sql.append($0) }, recordError: Self.reason) { throw Broken() }
        }
        #expect(sql == ["SAVEPOINT ferry_record"])
    }
}
