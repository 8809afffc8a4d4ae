import ArgumentParser
import FerryCore
import FerryEngine
import FerryServe
import Foundation
import Logging

/// `ferry serve`: runs every pipeline on its schedule and answers the HTTP API.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run pipelines on their schedules, with an HTTP API and Prometheus metrics.",
        discussion: """
            Runs each pipeline of every site (or of --site) at the times its `schedule` gives, with the same \
            leases as `ferry run`. SIGTERM stops at the next batch boundary; SIGHUP reloads the configuration \
            (a configuration that does not load is refused and the running one stays). The API needs \
            FERRY_API_TOKEN (Authorization: Bearer …); without it only /healthz answers. See docs/serve.md.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Where the HTTP API listens (port 0 picks a free one).", valueName: "host:port"))
    var listen = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("The time zone of schedules that name none (default: $TZ, else the system's).", valueName: "zone"))
    var timeZone: String?

    func validate() throws {
        guard ServeService.address(listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT, such as 127.0.0.1:8080 or [::1]:8080; got '\(listen)'")
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
        var logger = Logger(label: "ferry") { ConsoleLogHandler(label: $0, level: level, json: json, redactor: Redactor(secrets: [])) }
        logger.logLevel = level
        let scheduler: ServeScheduler
        do {
            scheduler = try ServeScheduler(clock: SystemClock(), logger: logger, metrics: metrics) {
                try ServeSites(configPath: configPath, site: site, defaultTimeZone: zone, logLevel: level, jsonLogs: json)
            }
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let (host, port) = ServeService.address(listen)!
        logger.notice("Serving.", metadata: ["config": "\(scheduler.current.configFile)", "pipelines": "\(scheduler.pipelines.count)",
                                             "time_zone": "\(zone.identifier)"])
        let token = ProcessInfo.processInfo.environment["FERRY_API_TOKEN"]
        let status = ServeService.run(scheduler: scheduler, metrics: metrics,
                                      options: .init(host: host, port: port, token: token, logger: logger))
        if status != 0 { throw ExitCode(status) }
    }
}
