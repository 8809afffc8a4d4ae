import FerryJSON
import FerryTesting
import Foundation
import Testing

/// A site moved to another client in Yuman alone, the operator's mapping unchanged
/// (`examples/vysync/`, `client_id: destination_wins_reported`), on the real `ferry` against
/// the simulators. As in the seed (a `client_map_id` that differs from Yuman's is not applied
/// and is reported), Yuman's client stays, and the change is reported once: a conflict row and
/// one notification, though VCOM's record did not change and nothing is written.
@Suite struct VysyncClientChangedInYumanTests {
    @Test func aClientChangedInYumanAloneIsKeptAndReportedOnce() throws {
        let example = try VysyncPoliciesTests.syncedExample()
        let lyon = try VysyncPoliciesTests.clientID(example, "CLI-LYON")
        let sud = try VysyncPoliciesTests.clientID(example, "CLI-SUD")
        let pv001 = try VysyncPoliciesTests.site(example, "PV001")
        #expect(pv001.fields["client_id"].map(YumanSimulator.text) == "\(lyon)")
        example.yuman.edit("sites", id: pv001.id, ["client_id": .int(Int64(sud))])

        let hook = try LoopbackServer { _ in .json(#"{"ok":true}"#) }
        let environment = ["FERRY_NOTIFY_WEBHOOK_URL": hook.url + "/hook/s3cret"]
        let before = example.yuman.requests.count
        for _ in 0..<2 {
            let run = try example.ferry(["run"], environment: environment)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            for secret in ["s3cret", YumanSimulator.token, VCOMSimulator.password] {
                #expect(!(run.stdout + run.stderr).contains(secret))
            }
        }
        // Yuman's client stayed, and nothing was written to Yuman.
        #expect(example.yuman.object("sites", id: pv001.id)?.fields["client_id"].map(YumanSimulator.text) == "\(sud)")
        let writes = example.yuman.requests.dropFirst(before).filter { !$0.hasPrefix("GET") }
        #expect(writes.isEmpty, "\(writes)")
        // One conflict, recorded once (the second run found it known), told once.
        let all = try VysyncPoliciesTests.conflicts(example, all: true)
        #expect(all.count == 1, "\(all)")
        let conflict = try #require(all.first)
        #expect(conflict["pipeline"] == "sites" && conflict["key"] == "\"PV001\"" && conflict["field"] == "client_id")
        #expect(conflict["source"]?.stringValue == "\(lyon)" && conflict["destination"]?.stringValue == "\(sud)")
        #expect(conflict["base"]?.stringValue == "\(lyon)" && conflict["status"] == "open")
        let texts = hook.requests.map(\.text)
        #expect(texts.count == 1, "\(texts)")
        #expect(texts.first?.contains("Ferry: sites has 1 new conflict") == true, "\(texts)")

        // The operator accepts Yuman's client: the next run writes it as agreed, and no run reports it again.
        let id = try #require(conflict["id"]?.intValue)
        let resolve = try example.ferry(["conflicts", "resolve", "\(id)", "--take", "destination"])
        #expect(resolve.status == 0, "\(resolve.stdout)\(resolve.stderr)")
        for _ in 0..<2 { #expect(try example.ferry().status == 0) }
        #expect(example.yuman.object("sites", id: pv001.id)?.fields["client_id"].map(YumanSimulator.text) == "\(sud)")
        #expect(try VysyncPoliciesTests.conflicts(example).isEmpty)
        #expect(try VysyncPoliciesTests.conflicts(example, all: true).map { $0["status"] } == ["applied"])
    }

    @Test func aClientChangedInYumanIsReportedWhenTheSiteIsSentAgain() throws {
        // The record is sent again (Ferry forgot what it sent, as after `ferry state reset`), so
        // the merge, not the check of unchanged records, meets Yuman's change: reported all the same.
        let example = try VysyncPoliciesTests.syncedExample()
        let sud = try VysyncPoliciesTests.clientID(example, "CLI-SUD")
        let pv002 = try VysyncPoliciesTests.site(example, "PV002")
        example.yuman.edit("sites", id: pv002.id, ["client_id": .int(Int64(sud)), "code": .null])
        _ = try example.sandbox.sql("state.db", "DELETE FROM record_hashes")
        let run = try example.ferry(["run", "sites"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let after = try #require(example.yuman.object("sites", id: pv002.id))
        #expect(after.fields["client_id"].map(YumanSimulator.text) == "\(sud)")
        #expect(after.fields["code"] == "PV002", "the rest of the record went")
        let open = try VysyncPoliciesTests.conflicts(example)
        #expect(
            open.map { "\($0["key"]?.stringValue ?? "") \($0["field"]?.stringValue ?? "")" } == ["\"PV002\" client_id"])
    }
}
