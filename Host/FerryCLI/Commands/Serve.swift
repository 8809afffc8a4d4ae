import ArgumentParser
import FerryCore
import FerryEngine
import FerrySchedule
import FerryServe
import Foundation
import Logging

/// `ferry serve`: runs every pipeline on its schedule and answers the HTTP API.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run pipelines on their schedules, with an HTTP API and Prometheus metrics.",
        discussion: """
            Runs each pipeline of every site (or of --site) at the times its `schedule` gives, with the same \
            leases as `ferry run`. SIGTERM stops at the next batch boundary; SIGHUP reloads the configuration \
            (a configuration that does not load is refused and the running one stays). The API needs \
            FERRY_API_TOKEN (Authorization: Bearer …); without it only /healthz answers. See docs/serve.md.

            With --worker, several processes (on one or many machines) share the pipelines through a state \
            store on PostgreSQL: each claims due (site, pipeline) units with a lease, and a worker that dies \
            loses its units to the others after lease_seconds. Workers answer no HTTP API; `ferry status` \
            shows them. See docs/scale-out.md.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(
        help: ArgumentHelp(
            "Where the HTTP API listens (port 0 picks a free one; default: 127.0.0.1:8080).", valueName: "host:port"))
    var listen: String?

    @Flag(help: "Share the pipelines with other workers through the PostgreSQL state store (no HTTP API).")
    var worker = false

    @Option(help: ArgumentHelp("This worker's id (default: HOST-PID); unique among live workers.", valueName: "name"))
    var workerID: String?

    @Option(help: ArgumentHelp("With --worker: how many units (site, pipeline) to run at once.", valueName: "count"))
    var maxUnits = 4

    @Option(
        help: ArgumentHelp(
            "The time zone of schedules that name none (default: $TZ, else the system's).", valueName: "zone"))
    var timeZone: String?

    @Option(help: ArgumentHelp("Notify when a pipeline's open dead letters reach this many.", valueName: "count"))
    var notifyDeadLetters = 100

    @Option(
        help: ArgumentHelp("Send a summary at these times (a cron schedule, e.g. \"0 8 * * *\").", valueName: "cron"))
    var summary: String?

    func validate() throws {
        if notifyDeadLetters < 1 { throw ValidationError("--notify-dead-letters must be at least 1") }
        if let summary {
            do { _ = try CronSchedule(parsing: summary, defaultTimeZone: .current) } catch {
                throw ValidationError("--summary: \(error)")
            }
        }
        if let listen, ServeService.address(listen) == nil {
            throw ValidationError("--listen must be HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080; got '\(listen)'")
        }
        if worker {
            if listen != nil { throw ValidationError("--listen: a worker answers no HTTP API; use `ferry status`") }
            if maxUnits < 1 { throw ValidationError("--max-units must be at least 1") }
            if let workerID, workerID.isEmpty || workerID.contains(where: \.isWhitespace) {
                throw ValidationError("--worker-id must be a non-empty name without spaces; got '\(workerID)'")
            }
        } else if workerID != nil {
            throw ValidationError("--worker-id needs --worker")
        }
        if let timeZone, TimeZone(identifier: timeZone) == nil {
            throw ValidationError("--time-zone '\(timeZone)' is not an IANA time zone such as Europe/Helsinki or UTC")
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: global.logLevel) ?? .info
        let zone = timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone.current
        let configPath = global.configPath
        let site = global.site
        let json = global.json
        let metrics = ServeMetrics()
        var logger = Logger(label: "ferry") {
            ConsoleLogHandler(label: $0, level: level, json: json, redactor: Redactor(secrets: []))
        }
        logger.logLevel = level
        if worker {
            try runWorker(zone: zone, level: level, logger: logger)
            return
        }
        let scheduler: ServeScheduler
        do {
            scheduler = try ServeScheduler(clock: SystemClock(), logger: logger, metrics: metrics) {
                try ServeSites(
                    configPath: configPath, site: site, defaultTimeZone: zone, logLevel: level, jsonLogs: json,
                    metrics: metrics)
            }
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let (host, port) = ServeService.address(listen ?? "127.0.0.1:8080")!
        logger.notice(
            "Serving.",
            metadata: [
                "config": "\(scheduler.current.configFile)", "pipelines": "\(scheduler.pipelines.count)",
                "time_zone": "\(zone.identifier)",
            ])
        let environment = ProcessInfo.processInfo.environment
        let token = environment["FERRY_API_TOKEN"]
        let notifier = try notifier(environment: environment, scheduler: scheduler, zone: zone, logger: logger)
        notifier?.start()
        defer { notifier?.stop() }
        let reports: ReportSchedule?
        do {
            reports = try ReportSchedule.start(
                configPath: configPath, site: site, zone: zone, level: level, json: json, logger: logger)
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
        defer { reports?.stop() }
        let status = ServeService.run(
            scheduler: scheduler, metrics: metrics,
            options: .init(host: host, port: port, token: token, logger: logger))
        if status != 0 { throw ExitCode(status) }
    }

    /// Notifications, when the environment names a channel: `FERRY_NOTIFY_WEBHOOK_URL`
    /// (Slack-compatible), or `FERRY_NOTIFY_EMAIL_TO` with `FERRY_SMTP_URL`,
    /// `FERRY_SMTP_FROM` and optionally `FERRY_SMTP_USER`, `FERRY_SMTP_PASSWORD`.
    private func notifier(environment: [String: String], scheduler: ServeScheduler, zone: TimeZone, logger: Logger)
        throws -> Notifier?
    {
        let setup: NotificationSetup
        do {
            guard let named = try NotificationSetup.fromEnvironment(environment) else { return nil }
            setup = named
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let (channels, secrets) = (setup.channels, setup.secrets)
        let threshold = notifyDeadLetters
        let notifier = Notifier(
            channels: channels, deadLetterThreshold: threshold,
            summary: try summary.map { try CronSchedule(parsing: $0, defaultTimeZone: zone) }, clock: SystemClock(),
            secrets: secrets, logger: logger, openConflicts: { try? scheduler.current.openConflicts(of: $0) }
        ) { key in
            try? scheduler.current.deadLetters(
                site: key.site, pipeline: key.pipeline, includeReplayed: false, limit: 100_000
            ).count
        }
        scheduler.observe { notifier.finished($0, $1) }
        logger.notice("Notifications on.", metadata: ["channels": "\(channels.map(\.name).joined(separator: ","))"])
        return notifier
    }
}
