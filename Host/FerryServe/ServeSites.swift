import FerryCore
import FerryEngine
import FerrySchedule
import Foundation
import Logging

/// The real backend: the configuration loaded once per site, each site with its own
/// `Workspace` (its connections, its plugins, its cancellation), sharing one state
/// database and therefore the same leases as `ferry run`.
///
/// Loading checks everything a reload must check before it replaces a running
/// configuration: the file (every error `ferry check` reports without opening
/// connections), the sites, and every pipeline's schedule.
public final class ServeSites: ServeBackend, @unchecked Sendable {
    /// One site and what it runs.
    public struct Site {
        /// The site's name; empty for the default site.
        public var name: String
        /// Its workspace.
        public var workspace: Workspace
        /// Its pipelines, in the order the configuration gives them.
        public var pipelines: [PipelineConfig]
    }

    /// The sites, in the configuration's order.
    public let sites: [Site]
    public let entries: [ScheduleStateMachine.Entry]
    public let configFile: String

    /// Loads a configuration.
    /// - Parameters:
    ///   - configPath: the YAML file.
    ///   - site: only this site; nil serves every site.
    ///   - defaultTimeZone: the zone of schedules that name none.
    ///   - logLevel: the log level of every workspace.
    ///   - jsonLogs: log as JSON lines.
    ///   - environment: the variables `${VAR}` reads.
    ///   - metrics: counts the connectors' HTTP requests and retries, when given.
    /// - Throws: `ConfigError` or `WorkspaceError`, naming the file and line.
    public init(
        configPath: String, site: String?, defaultTimeZone: TimeZone, logLevel: Logger.Level = .info,
        jsonLogs: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment, metrics: ServeMetrics? = nil
    ) throws {
        let first = try Workspace(
            configPath: configPath, site: site, logLevel: logLevel, jsonLogs: jsonLogs, environment: environment)
        let names = site.map { [$0] } ?? first.config.siteNames
        var sites: [Site] = []
        for name in names {
            let workspace =
                name == first.site || (site == nil && names.count == 1)
                ? first
                // One state store for every site: one database connection per process, not per site.
                : try Workspace(
                    configPath: configPath, site: name, logLevel: logLevel, jsonLogs: jsonLogs,
                    environment: environment,
                    sharedStore: first.store)
            workspace.httpObserver = metrics?.connectorTraffic(site: workspace.site)
            // `pipelines(named: [])` gives the site's pipelines in the order they must run.
            sites.append(
                Site(name: workspace.site, workspace: workspace, pipelines: try workspace.pipelines(named: [])))
        }
        var entries: [ScheduleStateMachine.Entry] = []
        for site in sites {
            for pipeline in site.pipelines {
                func parsed(_ text: String?, key: String) throws -> CronSchedule? {
                    guard let text else { return nil }
                    do {
                        return try CronSchedule(parsing: text, defaultTimeZone: defaultTimeZone)
                    } catch {
                        throw WorkspaceError(
                            "\(first.config.sourceFile):\(pipeline.location.line): pipelines.\(pipeline.name).\(key): \(error)"
                        )
                    }
                }
                entries.append(
                    .init(
                        key: PipelineID(site: site.name, pipeline: pipeline.name),
                        schedule: try parsed(pipeline.schedule, key: "schedule"),
                        fullSchedule: try parsed(pipeline.fullSchedule, key: "full_schedule")))
            }
        }
        self.sites = sites
        self.entries = entries
        configFile = first.config.sourceFile
    }

    private func site(_ name: String) -> Site? { sites.first { $0.name == name } }

    public func lastRunStarts() -> [PipelineID: Int64] {
        var starts: [PipelineID: Int64] = [:]
        for site in sites {
            for pipeline in site.pipelines {
                let id = PipelineID(site: site.name, pipeline: pipeline.name)
                if let run = try? site.workspace.store.recentRuns(of: id, limit: 1).first {
                    starts[PipelineID(site: site.name, pipeline: pipeline.name)] = Int64(run.startedAt)
                }
            }
        }
        return starts
    }

    /// Where the start of each full run serve began is kept, by pipeline, in the state
    /// store's values (the run log does not say whether a run was full).
    static let fullRunScope = "ferry.serve.full_runs"

    public func lastFullRunStarts() -> [PipelineID: Int64] {
        var starts: [PipelineID: Int64] = [:]
        for site in sites {
            for pipeline in site.pipelines {
                let id = PipelineID(site: site.name, pipeline: pipeline.name)
                if let text = try? site.workspace.store.value(scope: Self.fullRunScope, key: "\(id)"),
                    let seconds = Int64(text)
                {
                    starts[id] = seconds
                }
            }
        }
        return starts
    }

    /// The pipelines this one runs `after:` (among its site's), so a failed parent skips it.
    public func dependencies(of key: PipelineID) -> [String] {
        guard let site = site(key.site), let pipeline = site.pipelines.first(where: { $0.name == key.pipeline }) else {
            return []
        }
        let present = Set(site.pipelines.map(\.name))
        return pipeline.after.filter(present.contains)
    }

    public func execute(_ request: RunRequest) -> RunResult {
        guard let site = site(request.key.site),
            let pipeline = site.pipelines.first(where: { $0.name == request.key.pipeline })
        else {
            return RunResult(status: "failed", message: "no pipeline '\(request.key)' in \(configFile)")
        }
        let workspace = site.workspace
        // The run's lines go to the console as usual and, kept in the state store, to the run's log
        // (GET /v1/runs/{id}/log, `ferry logs`).
        let capture = RunLog(redactor: workspace.redactor)
        var logger = capture.logger(teeing: workspace.logger)
        logger[metadataKey: "pipeline"] = "\(pipeline.name)"
        let started = Date()
        var runID: RunID?
        defer { capture.keep(run: runID, in: workspace.store) }
        do {
            let plan = try workspace.plan(pipeline)
            let options = request.options
            if options.fullRefresh && !options.dryRun && !options.isRanged && options.limit == nil {
                // Kept before the run, as the run log keeps its start: a full run that fails or is
                // stopped still counts, so a restart does not start the same missed full run again.
                // A partial one (filters, ids, a range, a limit) is no full run.
                try workspace.store.setValue(
                    String(Int64(started.timeIntervalSince1970)), scope: Self.fullRunScope, key: "\(plan.id)")
            }
            let runner = PipelineRunner(
                plan: plan, store: workspace.store, options: request.options,
                cancellation: workspace.cancellation, logger: logger)
            let report: RunReport
            if case .replay(let ids) = request.trigger {
                let letters = try workspace.store.deadLetters(for: plan.id, includeReplayed: false, limit: 1_000_000)
                    .filter { ids.isEmpty || ids.contains($0.id) }
                guard !letters.isEmpty else { return RunResult(status: "succeeded", message: "nothing to replay") }
                report = try runner.replay(letters.sorted { $0.id < $1.id })
            } else {
                report = try runner.run()
            }
            runID = report.runID
            logger.info(
                "Run finished.", metadata: ["status": "\(report.status.rawValue)", "summary": "\(report.summaryLine)"])
            return RunResult(
                status: report.status.rawValue, counts: report.counts, seconds: report.seconds,
                message: report.message.map(workspace.redactor.redact))
        } catch {
            runID = RunLog.runID(of: error)
            let message = workspace.redactor.redact("\(error)")
            let busy = (error as? StateError)?.kind == .pipelineBusy
            if busy {
                logger.notice("Run not started: the pipeline is running elsewhere.", metadata: ["error": "\(message)"])
            } else {
                logger.error("Run failed.", metadata: ["error": "\(message)"])
            }
            return RunResult(
                status: busy ? "busy" : "failed", seconds: Date().timeIntervalSince(started), message: message)
        }
    }

    public func cancelAll() { sites.forEach { $0.workspace.cancelAll() } }

    public func recentRuns(of key: PipelineID?, site: String?, limit: Int) throws -> [RunRecord] {
        guard let store = sites.first?.workspace.store else { return [] }
        let served = Set(sites.map(\.name))
        let runs = try store.recentRuns(
            of: key.map { PipelineID(site: $0.site, pipeline: $0.pipeline) }, limit: limit * 4 + 100)
        // A failed run's message is the error as it was thrown: mask the site's secrets in it, as `ferry status` does.
        return runs.filter { served.contains($0.pipeline.site) && (site == nil || $0.pipeline.site == site) }.prefix(
            limit
        ).map { run in
            var run = run
            if let redactor = self.site(run.pipeline.site)?.workspace.redactor {
                run.message = run.message.map(redactor.redact)
            }
            return run
        }
    }

    public func deadLetters(site name: String, pipeline: String?, includeReplayed: Bool, limit: Int) throws
        -> [DeadLetter]
    {
        guard let site = site(name) else { return [] }
        let workspace = site.workspace
        return try workspace.store.deadLetters(
            for: pipeline.map { PipelineID(site: name, pipeline: $0) }, includeReplayed: includeReplayed, limit: limit
        )
        .filter { $0.pipeline.site == name }
        .map { workspace.redactor.masking($0) }
    }

    public func openConflicts(of key: PipelineID) throws -> Int {
        guard let site = site(key.site) else { return 0 }
        return try site.workspace.store.openConflictCount(of: key)
    }

    public func runLog(_ run: RunID) -> [String]? { try? sites.first?.workspace.store.runLog(run) }

    public func workerFleet() throws -> WorkerFleet? {
        guard let store = sites.first?.workspace.store else { return nil }
        return try WorkerFleet(store: store)
    }

    public func rateBudgets() -> [BudgetState] {
        var seen = Set<String>()
        var states: [BudgetState] = []
        let now = Date().timeIntervalSince1970
        for site in sites {
            for connection in site.workspace.config.connections(for: site.name).values.sorted(by: { $0.name < $1.name })
            {
                guard
                    let budget = connection.http?.budget
                        ?? connection.budget.map({ HTTPBudgetConfig(name: $0, limits: .init()) }),
                    seen.insert(budget.name).inserted,
                    let current = try? site.workspace.budgets.current(budget, now: now)
                else { continue }
                states.append(
                    BudgetState(
                        name: budget.name, perMinute: budget.limits.perMinute, perDay: budget.limits.perDay,
                        minuteRemaining: budget.limits.perMinute.map { _ in Int(current.minuteTokens.rounded(.down)) },
                        dayRemaining: budget.limits.perDay.map { max(0, $0 - current.dayUsed) },
                        pausedUntil: current.pausedUntil > now ? current.pausedUntil : nil))
            }
        }
        return states
    }

    public func discardDeadLetters(site name: String, ids: [Int64]) throws -> Int {
        guard let site = site(name) else { return 0 }
        let known = try site.workspace.store.deadLetters(for: nil, includeReplayed: true, limit: 1_000_000)
            .filter { $0.pipeline.site == name && ids.contains($0.id) }.map(\.id)
        return try site.workspace.store.discardDeadLetters(known)
    }
}
