import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// The built `libferry-graphql.so` through the C ABI against the Gazelle simulator:
/// check, discover, Relay paging through `nodes` and `edges`, and the failures a
/// GraphQL server hands out at HTTP 200.
@Suite struct GraphQLConnectorTests {
    static let clientFields = "id companyName status updatedAt defaultContact { firstName lastName }"

    /// A simulator holding `count` clients, updated one minute apart (client n at minute n).
    static func simulator(clients count: Int) throws -> GazelleSimulator {
        let simulator = try GazelleSimulator()
        simulator.state.withLock { state in
            state.clients = (1...count).map { GazelleSimulator.client($0, updated: GazelleSimulator.time($0)) }
        }
        return simulator
    }

    /// An instance on the simulator, authenticated with Gazelle's API-key header.
    static func open(_ simulator: GazelleSimulator, streams: [JSONValue], extra: JSONObject = [:]) throws
        -> PluginInstance
    {
        var config: JSONObject = ["streams": .array(streams)]
        for (key, value) in extra { config[key] = value }
        let instance = try PluginInstance("graphql", config: .object(config))
        instance.host.http = simulator.handler(headers: [("x-gazelle-api-key", GazelleSimulator.apiKey)])
        return instance
    }

    static func clientsStream(
        name: String = "clients", shape: String = "nodes { \(clientFields) }",
        records: String = "data.allClients.nodes", sort: String = "UPDATED_AT_DESC", order: String = "newest_first"
    ) -> JSONValue {
        [
            "name": .string(name),
            "query": .string(
                """
                query Clients($first: Int, $after: String) {
                  allClients(first: $first, after: $after, sortBy: [\(sort)]) {
                    \(shape)
                    pageInfo { hasNextPage endCursor }
                  }
                }
                """),
            "variables": ["first": 4], "records_path": .string(records), "primary_key": "id",
            "cursor_field": "updatedAt", "order": .string(order),
        ]
    }

    @Test func checkAsksForTypenameAndDiscoverListsTheStreams() throws {
        let simulator = try Self.simulator(clients: 1)
        let instance = try Self.open(simulator, streams: [Self.clientsStream()])
        let report = try instance.check()
        #expect(report.ok, "\(report.message)")
        #expect(report.message.contains("PrivateQuery"), "\(report.message)")
        let catalog = try instance.discover()
        #expect(catalog.streams.map(\.name) == ["clients"])
        #expect(catalog.streams[0].primaryKey == ["id"])
        #expect(catalog.streams[0].cursorField == "updatedAt")
    }

    @Test func nodesAndEdgesPageTheSameRecordsUntilHasNextPageIsFalse() throws {
        let simulator = try Self.simulator(clients: 10)
        let instance = try Self.open(
            simulator,
            streams: [
                Self.clientsStream(name: "by_nodes"),
                Self.clientsStream(
                    name: "by_edges", shape: "edges { cursor node { \(Self.clientFields) } }",
                    records: "data.allClients.edges[].node"),
            ])
        let nodes = try instance.read(ReadRequest(stream: "by_nodes"))
        #expect(instance.lastReadWasComplete)
        let edges = try instance.read(ReadRequest(stream: "by_edges"))
        #expect(instance.lastReadWasComplete)
        // 10 records, 4 a page: three pages, newest first.
        #expect(nodes.map(\.lines.count) == [4, 4, 2])
        #expect(nodes.map(\.lines) == edges.map(\.lines))
        #expect(
            nodes.flatMap(\.records).map { $0["id"]?.stringValue ?? "" }
                == (1...10).reversed().map { "cli_" + String(format: "%04d", $0) })
        #expect(
            nodes[0].lines[0]
                == #"{"id":"cli_0010","companyName":"Company 10","status":"ACTIVE","updatedAt":"2026-03-01T08:10:00Z","defaultContact":{"firstName":"First10","lastName":"Last10"}}"#
        )
        // Newest first: only the last page moves the checkpoint, to the newest value.
        // (The harness reports a batch without a checkpoint as JSON null.)
        #expect(nodes.map(\.checkpoint) == [.null, .null, ["cursor": "2026-03-01T08:10:00Z"]])
        // The second and third requests carried the previous page's endCursor in `after`.
        let afters = simulator.queries(of: "allClients").prefix(3).map { $0.variables["after"]?.stringValue }
        #expect(afters == [nil, GazelleSimulator.cursor(3), GazelleSimulator.cursor(7)])
    }

    @Test func aNewestFirstReadStopsAtTheFirstRecordOlderThanTheCheckpoint() throws {
        let simulator = try Self.simulator(clients: 20)
        let instance = try Self.open(simulator, streams: [Self.clientsStream()])
        // Clients 15…20 are newer than the checkpoint (minute 14): two pages hold them.
        let batches = try instance.read(
            ReadRequest(stream: "clients", checkpoint: ["cursor": .string(GazelleSimulator.time(14))]))
        #expect(
            batches.flatMap(\.records).map { $0["id"]?.stringValue ?? "" } == (15...20).reversed().map {
                "cli_" + String(format: "%04d", $0)
            } + ["cli_0014"])
        #expect(simulator.queries(of: "allClients").count == 2)
        #expect(!instance.lastReadWasComplete)
        #expect(batches.last?.checkpoint == ["cursor": "2026-03-01T08:20:00Z"])
    }

    @Test func sinceAndUntilGoIntoTheVariablesAndBoundTheRecords() throws {
        let simulator = try GazelleSimulator()
        simulator.state.withLock { state in
            state.timeline = (1...9).map {
                GazelleSimulator.timelineEntry($0, occurred: GazelleSimulator.time($0 * 10))
            }
        }
        let timeline: JSONValue = [
            "name": "timeline",
            "query": """
            query T($first: Int, $after: String, $since: CoreDateTime) {
              allTimelineEntries(first: $first, after: $after, occurredAtGet: $since) {
                nodes { id occurredAt } pageInfo { hasNextPage endCursor }
              }
            }
            """,
            "variables": ["first": 2], "records_path": "data.allTimelineEntries.nodes", "primary_key": "id",
            "cursor_field": "occurredAt", "cursor_variable": "since", "until_variable": "until", "order": "ascending",
        ]
        let instance = try Self.open(simulator, streams: [timeline])
        // Entries at minutes 30…90 match occurredAtGet; --until drops 70 and later.
        let batches = try instance.read(
            ReadRequest(stream: "timeline", since: GazelleSimulator.time(30), until: GazelleSimulator.time(70)))
        #expect(batches.flatMap(\.records).map { $0["id"]?.stringValue ?? "" } == ["tle_3", "tle_4", "tle_5", "tle_6"])
        let sent = simulator.queries(of: "allTimelineEntries")
        #expect(sent.allSatisfy { $0.variables["since"] == .string(GazelleSimulator.time(30)) })
        #expect(sent.allSatisfy { $0.variables["until"] == .string(GazelleSimulator.time(70)) })
        // Ascending: every page moves the checkpoint to the newest value so far.
        #expect(
            batches.map(\.checkpoint)
                == [
                    ["cursor": .string(GazelleSimulator.time(40))], ["cursor": .string(GazelleSimulator.time(60))],
                    ["cursor": .string(GazelleSimulator.time(60))], ["cursor": .string(GazelleSimulator.time(60))],
                ])
        #expect(!instance.lastReadWasComplete)
        // From a checkpoint, the checkpoint's value goes into `since`.
        let incremental = try instance.read(
            ReadRequest(stream: "timeline", checkpoint: ["cursor": .string(GazelleSimulator.time(80))]))
        #expect(incremental.flatMap(\.records).map { $0["id"]?.stringValue ?? "" } == ["tle_8", "tle_9"])
        #expect(
            simulator.queries(of: "allTimelineEntries").last?.variables["since"] == .string(GazelleSimulator.time(80)))
    }

    @Test func aThrottledQueryIsRetryableAndTheSamePageIsAskedForAgain() throws {
        let simulator = try Self.simulator(clients: 6)
        let instance = try Self.open(simulator, streams: [Self.clientsStream()])
        // Page one, then a throttled page two, asked for again on the same reader.
        simulator.state.withLock { $0.throttled = [2] }
        let before = 0
        let batches = try instance.read(ReadRequest(stream: "clients"), retries: 1)
        #expect(batches.flatMap(\.records).count == 6)
        let afters = simulator.queries(of: "allClients")[before...].map { $0.variables["after"]?.stringValue }
        #expect(afters == [nil, GazelleSimulator.cursor(3), GazelleSimulator.cursor(3)])
        simulator.state.withLock { $0.throttled = [$0.queries.count + 1] }
        let failure = #expect(throws: PluginError.self) { try instance.read(ReadRequest(stream: "clients")) }
        #expect(failure?.status == PluginError.retryable("").status)
        #expect(
            failure?.message.contains("Too many requests; slow down. (code THROTTLED)") == true,
            "\(String(describing: failure))")
    }

    @Test func anUnknownFieldFailsWithTheServersMessage() throws {
        let simulator = try Self.simulator(clients: 2)
        let instance = try Self.open(
            simulator, streams: [Self.clientsStream(shape: "nodes { id colour updatedAt }")])
        let failure = #expect(throws: PluginError.self) { try instance.read(ReadRequest(stream: "clients")) }
        #expect(failure?.status == PluginError.invalid("").status)
        #expect(
            failure?.message
                == "stream 'clients': the GraphQL server answered with errors: Field 'colour' doesn't exist on type 'PrivateClient' (code undefinedField)"
        )
    }

    @Test func partialDataBesideErrorsIsNeverDelivered() throws {
        let simulator = try Self.simulator(clients: 6)
        simulator.state.withLock { $0.partialErrorAt = 2 }
        let instance = try Self.open(simulator, streams: [Self.clientsStream()])
        var message = ""
        do { _ = try instance.read(ReadRequest(stream: "clients")) } catch { message = "\(error)" }
        #expect(
            message
                == "stream 'clients': the GraphQL server answered with errors: Contact lookup failed for cli_0001 (at allClients.nodes.1.defaultContact, code CONTACT_LOOKUP_FAILED) (its partial data was not used)"
        )
    }

    @Test func aCursorThatRepeatsStopsTheReadInsteadOfLooping() throws {
        let simulator = try Self.simulator(clients: 12)
        simulator.state.withLock { $0.repeatCursor = true }
        let instance = try Self.open(simulator, streams: [Self.clientsStream()])
        var message = ""
        do { _ = try instance.read(ReadRequest(stream: "clients")) } catch { message = "\(error)" }
        #expect(message.contains("page 2 says hasNextPage but repeats the endCursor"), "\(message)")
        #expect(simulator.queries(of: "allClients").count == 2)
    }

    @Test func hasNextPageWithoutAnEndCursorStopsTheRead() throws {
        let simulator = try Self.simulator(clients: 9)
        simulator.state.withLock { $0.omitEndCursor = true }
        let instance = try Self.open(simulator, streams: [Self.clientsStream()])
        var message = ""
        do { _ = try instance.read(ReadRequest(stream: "clients")) } catch { message = "\(error)" }
        #expect(message.contains("page 1 says hasNextPage but gives no endCursor"), "\(message)")
        #expect(simulator.queries(of: "allClients").count == 1)
    }

    @Test func aSortThatContradictsTheDeclaredOrderIsAnError() throws {
        let simulator = try Self.simulator(clients: 5)
        // Sorted by id (oldest first here) while the stream says newest_first: an early stop would skip records.
        let instance = try Self.open(simulator, streams: [Self.clientsStream(sort: "ID_ASC")])
        var message = ""
        do { _ = try instance.read(ReadRequest(stream: "clients")) } catch { message = "\(error)" }
        #expect(
            message.contains(
                "stream 'clients' is declared order: newest_first, but a record with updatedAt 2026-03-01T08:02:00Z came after one with 2026-03-01T08:01:00Z"
            ),
            "\(message)")
    }

    @Test func badConfigurationNamesTheKeyAndTheFix() throws {
        func failure(_ config: JSONValue) -> String {
            do {
                _ = try PluginInstance("graphql", config: config)
                return "opened"
            } catch { return "\(error)" }
        }
        let stream = Self.clientsStream().objectValue!
        var unknown = stream
        unknown["cursor_param"] = "since"
        #expect(failure(["streams": [.object(unknown)]]).contains("config.streams[0]: unknown key 'cursor_param'"))
        var mutation = stream
        mutation["query"] = "mutation { updatePiano(id: \"p\") { piano { id } } }"
        #expect(failure(["streams": [.object(mutation)]]).contains("this document is a mutation"))
        var noRecords = stream
        noRecords["records_path"] = nil
        #expect(failure(["streams": [.object(noRecords)]]).contains("config.streams[0].records_path is required"))
        var flat = stream
        flat["records_path"] = "data.clients"
        #expect(failure(["streams": [.object(flat)]]).contains("set page_info_path"))
        var noCursor = stream
        noCursor["cursor_field"] = nil
        #expect(failure(["streams": [.object(noCursor)]]).contains("order newest_first needs cursor_field"))
        var relative = stream
        relative["query"] = nil
        relative["query_file"] = "queries/clients.graphql"
        #expect(failure(["streams": [.object(relative)]]).contains("set config.queries_dir"))
        #expect(failure(["streams": [.object(stream)], "endpoint": "x"]).contains("config: unknown key 'endpoint'"))
    }

    @Test func aQueryFileIsReadFromQueriesDir() throws {
        let simulator = try Self.simulator(clients: 3)
        let folder = TemporaryDirectory()
        try "query { allClients(first: 10) { nodes { id } pageInfo { hasNextPage endCursor } } }".write(
            toFile: folder.file("clients.graphql"), atomically: true, encoding: .utf8)
        let instance = try Self.open(
            simulator,
            streams: [
                ["name": "clients", "query_file": "clients.graphql", "records_path": "data.allClients.nodes"]
            ], extra: ["queries_dir": .string(folder.path)])
        let batches = try instance.read(ReadRequest(stream: "clients"))
        #expect(batches.flatMap(\.lines) == [#"{"id":"cli_0001"}"#, #"{"id":"cli_0002"}"#, #"{"id":"cli_0003"}"#])
    }
}
