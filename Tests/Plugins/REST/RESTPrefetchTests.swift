import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import FerryTesting
import Foundation
import Synchronization
import Testing

/// The rest connector reads the next page while the host holds the one before (`prefetch`,
/// on by default): asked for early, delivered in order with each page's own checkpoint, a
/// failure delivered to the call that asks for that page, nothing more asked for after close.
@Suite struct RESTPrefetchTests {
    static let pagination = #"{"type":"page","size_param":"per_page","page_size":5,"total_path":"meta.total"}"#

    /// Waits (at most 10 s) until `page` was asked for; false if it never was.
    static func waitUntilAsked(_ page: Int, of simulator: RESTSimulator) -> Bool {
        waitUntil(within: 10) { simulator.pagesAskedFor.contains(page) }
    }

    @Test func theNextPageIsAskedForWhileTheHostHoldsThePageBefore() throws {
        let simulator = RESTSimulator(count: 23)
        let source = try RESTTotalsTests.connector(simulator, pagination: Self.pagination)
        var askedEarly: [Int: Bool] = [:]
        let batches = try source.read(ReadRequest(stream: "items")) { received in
            // Batch n in hand, not yet "written": page n + 1 is already on its way.
            if received < 5 { askedEarly[received + 1] = Self.waitUntilAsked(received + 1, of: simulator) }
        }
        #expect(askedEarly == [2: true, 3: true, 4: true, 5: true])
        #expect(source.lastReadWasComplete)

        let plain = try RESTTotalsTests.connector(
            RESTSimulator(count: 23), pagination: Self.pagination, extra: ["prefetch": false])
        let unprefetched = try plain.read(ReadRequest(stream: "items"))
        #expect(batches.map(\.ids) == unprefetched.map(\.ids))
        #expect(batches.map(\.checkpoint) == unprefetched.map(\.checkpoint))
        #expect(batches.flatMap(\.ids) == Array(1...23))
        #expect(simulator.pagesAskedFor == [1, 2, 3, 4, 5])
    }

    /// A page read ahead that fails fails the call that asks for it, not the one before; the
    /// host's retry of that call reads it again, and nothing is lost or repeated.
    @Test func aPageReadAheadThatFailsFailsTheCallThatAsksForIt() throws {
        let simulator = RESTSimulator(count: 23)
        let source = try RESTTotalsTests.connector(simulator, pagination: Self.pagination)
        let failures = Mutex(0)
        source.host.http = { request in
            if RESTSimulator.query(of: request.url)["page"] == "3",
                failures.withLock({
                    $0 += 1; return $0 == 1
                })
            {
                throw PluginError.retryable("the API is restarting")
            }
            return try simulator.handler(request)
        }
        var received = 0
        let error = try #require(throws: PluginError.self) {
            _ = try source.read(ReadRequest(stream: "items")) { received = $0 }
        }
        #expect(error.status == FERRY_ERR_RETRYABLE && error.message.contains("the API is restarting"))
        #expect(received == 2, "pages 1 and 2 were delivered before the call that asked for page 3 failed")

        failures.withLock { $0 = 0 }
        let retried = try source.read(ReadRequest(stream: "items"), retries: 1)
        #expect(retried.flatMap(\.ids) == Array(1...23))
        #expect(failures.withLock { $0 } == 2, "page 3 failed once, then was read again")
    }

    /// A reader closed with a page read ahead drops it: the next read, from the last
    /// checkpoint the host holds, gets that page again, and nothing past it was asked for.
    @Test func aReaderClosedWithAPageAheadAsksForNothingMore() throws {
        let simulator = RESTSimulator(count: 23)
        let source = try RESTTotalsTests.connector(
            simulator, pagination: Self.pagination, extra: ["cursor_param": "updated_since"])
        let first = try source.read(ReadRequest(stream: "items"), limit: 2)
        #expect(simulator.pagesAskedFor == [1, 2, 3])
        let rest = try source.read(ReadRequest(stream: "items", checkpoint: first.last?.checkpoint))
        // The same as without reading ahead (the cursor is inclusive: record 10 comes again).
        let plain = try RESTTotalsTests.connector(
            RESTSimulator(count: 23), pagination: Self.pagination,
            extra: ["cursor_param": "updated_since", "prefetch": false])
        let plainFirst = try plain.read(ReadRequest(stream: "items"), limit: 2)
        let plainRest = try plain.read(ReadRequest(stream: "items", checkpoint: plainFirst.last?.checkpoint))
        #expect((first + rest).flatMap(\.ids) == (plainFirst + plainRest).flatMap(\.ids))
        #expect(Set((first + rest).flatMap(\.ids)) == Set(1...23))
    }

    /// End to end on the real `ferry`, in process and under `isolation: process` (where the
    /// host answers host services only during a call, so reading ahead turns itself off): every
    /// record lands once, and the checkpoint is the last page's.
    @Test(arguments: [false, true]) func aRunReadingAheadLoadsEveryRecordOnce(isolated: Bool) throws {
        let api = RESTDeliveryTests.API()
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Sandbox()
        var config = RESTDeliveryTests.config(
            server, pagination: "{ type: page, size_param: per_page, page_size: 5, total_path: meta.total }")
        if isolated {
            config = config.replacingOccurrences(
                of: "    plugin: rest\n", with: "    plugin: rest\n    isolation: process\n")
            #expect(config.contains("isolation: process"))
        }
        try sandbox.write("ferry.yaml", config)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try sandbox.sql("out.db", "SELECT count(*), count(DISTINCT id) FROM items") == ["40|40"])
        #expect(try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints") == [#"{"cursor":40}"#])
        #expect(
            api.requests.withLock { $0 } == 8,
            "eight pages of five, the total saying when to stop: none read ahead twice")
    }
}
