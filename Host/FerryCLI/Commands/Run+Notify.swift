import ArgumentParser
import FerryCore
import FerryEngine
import FerryServe
import Foundation

extension Run {
    /// Tells the channels the environment names (`FERRY_NOTIFY_WEBHOOK_URL`,
    /// `FERRY_NOTIFY_EMAIL_TO` with `FERRY_SMTP_*`, as for `ferry serve`) what this pass's runs
    /// mean: a pipeline failed (once, until it recovers), recovered, reached
    /// `FERRY_NOTIFY_DEAD_LETTERS` open dead letters (default 100), or left new conflicts.
    /// What was told is kept in the state store, so runs from cron tell a failure once rather
    /// than at every run. A delivery that fails is logged, and the run's exit status stands.
    func notify(
        _ outcome: Outcome, through setup: NotificationSetup, workspace: Workspace, environment: [String: String]
    )
        throws
    {
        let threshold = environment["FERRY_NOTIFY_DEAD_LETTERS"].flatMap { Int($0) } ?? 100
        let store = workspace.store
        let results =
            outcome.reports.map {
                (
                    $0.pipeline,
                    RunResult(status: $0.status.rawValue, counts: $0.counts, seconds: $0.seconds, message: $0.message)
                )
            }
            + outcome.failures.map {
                (PipelineID(site: workspace.site, pipeline: $0.0), RunResult(status: "failed", message: $0.1))
            }
        // Counted before the state transaction below, which must not read the store again.
        let open = results.map { key, result in
            result.mayAddDeadLetters
                ? try? store.deadLetters(for: key, includeReplayed: false, limit: 100_000).count : nil
        }
        let conflicts = results.map { key, result in
            result.mayAddConflicts ? try? store.openConflictCount(of: key) : nil
        }
        let events: [NotificationPolicy.Event] = try store.updateValue(scope: "notifications", key: "run") { stored in
            var policy = NotificationPolicy(deadLetterThreshold: threshold)
            if let stored,
                let memory = try? JSONDecoder().decode(NotificationPolicy.Memory.self, from: Data(stored.utf8))
            {
                policy.memory = memory
            }
            var events: [NotificationPolicy.Event] = []
            for (index, (key, result)) in results.enumerated() {
                events += policy.finished(key, result, openDeadLetters: open[index], openConflicts: conflicts[index])
            }
            return (String(decoding: try JSONEncoder().encode(policy.memory), as: UTF8.self), events)
        }
        let redactor = Redactor(secrets: setup.secrets)
        for event in events {
            let (title, text) = event.message
            Notifier.deliver(
                title: redactor.redact(title), text: redactor.redact(workspace.redactor.redact(text)),
                to: setup.channels, redactor: redactor, logger: workspace.logger)
        }
    }

    /// The channels the environment names, checked before any pipeline runs (nil: none).
    func notificationSetup(_ environment: [String: String]) throws -> NotificationSetup? {
        do {
            return try NotificationSetup.fromEnvironment(environment)
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}
