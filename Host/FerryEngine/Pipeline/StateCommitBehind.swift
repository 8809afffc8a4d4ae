import Dispatch
import FerryCore
import Foundation

/// A commit group's state commit, run on a thread of its own while the run reads and writes the
/// next group (docs/performance.md, *Committing state behind*). The state commit of a large
/// group (its hashes, one row a record) was the run's thread's largest share after the
/// destination's writes, and the destination sat idle during it.
///
/// What keeps it as safe as committing in line: the run waits for it (`PipelineRunner.landStateCommit`)
/// before the next group's destination commit, so the destination is never more than the one open
/// group ahead of the state — the window a crash between a group's two commits always had — and
/// before anything reads what it writes (hash lookups, a mirror's noted keys, the end of the run).
/// A group is acknowledged only once it landed.
final class StateCommitBehind: @unchecked Sendable {
    /// The group's counts, added to the run's totals when it lands.
    let counts: BatchCounts
    private let done = DispatchSemaphore(value: 0)
    /// Set by the committing thread before it signals `done`.
    private var failure: (any Error)?

    init(_ commit: BatchCommit, to store: any StateStore) {
        counts = commit.counts
        let thread = Thread { [self] in
            do {
                try FailPoints.hitThrowing("state_commit_behind")
                try store.commit(commit)
                FailPoints.hit("after_commit")
            } catch {
                failure = error
            }
            done.signal()
        }
        thread.name = "ferry-state-commit"
        thread.start()
    }

    /// Waits until the commit is done; throws its error. Called once.
    func wait() throws {
        done.wait()
        if let failure { throw failure }
    }
}
