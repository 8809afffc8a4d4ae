import FerryCore
import Testing

@Suite struct RateBudgetTests {
    @Test func minuteBucketAllowsABurstThenPacesTheRest() {
        var budget = RateBudget(limits: .init(perMinute: 90), now: 0)
        for _ in 0..<90 { #expect(budget.acquire(now: 0) == .proceed) }
        guard case .wait(let seconds) = budget.acquire(now: 0) else { Issue.record("expected a wait"); return }
        #expect(abs(seconds - 60.0 / 90) < 1e-9)
        #expect(budget.acquire(now: seconds) == .proceed)
        // A full minute later the bucket is full again, never more than the limit.
        var later = budget
        for _ in 0..<90 { #expect(later.acquire(now: 1000) == .proceed) }
        #expect(later.acquire(now: 1000) != .proceed)
    }

    @Test func dayLimitIsCountedAndSaysWhenItResets() {
        var budget = RateBudget(limits: .init(perDay: 3), now: 100)
        for _ in 0..<3 { #expect(budget.acquire(now: 200) == .proceed) }
        #expect(budget.acquire(now: 300) == .exhausted(resetsAt: 100 + 86_400))
        #expect(budget.acquire(now: 100 + 86_400) == .proceed)
        #expect(budget.dayUsed == 1)
    }

    @Test func serverHeadersTightenTheBudget() {
        var budget = RateBudget(limits: .init(perMinute: 90, perDay: 10_000), now: 0)
        var headers = RateLimitHeaders(HTTPHeaders(), now: 0)
        headers.remainingMinute = 0
        headers.resetMinute = 20
        headers.remainingDay = 10
        headers.resetDay = 50_000
        budget.observe(headers, now: 0)
        #expect(budget.acquire(now: 0) == .wait(seconds: 20))
        #expect(budget.dayUsed == 9_990)
        #expect(budget.dayStart == 50_000 - 86_400)
        for _ in 0..<10 { #expect(budget.acquire(now: 21) == .proceed) }
        #expect(budget.acquire(now: 22) == .exhausted(resetsAt: 50_000))
    }

    @Test func stateRoundTripsThroughItsSerialisedForm() throws {
        var budget = RateBudget(limits: .init(perMinute: 10, perDay: 100), now: 1_000)
        for _ in 0..<4 { _ = budget.acquire(now: 1_000) }
        budget.pause(until: 1_005)
        let restored = try #require(RateBudget(serialized: budget.serialized, limits: budget.limits))
        #expect(restored == budget)
        // Lowered limits clamp the saved tokens.
        let lowered = try #require(RateBudget(serialized: budget.serialized, limits: .init(perMinute: 2, perDay: 100)))
        #expect(lowered.minuteTokens == 2)
        #expect(RateBudget(serialized: "{}", limits: budget.limits) == nil)
    }
}
