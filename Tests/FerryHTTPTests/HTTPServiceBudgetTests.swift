import FerryCore
import FerryHTTP
import FerryTesting
import Testing

@Suite struct HTTPServiceBudgetTests {
    /// Two connections (two pipelines) on one account share one per-minute allowance.
    @Test func aBudgetIsSharedByTwoConnections() throws {
        let server = try LoopbackServer { _ in .json("{}") }
        var factory = ServiceFactory(budgets: true)
        let budget = HTTPBudgetConfig(name: "vcom-account-1", limits: .init(perMinute: 5))
        let systems = factory.make(server, name: "systems") { $0.budget = budget }
        let tickets = factory.make(server, name: "tickets") { $0.budget = budget }
        let start = factory.clock.now
        for index in 0..<10 { _ = try (index.isMultiple(of: 2) ? systems : tickets).send(.init(url: "/x")) }
        // 5 at once, then one every 12 s: the fifth extra request is due 60 s after the start.
        #expect(abs(factory.clock.now - start - 60) < 0.5)
        #expect(server.requests.count == 10)
        // The state is in the store, where the next process finds it.
        #expect(try factory.store.value(scope: RateBudgetRegistry.stateScope, key: "vcom-account-1") != nil)
    }

    @Test func aUsedUpDayStopsWithTheResetTimeAndKeepsStateForTheNextRun() throws {
        let server = try LoopbackServer { _ in .json("{}") }
        var factory = ServiceFactory(budgets: true)
        let budget = HTTPBudgetConfig(name: "daily", limits: .init(perDay: 3))
        for _ in 0..<3 { _ = try factory.make(server) { $0.budget = budget }.send(.init(url: "/x")) }
        // A new service (the next cron run) on the same store sees the used-up day.
        let next = factory.make(server) { $0.budget = budget }
        let error = try #require(throws: HTTPError.self) { try next.send(.init(url: "/x")) }
        #expect(error.kind == .rateLimited)
        #expect(
            error.message.hasPrefix("the daily request budget 'daily' (3 requests per day) is used up; it resets at "))
        #expect(error.message.contains("GMT, in 24h 0m; checkpoints are kept"))
        #expect(error.retryAfter.map { $0 > 86_000 } == true)
        #expect(server.requests.count == 3)
    }

    @Test func serverReportedDayExhaustionStopsAtOnce() throws {
        let clock = TestClock()
        let server = try LoopbackServer { _ in
            .response(
                status: 429,
                headers: [
                    ("X-RateLimit-Remaining-Day", "0"), ("X-RateLimit-Reset-Day", HTTPDate.format(clock.now + 7200)),
                    ("X-RateLimit-Remaining-Minute", "0"),
                    ("X-RateLimit-Reset-Minute", HTTPDate.format(clock.now + 30)),
                ])
        }
        var factory = ServiceFactory()
        factory.clock = clock
        let error = try #require(throws: HTTPError.self) { try factory.make(server).send(.init(url: "/x")) }
        #expect(error.kind == .rateLimited)
        #expect(error.message.contains("daily limit is used up"))
        #expect(server.requests.count == 1)
    }
}
