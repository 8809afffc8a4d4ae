import FerryCore
import Testing

@Suite struct RetryScheduleTests {
    @Test func backsOffExponentiallyWithJitterAndHonoursRetryAfter() {
        var schedule = RetrySchedule(maxAttempts: 4, baseDelay: 1, random: { 0.999 })
        #expect(schedule.failed(retryable: true) == .retry(afterSeconds: 0.9995))
        #expect(schedule.failed(retryable: true, retryAfter: 7) == .retry(afterSeconds: 7))
        #expect(schedule.failed(retryable: true) == .retry(afterSeconds: 3.998))
        #expect(schedule.failed(retryable: true) == .giveUp)
        #expect(schedule.attempts == 4)
    }

    @Test func permanentFailuresAreNotRetried() {
        var schedule = RetrySchedule()
        #expect(schedule.failed(retryable: false) == .giveUp)
    }

    @Test func aRetryAfterBeyondTheTotalWaitGivesUp() {
        var schedule = RetrySchedule(maxAttempts: 10, maxTotalWait: 60)
        #expect(schedule.failed(retryable: true, retryAfter: 61) == .giveUp)
    }

    @Test func jitterStaysWithinHalfToFullBackoff() {
        var low = RetrySchedule(baseDelay: 2, random: { 0 })
        var high = RetrySchedule(baseDelay: 2, random: { 0.99 })
        #expect(low.failed(retryable: true) == .retry(afterSeconds: 1))
        #expect(high.failed(retryable: true) == .retry(afterSeconds: 1.99))
    }
}
