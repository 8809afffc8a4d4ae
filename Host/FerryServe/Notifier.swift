import FerryCore
import FerrySchedule
import Foundation
import Logging

/// Sends what `NotificationPolicy` decides to every channel, off the threads that run
/// pipelines, and the scheduled summary on the serve clock.
///
/// A failed delivery is logged with the channel's name and reason, never its URL or
/// credentials, and is not retried (the next event or summary tells the rest).
public final class Notifier: @unchecked Sendable {
    private let channels: [any NotificationChannel]
    private let logger: Logger
    private let redactor: Redactor
    private let clock: any ServeClock
    private let summarySchedule: CronSchedule?
    private let openDeadLetters: @Sendable (PipelineID) -> Int?
    private let openConflicts: @Sendable (PipelineID) -> Int?
    private let queue = DispatchQueue(label: "ferry-serve-notifications")
    private let lock = NSCondition()
    private var policy: NotificationPolicy
    private var delivered = 0
    private var stopped = false
    private let wakeup = Wakeup()

    /// Creates a notifier.
    /// - Parameters:
    ///   - channels: where messages go.
    ///   - deadLetterThreshold: open dead letters at which a pipeline is reported.
    ///   - summary: when to send the summary, if ever.
    ///   - clock: the serve clock (the summary's time).
    ///   - secrets: values to mask in every message besides what the runs' redactors masked
    ///     (the channels' own URLs and passwords).
    ///   - logger: where delivery failures are logged.
    ///   - openConflicts: a pipeline's open conflicts now (none by default).
    ///   - openDeadLetters: a pipeline's open dead letters now.
    public init(
        channels: [any NotificationChannel], deadLetterThreshold: Int, summary: CronSchedule?, clock: any ServeClock,
        secrets: [String], logger: Logger, openConflicts: @escaping @Sendable (PipelineID) -> Int? = { _ in nil },
        openDeadLetters: @escaping @Sendable (PipelineID) -> Int?
    ) {
        self.channels = channels
        self.logger = logger
        self.clock = clock
        summarySchedule = summary
        self.openDeadLetters = openDeadLetters
        self.openConflicts = openConflicts
        redactor = Redactor(secrets: Set(secrets.filter { !$0.isEmpty }))
        policy = NotificationPolicy(deadLetterThreshold: deadLetterThreshold)
    }

    /// Messages handed to every channel so far (delivered or not), for tests.
    public var sent: Int { lock.withLock { delivered } }

    /// Waits (at most `timeout` seconds) until `count` messages were handed to the channels.
    @discardableResult
    public func waitUntilSent(_ count: Int, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        return lock.withLock {
            while delivered < count { if !lock.wait(until: deadline) { return delivered >= count } }
            return true
        }
    }

    /// Feeds a finished run to the policy; sends what it says.
    /// - Parameters:
    ///   - key: the pipeline.
    ///   - result: how the run ended.
    public func finished(_ key: PipelineID, _ result: RunResult) {
        let open = result.mayAddDeadLetters ? openDeadLetters(key) : nil
        let conflicts = result.mayAddConflicts ? openConflicts(key) : nil
        let events = lock.withLock {
            policy.finished(key, result, openDeadLetters: open, openConflicts: conflicts)
        }
        events.forEach(send)
    }

    /// Starts the summary timer (when a summary is scheduled).
    public func start() {
        guard let schedule = summarySchedule else { return }
        Thread.detachNewThread { [self] in
            var due = schedule.next(after: clock.now())
            while let next = due {
                let generation = wakeup.generation
                if lock.withLock({ stopped }) { return }
                if clock.now() >= next {
                    send(lock.withLock { policy.summary() })
                    due = schedule.next(after: clock.now())
                    continue
                }
                clock.wait(until: next, wakeup: wakeup, seen: generation)
            }
        }
    }

    /// Stops the summary timer; messages already queued are still sent.
    public func stop() {
        lock.withLock { stopped = true }
        wakeup.signal()
        queue.sync {}
    }

    /// Hands one message to every channel; a failed delivery is logged with the channel's
    /// name and the reason (masked by `redactor`), and the others still get it.
    public static func deliver(
        title: String, text: String, to channels: [any NotificationChannel], redactor: Redactor, logger: Logger
    ) {
        for channel in channels {
            do {
                try channel.send(title: title, text: text)
            } catch {
                logger.warning(
                    "Notification not delivered.",
                    metadata: ["channel": "\(channel.name)", "error": "\(redactor.redact("\(error)"))"])
            }
        }
    }

    private func send(_ event: NotificationPolicy.Event) {
        let (title, text) = event.message
        let safeTitle = redactor.redact(title)
        let safeText = redactor.redact(text)
        queue.async { [self] in
            Self.deliver(title: safeTitle, text: safeText, to: channels, redactor: redactor, logger: logger)
            lock.withLock {
                delivered += 1
                lock.broadcast()
            }
        }
    }
}
