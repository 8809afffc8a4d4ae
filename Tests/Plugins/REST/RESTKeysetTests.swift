import FerryJSON
import FerryPluginSDK
import Testing

/// Records updated while a long load runs move to the end of the sort order:
/// page numbers then skip records, keyset paging does not.
@Suite struct RESTKeysetTests {
    static func connector(_ simulator: RESTSimulator, pagination: JSONValue) throws -> PluginInstance {
        let stream: JSONObject = [
            "name": "items", "path": "items", "records_path": "data", "primary_key": "id", "cursor_field": "updated",
            "cursor_param": "updated_since", "pagination": pagination,
        ]
        let instance = try PluginInstance("rest", config: ["streams": [.object(stream)]])
        instance.host.http = simulator.handler
        return instance
    }

    /// Before the third request, records 1, 2 and 3 (already read) are updated and move to the end.
    static func updatingSimulator() -> RESTSimulator {
        let simulator = RESTSimulator(count: 40)
        simulator.beforeAnswer = { number, _, items in
            guard number == 3 else { return }
            for index in items.indices where items[index].id <= 3 { items[index].updated = 100 + items[index].id }
        }
        return simulator
    }

    @Test func keysetLosesNoRecordUpdatedDuringTheLoad() throws {
        let source = try Self.connector(
            Self.updatingSimulator(), pagination: ["type": "keyset", "size_param": "limit", "page_size": 5])
        let ids = try source.read(ReadRequest(stream: "items")).flatMap(\.ids)
        #expect(Set(ids) == Set(1...40))
        // The three moved records come again, with their new version, at the end.
        #expect(ids.count == 43 && Array(ids.suffix(3)) == [1, 2, 3])
    }

    @Test func pageNumbersSkipRecordsWhenOthersMove() throws {
        // The documented limitation of `page` (and `offset`): three records shift into pages already read.
        let source = try Self.connector(
            Self.updatingSimulator(), pagination: ["type": "page", "size_param": "per_page", "page_size": 5])
        let ids = Set(try source.read(ReadRequest(stream: "items")).flatMap(\.ids))
        #expect(Set(1...40).subtracting(ids) == [11, 12, 13])
    }

    @Test func tiesAcrossPageBoundariesAreNeitherDoubledNorLost() throws {
        // Records 4…7 share one timestamp across the first page's end; the API's filter is inclusive (updated >= since).
        let simulator = RESTSimulator(count: 30)
        simulator.beforeAnswer = { number, _, items in
            if number == 1 {
                for index in items.indices where (4...7).contains(items[index].id) { items[index].updated = 4 }
            }
        }
        let source = try Self.connector(
            simulator, pagination: ["type": "keyset", "size_param": "limit", "page_size": 5])
        let batches = try source.read(ReadRequest(stream: "items"))
        #expect(batches.flatMap(\.ids) == Array(1...30))
        #expect(source.lastReadWasComplete)
        #expect(simulator.queries[1]["updated_since"] == RESTSimulator.timestamp(4))
        // A checkpoint taken inside the ties lists the keys read at its cursor, and a new run resumes after them.
        let first = try #require(batches.first?.checkpoint)
        #expect(first == ["cursor": .string(RESTSimulator.timestamp(4)), "keys": [4, 5]])
        #expect(try source.read(ReadRequest(stream: "items", checkpoint: first)).flatMap(\.ids) == Array(6...30))
        #expect(!source.lastReadWasComplete)
    }

    @Test func withKeyParamTheAPIFiltersTiesItself() throws {
        let simulator = RESTSimulator(count: 12)
        simulator.beforeAnswer = { number, _, items in
            if number == 1 { for index in items.indices { items[index].updated = 1 } }
        }
        let source = try Self.connector(
            simulator, pagination: ["type": "keyset", "size_param": "limit", "page_size": 5, "key_param": "after_id"])
        let batches = try source.read(ReadRequest(stream: "items"))
        #expect(batches.flatMap(\.ids) == Array(1...12))
        #expect(
            simulator.queries[1]["after_id"] == "5"
                && simulator.queries[1]["updated_since"] == RESTSimulator.timestamp(1))
        // A new run resumes after the checkpoint's last key.
        let resumed = try source.read(ReadRequest(stream: "items", checkpoint: batches[0].checkpoint))
        #expect(resumed.flatMap(\.ids) == Array(6...12))
        #expect(simulator.queries[simulator.queries.count - resumed.count - 1]["after_id"] == "5")
    }

    @Test func aKeyFilterCarriesCursorAndKeyInOneExpression() throws {
        let simulator = RESTSimulator(count: 12)
        simulator.beforeAnswer = { number, _, items in
            if number == 1 { for index in items.indices { items[index].updated = 1 } }
        }
        let stream: JSONObject = [
            "name": "items", "path": "items", "records_path": "data", "primary_key": "id", "cursor_field": "updated",
            "cursor_filter": "from {cursor}",
            "pagination": [
                "type": "keyset", "size_param": "limit", "page_size": 5, "key_filter": "after {cursor} {key}",
            ],
        ]
        let source = try PluginInstance("rest", config: ["streams": [.object(stream)]])
        source.host.http = simulator.handler
        let since = ReadRequest(stream: "items", since: RESTSimulator.timestamp(0))
        #expect(try source.read(since).flatMap(\.ids) == Array(1...12))
        #expect(simulator.queries[0]["filter"] == "from \(RESTSimulator.timestamp(0))")
        #expect(simulator.queries[1]["filter"] == "after \(RESTSimulator.timestamp(1)) 5")
        // key_filter alone cannot start from a cursor without a key.
        var broken = stream
        broken["cursor_filter"] = nil
        #expect(throws: PluginError.self) { _ = try PluginInstance("rest", config: ["streams": [.object(broken)]]) }
    }

    @Test func anAPIThatIgnoresTheCursorFailsInsteadOfLoopingOrEndingEarly() throws {
        let simulator = RESTSimulator(count: 12)
        let stream: JSONObject = [
            "name": "items", "path": "items", "records_path": "data", "primary_key": "id", "cursor_field": "updated",
            "cursor_param": "not_understood", "pagination": ["type": "keyset", "size_param": "limit", "page_size": 5],
        ]
        let source = try PluginInstance("rest", config: ["streams": [.object(stream)]])
        source.host.http = simulator.handler
        let error = try #require(throws: PluginError.self) { _ = try source.read(ReadRequest(stream: "items")) }
        #expect(error.message.contains("returned 4 records before the cursor"))
    }

    @Test func moreTiesThanAPageWithoutKeyParamFailsInsteadOfLooping() throws {
        let simulator = RESTSimulator(count: 12)
        simulator.beforeAnswer = { number, _, items in
            if number == 1 { for index in items.indices { items[index].updated = 1 } }
        }
        let source = try Self.connector(
            simulator, pagination: ["type": "keyset", "size_param": "limit", "page_size": 5])
        let error = try #require(throws: PluginError.self) { _ = try source.read(ReadRequest(stream: "items")) }
        #expect(error.message.contains("more than pagination.page_size records share one cursor value"))
    }
}
