import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `examples/field-service/` end to end, on the real `ferry`: its own `ferry.yaml` and data
/// files, copied into a sandbox, with the field-service API and the dispatch system
/// simulated on loopback (their URLs given by the variables the config reads). Customers,
/// sites, equipment and work orders are created once, each linked to its parent by the id
/// the API assigned; a rerun creates nothing; changes on either side follow the config's
/// policies; and a kill -9 at a random point of the first run never leaves a duplicate
/// object or a wrong link once a rerun finishes.
@Suite struct FieldServiceExampleTests {
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/field-service")

    /// The example in a sandbox, with both simulated systems serving it.
    struct Setup {
        let api: FieldServiceAPI
        let dispatch: DispatchAPI
        let servers: [LoopbackServer]
        let sandbox: Sandbox

        init(rateLimitEvery: Int = 0, name: String = #function) throws {
            api = FieldServiceAPI(rateLimitEvery: rateLimitEvery)
            dispatch = try DispatchAPI(
                json: String(
                    contentsOf: FieldServiceExampleTests.example.appendingPathComponent("data/work_orders.json"),
                    encoding: .utf8))
            let (api, dispatch) = (api, dispatch)
            servers = [try LoopbackServer { api.reply($0) }, try LoopbackServer { dispatch.reply($0) }]
            sandbox = try Sandbox(name)
            for file in ["ferry.yaml", "data/customers.jsonl", "data/sites.jsonl", "data/equipment.jsonl"] {
                let text = try String(
                    contentsOf: FieldServiceExampleTests.example.appendingPathComponent(file), encoding: .utf8)
                try sandbox.write(file, text)
            }
        }

        /// Runs `ferry` with the simulators' URLs (and `environment`).
        func ferry(_ arguments: [String] = ["run"], environment: [String: String] = [:]) throws -> Sandbox.Outcome {
            try sandbox.ferry(
                arguments,
                environment: environment.merging(
                    ["FIELDSERVICE_URL": servers[0].url, "DISPATCH_URL": servers[1].url], uniquingKeysWith: { $1 }))
        }

        /// Records of one of the sandbox's JSONL files.
        func records(_ file: String) throws -> [JSONObject] {
            try sandbox.read("data/\(file).jsonl").split(separator: "\n").compactMap {
                try JSONParser().parse(Array($0.utf8)).objectValue
            }
        }

        /// What is wrong with the API's objects: a source record without exactly one object, an
        /// object no record asked for, a link that is not the API's id of the parent the
        /// record names. Empty when every object exists once and every link is right.
        func problems() throws -> [String] {
            let sources: [(collection: String, records: [JSONObject], parent: String?)] = [
                ("customers", try records("customers"), nil),
                ("sites", try records("sites"), "customer_ref"),
                ("equipment", try records("equipment"), "site_ref"),
                ("work_orders", dispatch.all, "site_ref"),
            ]
            var problems: [String] = []
            for (collection, records, parentRef) in sources {
                let objects = api.objects(collection)
                let refs = objects.map { $0.fields["ref"]?.stringValue ?? "?" }
                let expected = records.map { $0["ref"]?.stringValue ?? "?" }
                if refs.sorted() != expected.sorted() { problems.append("\(collection): \(refs.sorted())") }
                guard let parentRef, let link = FieldServiceAPI.parents[collection] else { continue }
                for record in records {
                    let ref = record["ref"]?.stringValue ?? "?"
                    let parent = api.object(link.collection, ref: record[parentRef]?.stringValue ?? "?")
                    let linked = api.object(collection, ref: ref)?.fields[link.field].flatMap(FieldServiceAPI.id)
                    if parent == nil || linked != parent?.id {
                        problems.append("\(collection) \(ref): \(link.field) \(linked.map(String.init) ?? "none")")
                    }
                }
            }
            return problems
        }

        /// The `POST`s sent after the first `since` requests.
        func creates(since: Int = 0) -> [String] { api.requests.dropFirst(since).filter { $0.hasPrefix("POST") } }
    }

    @Test func theFirstRunCreatesEverythingLinkedByTheAPIsIdsAndARerunCreatesNothing() throws {
        let setup = try Setup(rateLimitEvery: 7)
        let first = try setup.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(setup.api.objects("customers").count == 3)
        #expect(setup.api.objects("sites").count == 5)
        #expect(setup.api.objects("equipment").count == 6)
        #expect(setup.api.objects("work_orders").count == 5)
        #expect(setup.api.refusals.isEmpty, "\(setup.api.refusals)")
        let problems = try setup.problems()
        #expect(problems.isEmpty, "\(problems)")
        // The parents exist before their children: customers, then sites, then the rest.
        let order = setup.creates().map { $0.dropFirst("POST /".count) }
        let lastCustomer = try #require(order.lastIndex(of: "customers"), "\(order)")
        let lastSite = try #require(order.lastIndex(of: "sites"), "\(order)")
        #expect(lastCustomer < (order.firstIndex(of: "sites") ?? -1), "\(order)")
        #expect(lastSite < (order.firstIndex(of: "equipment") ?? -1), "\(order)")
        #expect(lastSite < (order.firstIndex(of: "work_orders") ?? -1), "\(order)")
        // The ID map holds the API's ids under each destination's scope.
        let mapped = try setup.sandbox.sql(
            "state.db", "SELECT destination_id FROM id_map WHERE scope = 'fieldservice/sites' AND source_id = 'S3'")
        #expect(mapped == [setup.api.object("sites", ref: "S3").map { String($0.id) } ?? "none"])

        let before = setup.api.requests.count
        let rerun = try setup.ferry()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(setup.creates(since: before).isEmpty, "\(setup.api.requests.dropFirst(before))")
        #expect(!setup.api.requests.dropFirst(before).contains { $0.hasPrefix("PATCH") })
    }

    @Test func changesOnEitherSideFollowThePolicies() throws {
        let setup = try Setup(rateLimitEvery: 5)
        #expect(try setup.ferry().status == 0)
        let s2 = try #require(setup.api.object("sites", ref: "S2")).id
        let wo1 = try #require(setup.api.object("work_orders", ref: "WO1")).id
        let wo2 = try #require(setup.api.object("work_orders", ref: "WO2")).id

        // A renamed site in the CRM's file; a technician closes WO2 in the field-service tool;
        // the dispatcher retitles WO1 and WO2 and moves WO2 to another status; a new work order
        // arrives for a site the CRM has not exported yet.
        try setup.sandbox.write(
            "data/sites.jsonl",
            try setup.sandbox.read("data/sites.jsonl").replacing(
                "Villeurbanne carport", with: "Villeurbanne carport (2)"))
        setup.api.edit("work_orders", ref: "WO2", "status", "done")
        setup.dispatch.save("WO1", ["title": "Yearly inspection and IV curves", "updated_at": "2026-11-10T08:00:00Z"])
        setup.dispatch.save(
            "WO2", ["title": "Replace fuse F3", "status": "rescheduled", "updated_at": "2026-11-10T09:00:00Z"])
        setup.dispatch.save(
            "WO6",
            [
                "title": "Commission new plant", "status": "planned", "site_ref": "S6",
                "updated_at": "2026-11-10T10:00:00Z",
            ])
        let before = setup.api.requests.count
        let run = try setup.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let sent = setup.api.requests.dropFirst(before).filter { !$0.hasPrefix("GET") }
        #expect(
            Set(sent) == ["PATCH /sites/\(s2)", "PATCH /work_orders/\(wo1)", "PATCH /work_orders/\(wo2)"], "\(sent)")
        #expect(setup.api.object("sites", ref: "S2")?.fields["name"] == "Villeurbanne carport (2)")
        #expect(setup.api.object("work_orders", ref: "WO1")?.fields["title"] == "Yearly inspection and IV curves")
        #expect(setup.api.object("work_orders", ref: "WO1")?.fields["status"] == "planned")
        // The technician's status stays (destination_wins); the dispatcher's title lands.
        #expect(setup.api.object("work_orders", ref: "WO2")?.fields["title"] == "Replace fuse F3")
        #expect(setup.api.object("work_orders", ref: "WO2")?.fields["status"] == "done")
        // WO6 waits for its site instead of being refused or created without a link.
        #expect(setup.api.object("work_orders", ref: "WO6") == nil)

        // The CRM exports the new site: it is created, then the waiting work order with its id.
        try setup.sandbox.write(
            "data/sites.jsonl",
            try setup.sandbox.read("data/sites.jsonl")
                + #"{"ref":"S6","name":"Rauma rooftop","address":"Kanalinranta 1, Rauma","customer_ref":"C2"}"#
                + "\n")
        let next = try setup.ferry()
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        let problems = try setup.problems()
        #expect(problems.isEmpty, "\(problems)")
        #expect(setup.api.objects("work_orders").count == 6)
    }

    @Test func writesTheAPIRefusesAreDeadLettersWithItsWords() throws {
        let setup = try Setup()
        #expect(try setup.ferry().status == 0)
        // A customer someone already entered in the tool by hand, and equipment without a name.
        setup.api.add("customers", ["ref": "C4", "name": "Kallio Solar"])
        try setup.sandbox.write(
            "data/customers.jsonl",
            try setup.sandbox.read("data/customers.jsonl")
                + #"{"ref":"C4","name":"Kallio Solar","email":"info@kallio.example"}"#
                + "\n")
        try setup.sandbox.write(
            "data/equipment.jsonl",
            try setup.sandbox.read("data/equipment.jsonl")
                + #"{"ref":"E7","name":"","serial_number":"INV-4002","site_ref":"S4"}"# + "\n")
        let run = try setup.ferry()
        #expect(run.status == 3, "\(run.stdout)\(run.stderr)")
        #expect(setup.api.refusals == ["409 POST /customers", "422 POST /equipment"])
        let letters = try setup.sandbox.sql(
            "state.db", "SELECT pipeline || ': ' || error FROM dead_letters ORDER BY pipeline")
        #expect(letters.count == 2, "\(letters)")
        #expect(letters.first?.contains("Ref has already been taken") == true, "\(letters)")
        #expect(letters.last?.contains("name can't be blank") == true, "\(letters)")
        #expect(setup.api.objects("customers").count == 4)
        #expect(setup.api.objects("equipment").count == 6)
    }

    @Test func aKillAtARandomPointOfTheFirstRunNeverCreatesADuplicate() throws {
        // The first run commits ten batches: customers 2, sites 3, equipment 3, work orders 2.
        for iteration in 1...20 {
            let point = Int.random(in: 1...10)
            let setup = try Setup(rateLimitEvery: 25)
            let killed = try setup.ferry(environment: ["FERRY_FAILPOINTS": "after_write:kill:\(point)"])
            #expect(killed.status == -SIGKILL, "iteration \(iteration), kill at \(point): \(killed.stderr)")
            var rerun = try setup.ferry()
            for _ in 0..<3 where rerun.status != 0 { rerun = try setup.ferry() }
            #expect(rerun.status == 0, "iteration \(iteration), kill at \(point): \(rerun.stdout)\(rerun.stderr)")
            let problems = try setup.problems()
            #expect(problems.isEmpty, "iteration \(iteration), kill at \(point): \(problems)")
            // No request tried a second create (the API would have answered 409) or an unknown parent (422).
            #expect(setup.api.refusals.isEmpty, "iteration \(iteration), kill at \(point): \(setup.api.refusals)")
            #expect(try setup.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["0"])
        }
    }
}
