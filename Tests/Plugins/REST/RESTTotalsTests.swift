import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// The rest connector against a peer that drops records from pages: totals make
/// it ask again and then fail before the page, and only a declared end is complete.
@Suite struct RESTTotalsTests {
    static func connector(_ simulator: RESTSimulator, pagination: String, extra: JSONObject = [:]) throws
        -> PluginInstance
    {
        var stream: JSONObject = [
            "name": "items", "path": "items", "records_path": "data", "primary_key": "id",
            "cursor_field": "updated", "pagination": try JSONValue(parsing: pagination),
        ]
        for (key, value) in extra { stream[key] = value }
        let instance = try PluginInstance("rest", config: ["streams": [.object(stream)]])
        instance.host.http = simulator.handler
        return instance
    }

    static let pageWithTotals = #"{"type":"page","size_param":"per_page","page_size":5,"total_path":"meta.total"}"#

    @Test func aPageThatStaysShortIsAskedForAgainThenFailsBeforeItsCheckpoint() throws {
        let simulator = RESTSimulator(count: 23)
        // Page 2 always loses its middle record.
        simulator.trim = { _, query, page in
            query["page"] == "2" ? page.enumerated().filter { $0.offset != 2 }.map(\.element) : page
        }
        // Without reading ahead: the first read stops after page 1 and must not ask for page 2.
        let source = try Self.connector(simulator, pagination: Self.pageWithTotals, extra: ["prefetch": false])
        var batches: [ReceivedBatch] = []
        let error = try #require(throws: PluginError.self) {
            batches = try source.read(ReadRequest(stream: "items"), limit: 1)
            _ = try source.read(ReadRequest(stream: "items", checkpoint: batches.last?.checkpoint))
        }
        #expect(error.status == FERRY_ERR_RETRYABLE)
        #expect(error.message.contains("page 2 returned 4 records"))
        #expect(error.message.contains("pagination.total_path 'meta.total'"))
        #expect(error.message.contains("mean 5"))
        // The second read asked for page 1 and then page 2 three times; page 1's checkpoint stays the last.
        #expect(simulator.queries.filter { $0["page"] == "2" }.count == 1 + RESTLimits.pageRepeats)
        #expect(batches.count == 1 && batches[0].checkpoint?["cursor"] == .string(RESTSimulator.timestamp(5)))
    }

    @Test func aPageThatIsShortOnceIsReadAgainAndTheStreamIsComplete() throws {
        let simulator = RESTSimulator(count: 23)
        simulator.trim = { number, query, page in query["page"] == "3" && number == 3 ? Array(page.prefix(2)) : page }
        let source = try Self.connector(simulator, pagination: Self.pageWithTotals)
        let batches = try source.read(ReadRequest(stream: "items"))
        #expect(batches.flatMap(\.ids) == Array(1...23))
        #expect(source.lastReadWasComplete)
    }

    @Test func aFailedNextAsksForTheSamePageAgainAndNeverEndsTheStream() throws {
        let simulator = RESTSimulator(count: 23)
        // Page 3 is short for its first four requests: the reader gives up after three, the host
        // calls next() again, and each call asks for the page once more instead of ending the stream.
        simulator.trim = { _, query, page in
            query["page"] == "3" && simulator.queries.filter({ $0["page"] == "3" }).count <= 4
                ? Array(page.prefix(1)) : page
        }
        let source = try Self.connector(simulator, pagination: Self.pageWithTotals)
        #expect(try PluginHarness.descriptor("rest").pointee.capabilities & UInt32(FERRY_CAP_REPEATABLE_READ) != 0)
        #expect(try source.read(ReadRequest(stream: "items"), retries: 2).flatMap(\.ids) == Array(1...23))
        #expect(source.lastReadWasComplete)
        #expect(simulator.queries.filter { $0["page"] == "3" }.count == 5)
    }

    @Test func withoutTotalsAShortPageEndsTheStreamButNotAsComplete() throws {
        let simulator = RESTSimulator(count: 23)
        simulator.trim = { _, query, page in query["page"] == "2" ? Array(page.prefix(3)) : page }
        let source = try Self.connector(
            simulator, pagination: #"{"type":"page","size_param":"per_page","page_size":5}"#)
        let batches = try source.read(ReadRequest(stream: "items"))
        #expect(batches.flatMap(\.ids) == Array(1...8))
        #expect(!source.lastReadWasComplete)
        // An empty page ends it too, still not complete.
        let empty = RESTSimulator(count: 10)
        empty.trim = { _, query, page in query["page"] == "2" ? [] : page }
        let other = try Self.connector(empty, pagination: #"{"type":"page","size_param":"per_page","page_size":5}"#)
        #expect(try other.read(ReadRequest(stream: "items")).flatMap(\.ids) == Array(1...5))
        #expect(!other.lastReadWasComplete)
    }

    @Test func everyDeclaredEndIsComplete() throws {
        let styles = [
            Self.pageWithTotals,
            #"{"type":"page","size_param":"per_page","page_size":5,"total_pages_path":"meta.pages"}"#,
            #"{"type":"offset","page_size":5,"total_path":"meta.total"}"#,
            #"{"type":"keyset","size_param":"limit","page_size":5}"#,
        ]
        for style in styles {
            let source = try Self.connector(
                RESTSimulator(count: 23), pagination: style, extra: ["cursor_param": "updated_since"])
            #expect(try source.read(ReadRequest(stream: "items")).flatMap(\.ids) == Array(1...23), "\(style)")
            #expect(source.lastReadWasComplete, "\(style)")
        }
    }

    @Test func aPageCountThatDisagreesFailsNamingTotalPagesPath() throws {
        let simulator = RESTSimulator(count: 23)
        simulator.trim = { _, query, page in query["page"] == "4" ? [] : page }
        let source = try Self.connector(
            simulator,
            pagination: #"{"type":"page","size_param":"per_page","page_size":5,"total_pages_path":"meta.pages"}"#)
        let error = try #require(throws: PluginError.self) { _ = try source.read(ReadRequest(stream: "items")) }
        #expect(error.message.contains("page 4 returned 0 records"))
        #expect(error.message.contains("pagination.total_pages_path 'meta.pages'"))
    }

    @Test func fourDsCountIsCheckedAndDeclaresTheEnd() throws {
        let items = (1...12).map { #"{"__KEY":"\#($0)","id":\#($0)}"# }
        let drop = NSLockedFlag()
        func source() throws -> PluginInstance {
            let instance = try PluginInstance(
                "rest",
                config: [
                    "streams": [["name": "fourd", "path": "Items", "pagination": ["type": "4d", "page_size": 5]]]
                ])
            instance.host.http = { request in
                let query = RESTSimulator.query(of: request.url)
                let skip = Int(query["$skip"]!)!, top = Int(query["$top"]!)!
                var page = Array(items.dropFirst(skip).prefix(top))
                if skip == 5 && drop.value { page.removeFirst() }
                let body = #"{"__COUNT":12,"__SENT":\#(page.count),"__ENTITIES":[\#(page.joined(separator: ","))]}"#
                return HTTPResponse(status: 200, body: Array(body.utf8))
            }
            return instance
        }
        let good = try source()
        #expect(try good.read(ReadRequest(stream: "fourd")).flatMap(\.ids) == Array(1...12))
        #expect(good.lastReadWasComplete)
        drop.value = true
        let error = try #require(throws: PluginError.self) { _ = try source().read(ReadRequest(stream: "fourd")) }
        #expect(error.message.contains("offset 5 returned 4 records") && error.message.contains("__COUNT"))
    }
}

enum RESTLimits {
    /// The connector's `Pagination.maxRepeats`, which the tests cannot import.
    static let pageRepeats = 2
}

/// A tiny shared flag for simulators.
final class NSLockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool {
        get { lock.withLock { flag } }
        set { lock.withLock { flag = newValue } }
    }
}
