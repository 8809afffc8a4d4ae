import FerryCore
import FerrySchedule
import FerryServe
import FerryTesting
import Foundation
import Testing

@Suite struct NotificationPolicyTests {
    let a = PipelineID(pipeline: "a")

    @Test func failuresAreToldOnceAndRecoveriesOnce() {
        var policy = NotificationPolicy(deadLetterThreshold: 10)
        #expect(
            policy.finished(a, RunResult(status: "failed", message: "boom"), openDeadLetters: nil) == [
                .failed(a, message: "boom")
            ])
        #expect(policy.finished(a, RunResult(status: "failed", message: "boom"), openDeadLetters: nil).isEmpty)
        #expect(policy.finished(a, RunResult(status: "busy"), openDeadLetters: nil).isEmpty)
        #expect(policy.finished(a, RunResult(status: "succeeded"), openDeadLetters: nil) == [.recovered(a)])
        #expect(policy.finished(a, RunResult(status: "succeeded"), openDeadLetters: nil).isEmpty)
    }

    @Test func deadLettersAreToldWhenTheyReachTheThresholdAndAgainOnlyAfterFallingBelow() {
        var policy = NotificationPolicy(deadLetterThreshold: 3)
        let run = RunResult(status: "dead_lettered", counts: BatchCounts(read: 5, written: 4, rejected: 1))
        #expect(policy.finished(a, run, openDeadLetters: 2).isEmpty)
        #expect(policy.finished(a, run, openDeadLetters: 3) == [.deadLetters(a, open: 3, threshold: 3)])
        #expect(policy.finished(a, run, openDeadLetters: 4).isEmpty)
        #expect(policy.finished(a, RunResult(status: "succeeded"), openDeadLetters: 0).isEmpty)
        #expect(policy.finished(a, run, openDeadLetters: 5) == [.deadLetters(a, open: 5, threshold: 3)])
    }

    @Test func theSummaryCountsWhatRanSinceTheLastOne() {
        var policy = NotificationPolicy(deadLetterThreshold: 3)
        _ = policy.finished(
            a, RunResult(status: "succeeded", counts: BatchCounts(read: 10, written: 9, rejected: 1)),
            openDeadLetters: nil)
        _ = policy.finished(PipelineID(pipeline: "b"), RunResult(status: "failed"), openDeadLetters: nil)
        var expected = NotificationPolicy.Summary()
        expected.runs = 2; expected.failures = 1; expected.recordsRead = 10; expected.recordsWritten = 9;
        expected.deadLetters = 1
        expected.failing = ["b"]
        #expect(policy.summary() == .summary(expected))
        var next = NotificationPolicy.Summary()
        next.failing = ["b"]
        #expect(policy.summary() == .summary(next))
    }
}

/// Every kind of notification, from runs on a manual clock through the real channels
/// (libcurl) to a local webhook and a local SMTP server.
@Suite struct NotificationDeliveryTests {
    @Test func eachEventReachesTheWebhookAndTheMailboxWithoutSecrets() throws {
        let hook = try LoopbackServer { _ in .json(#"{"ok":true}"#) }
        let mail = try SMTPSink()
        let webhookURL = hook.url + "/services/T000/B000/s3cretHookToken"
        let password = "smtp-pa55word-xyz"
        let clock = ManualClock(start)
        let backend = try FakeBackend([("a", nil), ("b", nil)])
        // A message that carries the channels' own secrets must not carry them on.
        backend.outcomes = ["a": "failed"]
        backend.failureMessage = "upstream said: \(webhookURL) rejected \(password)"
        let scheduler = try ServeScheduler(clock: clock, logger: quietLogger()) { backend }
        let notifier = Notifier(
            channels: [
                WebhookChannel(url: webhookURL),
                EmailChannel(
                    settings: .init(
                        url: mail.url, from: "ferry@example.com", to: ["ops@example.com"], username: "ferry",
                        password: password)),
            ],
            deadLetterThreshold: 2,
            summary: try CronSchedule(parsing: "0 8 * * *", defaultTimeZone: TimeZone(identifier: "UTC")!),
            clock: clock, secrets: [webhookURL, password], logger: quietLogger()
        ) { _ in backend.openDeadLetters }
        scheduler.observe { notifier.finished($0, $1) }
        scheduler.start()
        notifier.start()
        defer { notifier.stop(); scheduler.stop() }

        func run(_ pipeline: String) {
            let before = scheduler.events.filter { $0.finishedKey == PipelineID(pipeline: pipeline) }.count
            #expect(scheduler.trigger(RunRequest(key: PipelineID(pipeline: pipeline), trigger: .api)) == .start)
            #expect(
                scheduler.waitForEvents {
                    $0.filter { $0.finishedKey == PipelineID(pipeline: pipeline) }.count > before
                })
        }
        run("a") // failure
        #expect(notifier.waitUntilSent(1))
        run("a") // still failing: nothing new
        backend.outcomes = [:]
        run("a") // recovery
        #expect(notifier.waitUntilSent(2))
        backend.openDeadLetters = 2
        run("b") // dead letters at the threshold (FakeBackend's runs reject one record)
        #expect(notifier.waitUntilSent(3))
        clock.advance(to: start.addingTimeInterval(8 * 3600)) // the summary's time
        #expect(notifier.waitUntilSent(4))

        let posts = hook.requests
        let texts = posts.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body))) as? [String: Any] }
            .compactMap { $0["text"] as? String }
        #expect(
            posts.count == 4
                && posts.allSatisfy { $0.method == "POST" && $0.header("Content-Type") == "application/json" })
        #expect(texts.count == 4)
        #expect(texts[0].hasPrefix("*Ferry: a failed*") && texts[0].contains("upstream said: *** rejected ***"))
        #expect(texts[1].hasPrefix("*Ferry: a recovered*"))
        #expect(texts[2].hasPrefix("*Ferry: b has 2 dead letters*"))
        #expect(texts[3].hasPrefix("*Ferry: summary*") && texts[3].contains("4 runs, 2 failed"))

        let messages = mail.wait(for: 4)
        #expect(
            messages.map(\.subject) == [
                "Ferry: a failed", "Ferry: a recovered", "Ferry: b has 2 dead letters", "Ferry: summary",
            ])
        #expect(messages.allSatisfy { $0.from == "<ferry@example.com>" && $0.recipients == ["<ops@example.com>"] })
        for text in texts + messages.map(\.data) {
            #expect(!text.contains("s3cretHookToken") && !text.contains(password))
        }
    }

    @Test func aChannelThatFailsDoesNotStopTheOthers() throws {
        let mail = try SMTPSink()
        let broken = try LoopbackServer { _ in .response(status: 500) }
        let backend = try FakeBackend([("a", nil)])
        backend.outcomes = ["a": "failed"]
        let scheduler = try ServeScheduler(clock: ManualClock(start), logger: quietLogger()) { backend }
        let notifier = Notifier(
            channels: [
                WebhookChannel(url: broken.url + "/hook"),
                EmailChannel(settings: .init(url: mail.url, from: "f@example.com", to: ["o@example.com"])),
            ],
            deadLetterThreshold: 100, summary: nil, clock: ManualClock(start), secrets: [], logger: quietLogger()
        ) { _ in 0 }
        scheduler.observe { notifier.finished($0, $1) }
        scheduler.start()
        defer { notifier.stop(); scheduler.stop() }
        #expect(scheduler.trigger(RunRequest(key: PipelineID(pipeline: "a"), trigger: .api)) == .start)
        #expect(mail.wait(for: 1).first?.subject == "Ferry: a failed")
        #expect(broken.requests.count == 1)
    }
}
