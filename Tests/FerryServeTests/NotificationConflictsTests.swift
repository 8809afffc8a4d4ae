import FerryCore
import FerryServe
import Testing

/// The conflicts notification: told when a run leaves more open conflicts than the pipeline
/// had, once per new batch of them.
@Suite struct NotificationConflictsTests {
    let sites = PipelineID(pipeline: "sites")

    @Test func newConflictsAreToldOnceAndAgainOnlyWhenMoreArrive() {
        var policy = NotificationPolicy(deadLetterThreshold: 10)
        let run = RunResult(status: "succeeded")
        #expect(policy.finished(sites, run, openDeadLetters: nil, openConflicts: 0).isEmpty)
        #expect(
            policy.finished(sites, run, openDeadLetters: nil, openConflicts: 2) == [.conflicts(sites, new: 2, open: 2)])
        #expect(policy.finished(sites, run, openDeadLetters: nil, openConflicts: 2).isEmpty)
        #expect(policy.finished(sites, run, openDeadLetters: nil, openConflicts: 1).isEmpty) // one resolved
        #expect(
            policy.finished(sites, run, openDeadLetters: nil, openConflicts: 3) == [.conflicts(sites, new: 2, open: 3)])
        #expect(policy.finished(sites, run, openDeadLetters: nil).isEmpty) // not known: nothing said
        let other = PipelineID(site: "north", pipeline: "sites")
        #expect(
            policy.finished(other, run, openDeadLetters: nil, openConflicts: 1) == [.conflicts(other, new: 1, open: 1)])
    }

    @Test func theMessageSaysHowToSeeAndDecideThem() {
        let (title, text) = NotificationPolicy.Event.conflicts(sites, new: 1, open: 3).message
        #expect(title == "Ferry: sites has 1 new conflict")
        #expect(text.contains("1 field that both sides changed") && text.contains("(3 open)"))
        #expect(text.contains("`ferry conflicts list`") && text.contains("ferry conflicts resolve"))
    }
}
