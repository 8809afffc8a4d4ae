import FerryTesting
import Foundation
import Testing

/// A source asked to be retried later (a `Retry-After` of a minute): a Ctrl-C during that
/// wait stops the run at once, as cancelled, with the batches before it committed.
@Suite struct CancelDuringRetryWaitTests {
    @Test func aCtrlCDuringARetryWaitEndsTheRunCancelledWithoutWaitingItOut() throws {
        let sandbox = try NothingLostTests.flakySandbox()
        try NothingLostTests.faults(sandbox, "retry_later_at 3")
        let process = try sandbox.start(["run", "copy"])
        try sandbox.waitForMark("data/records.txt.retrying")
        // The third read ran ahead of the writes: the two batches before it commit first.
        waitUntil(within: 60) { (try? NothingLostTests.rowCount(sandbox)) == 20 }
        kill(process.processIdentifier, SIGINT)
        // The wait asked for is 60 s; a cancel ends it within a quarter of a second. The bound
        // is far from both, so a slow machine does not fail the test.
        let stopped = waitUntil(within: 30) { !process.isRunning }
        if !stopped { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(stopped, "the run waited out the source's retry time after Ctrl-C")
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        #expect(try sandbox.sql("state.db", "SELECT status FROM runs") == ["cancelled"])
        #expect(try NothingLostTests.rowCount(sandbox) == 20)
        #expect(try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints") == [#"{"after":20}"#])
    }
}
