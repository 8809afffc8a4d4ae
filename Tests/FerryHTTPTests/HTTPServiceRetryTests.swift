import FerryCore
import FerryHTTP
import FerryJSON
import FerryTesting
import Synchronization
import Testing

@Suite struct HTTPServiceRetryTests {
    /// Three pages of records; every page first answers with a 429 storm carrying VCOM's headers.
    @Test func a429StormIsSurvivedWithEveryRecordOnce() throws {
        let clock = TestClock()
        let hits = Mutex<[String: Int]>([:])
        let server = try LoopbackServer { request in
            let page = Int(request.query["page"] ?? "1")!
            let count = hits.withLock {
                $0[request.target, default: 0] += 1; return $0[request.target]!
            }
            if count <= 3 {
                let reset = HTTPDate.format(clock.now + 20)
                return .response(
                    status: 429,
                    headers: [
                        ("X-RateLimit-Remaining-Minute", "0"), ("X-RateLimit-Reset-Minute", reset),
                        ("X-RateLimit-Limit-Minute", "90"),
                    ])
            }
            let ids = (0..<5).map { "{\"id\":\((page - 1) * 5 + $0)}" }.joined(separator: ",")
            return .json("{\"data\":[\(ids)],\"next\":\(page < 3 ? "\(page + 1)" : "null")}")
        }
        var factory = ServiceFactory()
        factory.clock = clock
        let service = factory.make(server)
        var ids: [Int64] = []
        var page: Int64? = 1
        while let current = page {
            let response = try service.send(.init(url: "items?page=\(current)"))
            let json = try JSONParser().parse(response.body)
            ids += json["data"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            page = json["next"]?.intValue
        }
        #expect(ids == Array(0..<15))
        #expect(server.requests.count == 12)
        #expect(clock.slept >= 9 * 19) // each 429 waited for the reset (about 20 s)
        #expect(factory.logs.raw.filter { $0.contains("retrying") }.count == 9)
    }

    @Test func a5xxBurstIsRetriedWithBackoff() throws {
        let script = Script([.response(status: 503), .response(status: 502), .response(status: 500)]) { _ in
            .json(#"{"ok":true}"#)
        }
        let server = try LoopbackServer(handler: script.reply)
        var factory = ServiceFactory()
        let response = try factory.make(server).send(.init(url: "/status"))
        #expect(response.status == 200 && response.text == #"{"ok":true}"#)
        #expect(server.requests.count == 4)
        #expect(factory.clock.slept > 0)
    }

    @Test func aPOSTIsNotRetriedUnlessMarkedSafe() throws {
        let script = Script([.response(status: 503), .response(status: 503)]) { _ in .json("{}", status: 201) }
        let server = try LoopbackServer(handler: script.reply)
        var factory = ServiceFactory()
        let service = factory.make(server)
        let error = try #require(throws: HTTPError.self) {
            try service.send(.init(method: "POST", url: "/tickets", body: [1]))
        }
        #expect(error.kind == .retryable)
        #expect(error.message.contains("not idempotent"))
        #expect(server.requests.count == 1)
        let safe = try service.send(.init(method: "POST", url: "/tickets", body: [1], retrySafe: true))
        #expect(safe.status == 201)
    }

    @Test func aSlowResponsePastTheTimeoutFailsRetryable() throws {
        let server = try LoopbackServer { _ in .delayed(seconds: 1.2, .json("{}")) }
        var factory = ServiceFactory()
        let service = factory.make(server) {
            $0.timeoutSeconds = 0.3; $0.maxAttempts = 2
        }
        let error = try #require(throws: HTTPError.self) { try service.send(.init(url: "/slow")) }
        #expect(error.kind == .retryable)
        #expect(error.message.contains("GET http://127.0.0.1:\(server.port)/v2/slow"))
        #expect(error.message.contains("after 2 attempts"))
    }

    @Test func aTruncatedBodyGivesAClearError() throws {
        let server = try LoopbackServer { _ in
            .truncated(status: 200, body: Array(#"{"data":[{"id":1},"#.utf8), declaredLength: 4096)
        }
        var factory = ServiceFactory()
        let service = factory.make(server) { $0.maxAttempts = 3 }
        let error = try #require(throws: HTTPError.self) { try service.send(.init(url: "/items")) }
        #expect(error.kind == .retryable)
        #expect(error.message.contains("the response body was cut short"))
        let request = "GET http://127.0.0.1:\(server.port)/v2/items"
        #expect(error.message.components(separatedBy: request).count == 2, "the request named once: \(error.message)")
        #expect(server.requests.count == 3)
    }

    @Test func otherClientErrorsAreDeliveredToTheConnector() throws {
        let server = try LoopbackServer { _ in .json(#"{"error":"no such ticket"}"#, status: 404) }
        var factory = ServiceFactory()
        let response = try factory.make(server).send(.init(url: "/tickets/9"))
        #expect(response.status == 404)
        #expect(server.requests.count == 1)
    }

    @Test func relativeURLsNeedAnEndpoint() throws {
        let server = try LoopbackServer { _ in .json("{}") }
        var factory = ServiceFactory()
        let service = factory.make(server) { $0.endpoint = nil }
        let error = try #require(throws: HTTPError.self) { try service.send(.init(url: "items")) }
        #expect(error.message == "relative URL 'items' but connection 'api' has no http.endpoint")
        #expect(try service.send(.init(url: server.url + "/x")).status == 200)
    }
}
