import FerryCore
import FerryEngine
import FerrySchedule
import Foundation
import Logging

/// `ferry serve`'s scheduled reports (`reports: NAME: schedule:`): one thread per report that
/// waits for its next cron time, then reads, renders and mails it as `ferry report` does (the
/// config read again each time, the period its `since`). A failed send is logged, never fatal.
final class ReportSchedule: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    /// Starts a thread per scheduled report of the config; nil when it schedules none.
    /// Throws when a report's schedule is not a cron expression `FerrySchedule` reads.
    static func start(
        configPath: String, site: String?, zone: TimeZone, level: Logger.Level, json: Bool, logger: Logger
    ) throws -> ReportSchedule? {
        // The config alone: a report opens its workspace (and the state) only when it is sent.
        let reports = try FerryConfig.load(path: configPath).reports.values.filter { $0.schedule != nil }
            .sorted { $0.name < $1.name }
        guard !reports.isEmpty else { return nil }
        let schedule = ReportSchedule()
        for report in reports {
            let cron = try CronSchedule(parsing: report.schedule!, defaultTimeZone: zone)
            let send: @Sendable () -> Void = {
                Self.send(
                    report.name, configPath: configPath, site: site, zone: zone, level: level, json: json,
                    logger: logger)
            }
            Thread.detachNewThread { schedule.loop(cron, send) }
            logger.notice(
                "Report scheduled.", metadata: ["report": "\(report.name)", "schedule": "\(report.schedule!)"])
        }
        return schedule
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    private func loop(_ cron: CronSchedule, _ send: @Sendable () -> Void) {
        var after = Date()
        while let next = cron.next(after: after) {
            let stop = condition.withLock {
                while !stopped && Date() < next { _ = condition.wait(until: next) }
                return stopped
            }
            if stop { return }
            after = next
            send()
        }
    }

    private static func send(
        _ name: String, configPath: String, site: String?, zone: TimeZone, level: Logger.Level, json: Bool,
        logger: Logger
    ) {
        let environment = ProcessInfo.processInfo.environment
        do {
            let workspace = try Workspace(configPath: configPath, site: site, logLevel: level, jsonLogs: json)
            guard let report = workspace.config.reports[name] else {
                logger.error("Report not sent: it is no longer in the configuration.", metadata: ["report": "\(name)"])
                return
            }
            let mailing = ReportMailing(report: report, workspace: workspace)
            let channel = try ReportMailing.channel(for: name, to: report.recipients, environment: environment)
            // Checked when the config was read.
            let bound = (DateBound(parsing: report.since) ?? .daysAgo(7)).resolved(now: Date(), timeZone: zone)
            let page = try mailing.page(since: bound)
            try mailing.send(page, since: bound, through: channel, environment: environment)
            logger.notice(
                "Report sent.",
                metadata: ["report": "\(name)", "rows": "\(page.records.count)", "since": "\(bound)"])
        } catch {
            logger.error("Report not sent.", metadata: ["report": "\(name)", "reason": "\(error)"])
        }
    }
}
