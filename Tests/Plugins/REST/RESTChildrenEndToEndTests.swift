import FerryTesting
import Foundation
import Testing

/// `children:` on the real `ferry` and the real rest `.so`: each client's pianos, paged
/// until an empty page (short pages before it do not end the list), land with the client's
/// key; a client deleted since it was listed is a dead letter, not a failed batch; a list
/// that ignores the page parameter fails the run instead of paging forever. Into SQLite and
/// into the real PostgreSQL.
@Suite struct RESTChildrenEndToEndTests {
    static func config(_ warehouse: TestWarehouse) -> String {
        """
        version: 1
        state: state.db
        connections:
          pianos_api:
            plugin: rest
            http:
              endpoint: "${PIANO_URL}"
              auth: { type: bearer, token: "${PIANO_TOKEN}" }
            config:
              streams:
                - name: clients
                  path: clients
                  records_path: data
                  primary_key: id
                  pagination: { type: page, start_page: 1, stop: empty_page }
                  children:
                    - name: pianos
                      path: "clients/{id}/pianos"
                      records_path: data
                      primary_key: id
                      parent_key: client_id
                      concurrency: 3
                      pagination: { type: page, size_param: per_page, page_size: 2, stop: empty_page }
        \(warehouse.connection)
        pipelines:
          pianos:
            source: { connection: pianos_api, stream: pianos }
            destination: { connection: warehouse, stream: pianos }
            write: upsert
            primary_key: [id]
            transforms:
              - { op: rename, fields: { serialNumber: serial_number } }
        """
    }

    struct Setup {
        let api = PianoServiceSimulator()
        let server: LoopbackServer
        let sandbox: Sandbox
        let warehouse: TestWarehouse

        init?(_ kind: TestWarehouse.Kind, name: String = #function) throws {
            let api = api
            server = try LoopbackServer { api.reply($0) }
            sandbox = try Sandbox("\(name)-\(kind)")
            guard let warehouse = TestWarehouse(kind, sandbox: sandbox) else { return nil }
            self.warehouse = warehouse
            try sandbox.write("ferry.yaml", RESTChildrenEndToEndTests.config(warehouse))
        }

        func ferry() throws -> Sandbox.Outcome {
            try sandbox.ferry(
                ["run"], environment: ["PIANO_URL": server.url, "PIANO_TOKEN": PianoServiceSimulator.token])
        }

        var rows: [String] {
            get throws {
                try warehouse.rows("SELECT client_id, id, serial_number FROM \(warehouse.table("pianos")) ORDER BY id")
            }
        }
    }

    @Test(arguments: TestWarehouse.kinds)
    func eachClientsPianosLandWithItsKeyAndTheDeletedClientIsADeadLetter(_ kind: TestWarehouse.Kind) throws {
        guard let setup = try Setup(kind) else { return }
        defer { setup.warehouse.dropSchema() }
        let first = try setup.ferry()
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        let expected = setup.api.pianoPages.filter { $0.key != PianoServiceSimulator.deleted }
            .flatMap { client, pages in pages.joined().map { (id: $0, row: "\(client)|\($0)|S-\($0)") } }
            .sorted { $0.id < $1.id }.map(\.row)
        #expect(try setup.rows == expected)
        // c1's list went on after its short page 2, to the empty page 4; c5's to page 4.
        let requests = setup.api.requests
        #expect(requests.filter { $0.hasPrefix("/clients/c1/") } == (1...4).map { "/clients/c1/pianos?\($0)" })
        #expect(requests.filter { $0.hasPrefix("/clients?") } == (1...4).map { "/clients?\($0)" })
        let letters = try setup.sandbox.sql("state.db", "SELECT stage, error FROM dead_letters")
        #expect(
            letters == [
                "source|stream 'pianos': GET clients/c3/pianos answered HTTP 404: {\"error\":\"client not found\"}"
            ], "\(letters)")
        for text in [first.stdout, first.stderr] + letters { #expect(!text.contains(PianoServiceSimulator.token)) }

        let rerun = try setup.ferry()
        #expect(rerun.status == 3, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try setup.rows.count == expected.count)
        #expect(try setup.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["1"])
        #expect(try setup.sandbox.sql("state.db", "SELECT written_count FROM runs ORDER BY id DESC LIMIT 1") == ["0"])
    }

    @Test func aChildListThatIgnoresThePageParameterFailsTheRunInsteadOfPagingForever() throws {
        guard let setup = try Setup(.sqlite) else { return }
        setup.api.ignorePaging.withLock { $0 = "c5" }
        let run = try setup.ferry()
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("returned the same 2 records as the page before"), "\(run.stderr)")
        #expect(setup.api.requests.filter { $0.hasPrefix("/clients/c5/") }.count <= 2 * 3)
    }
}
