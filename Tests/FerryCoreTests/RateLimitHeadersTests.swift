import FerryCore
import Testing

@Suite struct RateLimitHeadersTests {
    let now = HTTPDate.secondsSince1970("Thu, 25 Feb 2016 10:32:27 GMT")!

    @Test func retryAfterInSecondsOrAsADate() {
        let seconds = RateLimitHeaders(HTTPHeaders(pairs: [("retry-after", "12")]), now: now)
        #expect(seconds.wait(now: now, limited: true) == 12)
        let date = RateLimitHeaders(HTTPHeaders(pairs: [("Retry-After", "Thu, 25 Feb 2016 10:33:27 GMT")]), now: now)
        #expect(date.wait(now: now, limited: true) == 60)
        let past = RateLimitHeaders(HTTPHeaders(pairs: [("Retry-After", "Thu, 25 Feb 2016 10:00:00 GMT")]), now: now)
        #expect(past.wait(now: now, limited: true) == 0)
    }

    @Test func vcomMinuteResetWhenTheMinuteIsUsedUp() {
        let headers = HTTPHeaders(pairs: [
            ("X-RateLimit-Limit-Minute", "90"), ("X-RateLimit-Remaining-Minute", "0"),
            ("X-RateLimit-Reset-Minute", "Thu, 25 Feb 2016 10:32:57 GMT"),
            ("X-RateLimit-Limit-Day", "10000"), ("X-RateLimit-Remaining-Day", "9000"),
            ("X-RateLimit-Reset-Day", "Fri, 26 Feb 2016 00:00:00 GMT"),
        ])
        let limits = RateLimitHeaders(headers, now: now)
        #expect(limits.remainingMinute == 0)
        #expect(limits.remainingDay == 9000)
        #expect(limits.wait(now: now, limited: true) == 30)
        #expect(limits.wait(now: now, limited: false) == 30)
        #expect(!limits.dayExhausted)
    }

    @Test func aDayThatIsUsedUpWaitsForTheDayReset() {
        let headers = HTTPHeaders(pairs: [
            ("X-RateLimit-Remaining-Minute", "0"), ("X-RateLimit-Reset-Minute", "Thu, 25 Feb 2016 10:32:57 GMT"),
            ("X-RateLimit-Remaining-Day", "0"), ("X-RateLimit-Reset-Day", "Fri, 26 Feb 2016 00:00:00 GMT"),
        ])
        let limits = RateLimitHeaders(headers, now: now)
        #expect(limits.dayExhausted)
        #expect(
            limits.wait(now: now, limited: true) == HTTPDate.secondsSince1970("Fri, 26 Feb 2016 00:00:00 GMT")! - now)
    }

    @Test func genericResetAsEpochOrDelta() {
        let epoch = RateLimitHeaders(
            HTTPHeaders(pairs: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "\(Int(now) + 42)")]), now: now)
        #expect(epoch.wait(now: now, limited: true) == 42)
        let delta = RateLimitHeaders(HTTPHeaders(pairs: [("RateLimit-Reset", "7")]), now: now)
        #expect(delta.wait(now: now, limited: true) == 7)
        #expect(delta.wait(now: now, limited: false) == nil)
        #expect(RateLimitHeaders(HTTPHeaders(), now: now).wait(now: now, limited: true) == nil)
    }

    @Test func headerBlocksParseCaseInsensitivelyAndKeepDuplicates() {
        let headers = HTTPHeaders(
            parsing:
                "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2; Path=/\r\nContent-Type:  text/plain \r\n\r\n")
        #expect(headers.values(for: "SET-COOKIE") == ["a=1", "b=2; Path=/"])
        #expect(headers["content-type"] == "text/plain")
        #expect(headers.text == "Set-Cookie: a=1\nset-cookie: b=2; Path=/\nContent-Type: text/plain\n")
        #expect(
            HTTPHeaders.isSensitive("Authorization") && HTTPHeaders.isSensitive("X-API-KEY")
                && !HTTPHeaders.isSensitive("Accept"))
    }
}
