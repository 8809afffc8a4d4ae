import FerryTesting

extension VysyncExample {
    /// Kills a run right after its `write`th write (``runKilled(afterWrite:)``), then runs
    /// again, up to four times, until a run succeeds; returns whether the kill happened and the
    /// last run's outcome.
    func killedThenRerun(afterWrite write: Int) throws -> (killed: Bool, last: Sandbox.Outcome) {
        let killed = try runKilled(afterWrite: write)
        var last = try ferry()
        for _ in 0..<3 where last.status != 0 { last = try ferry() }
        return (killed, last)
    }
}
