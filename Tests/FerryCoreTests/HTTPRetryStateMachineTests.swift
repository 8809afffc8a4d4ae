import FerryCore
import Testing

@Suite struct HTTPRetryStateMachineTests {
    let none = RateLimitHeaders(HTTPHeaders(), now: 0)

    func machine(_ method: String = "GET", retrySafe: Bool = false, renew: Bool = false, attempts: Int = 4)
        -> HTTPRetryStateMachine
    {
        HTTPRetryStateMachine(
            method: method, retrySafe: retrySafe, canRenewCredentials: renew,
            schedule: RetrySchedule(maxAttempts: attempts, baseDelay: 1, maxTotalWait: 100, random: { 0.5 }))
    }

    @Test func successAndClientErrorsAreDelivered() {
        var retry = machine()
        #expect(retry.event(.response(status: 200, rateLimit: none), now: 0) == .deliver)
        #expect(retry.event(.response(status: 404, rateLimit: none), now: 0) == .deliver)
    }

    @Test func tooManyRequestsHonoursRetryAfterAsAFloor() {
        var retry = machine()
        var limited = none
        limited.retryAfter = 7
        #expect(retry.event(.response(status: 429, rateLimit: limited), now: 0) == .retry(afterSeconds: 7))
        #expect(retry.event(.response(status: 429, rateLimit: none), now: 0) == .retry(afterSeconds: 1.5))
        #expect(retry.event(.response(status: 429, rateLimit: none), now: 0) == .retry(afterSeconds: 3))
        guard case .fail(.rateLimited(_, _)) = retry.event(.response(status: 429, rateLimit: none), now: 0) else {
            Issue.record("expected a rate-limited failure"); return
        }
    }

    @Test func aUsedUpDayFailsAtOnceWithTheWait() {
        var retry = machine()
        var limited = none
        limited.remainingDay = 0
        limited.resetDay = 10_000
        #expect(
            retry.event(.response(status: 429, rateLimit: limited), now: 0)
                == .fail(.rateLimited("the API's daily limit is used up", retryAfter: 10_000)))
    }

    @Test func serverErrorsRetryOnlyWhenRepeatable() {
        var get = machine()
        #expect(get.event(.response(status: 503, rateLimit: none), now: 0) == .retry(afterSeconds: 0.75))
        var post = machine("POST")
        guard case .fail(.retryable(let message)) = post.event(.response(status: 503, rateLimit: none), now: 0) else {
            Issue.record("expected no retry"); return
        }
        #expect(message.contains("not idempotent"))
        var safe = machine("POST", retrySafe: true)
        #expect(safe.event(.transportFailure(.timeout("slow")), now: 0) == .retry(afterSeconds: 0.75))
        // A refused connection never reached the server: retried for any method.
        var refused = machine("POST")
        #expect(refused.event(.transportFailure(.connect("refused")), now: 0) == .retry(afterSeconds: 0.75))
    }

    @Test func exhaustedAttemptsFailRetryable() {
        var retry = machine(attempts: 2)
        _ = retry.event(.transportFailure(.truncated("cut")), now: 0)
        #expect(retry.event(.transportFailure(.truncated("cut")), now: 0) == .fail(.retryable("cut after 2 attempts")))
        var big = machine()
        #expect(big.event(.transportFailure(.tooLarge("big")), now: 0) == .fail(.invalid("big")))
    }

    @Test func unauthorizedRenewsOnceWhenPossible() {
        var retry = machine(renew: true)
        #expect(retry.event(.response(status: 401, rateLimit: none), now: 0) == .renewCredentialsAndRetry)
        #expect(retry.event(.response(status: 401, rateLimit: none), now: 0) == .deliver)
        var plain = machine()
        #expect(plain.event(.response(status: 401, rateLimit: none), now: 0) == .deliver)
    }
}
