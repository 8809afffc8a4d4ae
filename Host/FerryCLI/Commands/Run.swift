import ArgumentParser
import Dispatch
import FerryCore
import FerryEngine
import Foundation

/// `ferry run`: runs pipelines of the selected site.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run pipelines (all of the site's, or the ones named).",
        discussion: """
            Exit codes: 0 success, 1 a pipeline failed, 2 bad configuration, 3 finished with dead letters, \
            64 bad command-line arguments, 75 stopped by a used-up rate budget (run again later; so are the \
            pipelines after it), \
            130 stopped by SIGINT/SIGTERM at a batch boundary.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Pipelines to run (default: every pipeline of the site).")
    var pipelines: [String] = []

    @Flag(help: "Ignore stored cursors and read everything.")
    var full = false

    // Unconditional: a relative value starts with '-' and must not be taken for an option.
    @Option(
        parsing: .unconditional,
        help:
            "Read from this date or date-time (ISO 8601), or a relative time (-30d, -2w, -12h, today, yesterday), passed to the source."
    )
    var since: String?

    @Option(
        parsing: .unconditional, help: "Read up to this date or date-time, or a relative time, passed to the source.")
    var until: String?

    @Flag(help: "Read and transform, but write nothing and store no state.")
    var dryRun = false

    @Flag(
        help: "Show what a run would change, per record: create, update (field: old → new), delete. Implies --dry-run.")
    var diff = false

    @Option(
        help: ArgumentHelp(
            "With --diff: list at most this many changes per pipeline (default 100); the rest are counted.",
            valueName: "n"))
    var diffLimit: Int?

    @Flag(
        help:
            "Show the run's changes per record (as --diff), then ask on standard input before applying them; no answer applies nothing."
    )
    var confirm = false

    @Flag(help: "With --confirm: apply the changes shown without asking.")
    var yes = false

    @Flag(help: "Skip the remaining pipelines once one fails (a daily chain whose steps depend on each other).")
    var stopOnFailure = false

    @Option(help: "Stop each pipeline after this many source records.")
    var limit: Int?

    @Option(
        name: .customLong("id"),
        help: ArgumentHelp(
            "Sync only this source record, by primary key (repeatable), through a stream that reads single records (rest: detail:); the checkpoint stays.",
            valueName: "key"))
    var recordIDs: [String] = []

    @Option(
        name: .customLong("filter"),
        help: ArgumentHelp(
            "Sync only the source records whose field has this value (repeatable; all must hold), e.g. Nummer=11400-BE; the checkpoint stays, nothing is deleted.",
            valueName: "field=value"))
    var filterArguments: [String] = []

    @Option(
        help: ArgumentHelp(
            "For mirror pipelines: allow deleting up to this many records (a count, or a share such as 100%) in this run, instead of their max_delete.",
            valueName: "limit"))
    var maxDelete: String?

    @OptionGroup var traffic: TrafficOptions

    func validate() throws {
        if let limit, limit <= 0 { throw ValidationError("--limit must be a positive number of records, got \(limit)") }
        if !recordIDs.isEmpty, full || since != nil || until != nil {
            throw ValidationError(
                "--id syncs only those records: it cannot be combined with --full, --since or --until")
        }
        if recordIDs.contains(where: \.isEmpty) { throw ValidationError("--id needs a record key, got an empty one") }
        if !filterArguments.isEmpty {
            do {
                try RecordFilter.validate(try filters())
            } catch {
                throw ValidationError("\(error)")
            }
            // Field names belong to one source's records: a filter over every pipeline is a slip.
            if pipelines.isEmpty {
                throw ValidationError(
                    "--filter applies to the source records of the pipelines named: name them (ferry run products --filter Nummer=11400-BE)"
                )
            }
        }
        try validateDiff()
        if confirm && (diff || dryRun) {
            throw ValidationError("--confirm shows the changes and then applies them: it excludes --diff and --dry-run")
        }
        if yes && !confirm { throw ValidationError("--yes answers --confirm: give --confirm too") }
        if let maxDelete, DeleteLimit(parsing: maxDelete) == nil {
            throw ValidationError(
                "--max-delete must be a whole number of records or a share from 0% to 100%, got '\(maxDelete)'")
        }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, DateBound(parsing: value) == nil {
                throw ValidationError("\(name) must be \(DateBound.forms), got '\(value)'")
            }
        }
    }

    private func filters() throws -> [RecordFilter] { try filterArguments.map(RecordFilter.init(parsing:)) }

    func run() throws {
        let workspace = try global.workspace()
        traffic.apply(to: workspace)
        let selected: [PipelineConfig]
        do { selected = try workspace.pipelines(named: pipelines) } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let environment = ProcessInfo.processInfo.environment
        let notifications = try notificationSetup(environment)
        let signals = SignalWatcher { workspace.cancelAll() }
        defer { signals.stop() }
        let showsChanges = diff || confirm
        let state = workspace.config.stateDescription
        if confirm {
            let preview = try runPipelines(selected, in: workspace, options: try options(diffing: true))
            preview.show(by: self, diffs: true, state: state)
            // A preview that failed, or found records a destination would refuse, is not offered.
            try preview.finish(cancelled: workspace.cancellation.isCancelled)
            guard approve(preview) else { return }
        }
        let outcome = try runPipelines(selected, in: workspace, options: try options(diffing: diff))
        outcome.show(by: self, diffs: showsChanges && !confirm, state: state)
        if let notifications, !dryRun && !diff {
            try notify(outcome, through: notifications, workspace: workspace, environment: environment)
        }
        try outcome.finish(cancelled: workspace.cancellation.isCancelled)
    }

    /// The run's options; `diffing`: a dry run listing each record's change.
    private func options(diffing: Bool) throws -> RunOptions {
        RunOptions(
            fullRefresh: full, since: since, until: until, dryRun: dryRun || diffing, limit: limit,
            maxDelete: maxDelete.flatMap(DeleteLimit.init(parsing:)), diffLimit: diffing ? diffLimit ?? 100 : nil,
            recordIDs: recordIDs, filters: try filters())
    }

    /// What the pipelines of one pass did.
    struct Outcome {
        var diffs: [PipelineDiff] = []
        var reports: [RunReport] = []
        var failures: [(String, String)] = []
        var skipped: [(String, String)] = []
        /// Skipped pipelines that only wait for a rate limit to reset (after one that ended rate limited).
        var skippedForRateLimit: Set<String> = []
        var exitStatus = ExitStatus.success

        /// Prints what the pass did: its diffs when asked, then the summary.
        func show(by command: Run, diffs printsDiffs: Bool, state: String) {
            if printsDiffs && !command.global.json { command.printDiffs(diffs) }
            command.printSummary(reports, failures, skipped, diffs: printsDiffs ? diffs : [], stateFile: state)
        }

        /// Ends the command with the pass's exit status when that is not success.
        func finish(cancelled: Bool) throws {
            if cancelled { throw ExitCode(ExitStatus.interrupted) }
            // A step skipped because the one before it must wait for a rate limit is not a failure:
            // the chain comes back later (75) like the rate-limited step itself.
            if !failures.isEmpty || skipped.contains(where: { !skippedForRateLimit.contains($0.0) }) {
                throw ExitCode(exitStatus)
            }
            if reports.contains(where: { $0.status == .rateLimited }) { throw ExitCode(ExitStatus.rateLimited) }
            if reports.contains(where: { $0.status == .deadLettered }) { throw ExitCode(ExitStatus.deadLetters) }
        }
    }

    /// Runs the selected pipelines in order: a pipeline after one that did not finish waits,
    /// and with `--stop-on-failure` every pipeline after a failed one does.
    private func runPipelines(_ selected: [PipelineConfig], in workspace: Workspace, options: RunOptions) throws
        -> Outcome
    {
        var diffs: [PipelineDiff] = []
        var reports: [RunReport] = []
        var failures: [(String, String)] = []
        var skipped: [(String, String)] = []
        // Pipelines that did not finish (failed, skipped, stopped by a rate limit): their dependents wait.
        var unfinished: [String: String] = [:]
        var waitingForRateLimit: Set<String> = []
        var exitStatus = ExitStatus.success
        for pipeline in selected {
            if workspace.cancellation.isCancelled { break }
            let stopper = stopOnFailure ? failures.first?.0 : nil
            if let parent = pipeline.after.first(where: { unfinished[$0] != nil }) ?? stopper {
                let reason =
                    parent == stopper && !pipeline.after.contains(parent)
                    ? "skipped: '\(parent)' failed and --stop-on-failure is set"
                    : "skipped: runs after '\(parent)', which \(unfinished[parent]!)"
                workspace.logger.warning(
                    "Pipeline skipped.", metadata: ["pipeline": "\(pipeline.name)", "reason": "\(reason)"])
                skipped.append((pipeline.name, reason))
                unfinished[pipeline.name] = "was skipped"
                if parent != stopper, waitingForRateLimit.contains(parent) {
                    waitingForRateLimit.insert(pipeline.name)
                } else {
                    exitStatus = max(exitStatus, ExitStatus.failure)
                }
                continue
            }
            // Kept with the run in the state store, for `ferry logs RUN` and serve's API.
            let capture = RunLog(redactor: workspace.redactor)
            var logger = capture.logger(teeing: workspace.logger)
            logger[metadataKey: "pipeline"] = "\(pipeline.name)"
            let progress = ProgressLine(pipeline: pipeline.name)
            var runID: RunID?
            defer { capture.keep(run: runID, in: workspace.store) }
            do {
                let plan = try workspace.plan(pipeline)
                let runner = PipelineRunner(
                    plan: plan, store: workspace.store, options: options,
                    cancellation: workspace.cancellation, logger: logger
                ) { progress.update($0) }
                defer { if let diff = runner.diff { diffs.append(diff) } }
                let report = try runner.run()
                runID = report.runID
                progress.finish()
                logger.info(
                    "Run finished.",
                    metadata: ["status": "\(report.status.rawValue)", "summary": "\(report.summaryLine)"])
                reports.append(report)
                if report.status != .succeeded && report.status != .deadLettered {
                    unfinished[pipeline.name] = "ended \(report.status.rawValue)"
                    if report.status == .rateLimited { waitingForRateLimit.insert(pipeline.name) }
                }
            } catch {
                runID = RunLog.runID(of: error)
                progress.finish()
                let message = workspace.redactor.redact("\(error)")
                logger.error("Run failed.", metadata: ["error": "\(message)"])
                failures.append((pipeline.name, message))
                unfinished[pipeline.name] = "failed"
                exitStatus = max(exitStatus, ExitStatus.of(error))
            }
        }
        return Outcome(
            diffs: diffs, reports: reports, failures: failures, skipped: skipped,
            skippedForRateLimit: waitingForRateLimit.subtracting(reports.map(\.pipeline.pipeline)),
            exitStatus: exitStatus)
    }

    fileprivate func printSummary(
        _ reports: [RunReport], _ failures: [(String, String)], _ skipped: [(String, String)],
        diffs: [PipelineDiff], stateFile: String
    ) {
        if global.json {
            var document: [String: Any] = [
                "runs": reports.map { report -> [String: Any] in
                    [
                        "pipeline": report.pipeline.pipeline, "site": report.pipeline.site,
                        "status": report.status.rawValue,
                        "read": report.counts.read, "written": report.counts.written,
                        "created": report.counts.created, "unchanged": report.counts.unchanged,
                        "deleted": report.counts.deleted, "dead_letters": report.counts.rejected,
                        "seconds": (report.seconds * 1000).rounded() / 1000,
                    ]
                },
                "failures": failures.map { ["pipeline": $0.0, "error": $0.1] },
                "skipped": skipped.map { ["pipeline": $0.0, "reason": $0.1] },
            ]
            if diff || confirm { document["diffs"] = diffs.map(diffJSON) }
            printJSON(document)
            return
        }
        var table = Table("PIPELINE", "STATUS", "READ", "WRITTEN", "UNCHANGED", "DELETED", "DEAD", "SECONDS", "REC/S")
        for report in reports {
            let rate = report.seconds > 0 ? Int(Double(report.counts.read) / report.seconds) : 0
            table.add(
                report.pipeline.pipeline, report.status.rawValue, "\(report.counts.read)", "\(report.counts.written)",
                "\(report.counts.unchanged)", "\(report.counts.deleted)", "\(report.counts.rejected)",
                String(format: "%.2f", report.seconds), "\(rate)")
        }
        for (name, _) in failures { table.add(name, "failed", "-", "-", "-", "-", "-", "-", "-") }
        for (name, _) in skipped { table.add(name, "skipped", "-", "-", "-", "-", "-", "-", "-") }
        print(table.rendered)
        for (name, message) in failures + skipped { print("\(name): \(message)") }
        for report in reports where report.status == .rateLimited {
            print("\(report.pipeline.pipeline): \(report.message ?? "")")
        }
        print("State: \(stateFile)")
    }
}

/// Turns SIGINT/SIGTERM into a cancellation at the next batch boundary; a
/// second signal exits at once.
final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []
    private var received = 0

    init(onFirst: @escaping () -> Void) {
        let queue = DispatchQueue(label: "ferry.signals")
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [unowned self] in
                received += 1
                if received == 1 {
                    FileHandle.standardError.write(
                        Data("\nStopping at the next batch boundary (signal again to abort).\n".utf8))
                    onFirst()
                } else {
                    _exit(ExitStatus.interrupted)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        sources.forEach { $0.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// A progress line on a terminal (records, rate, elapsed); nothing otherwise,
/// where the log lines say the same.
final class ProgressLine {
    private let pipeline: String
    private let started = Date()
    private var lastDraw = Date.distantPast
    private let enabled = isatty(STDERR_FILENO) != 0

    init(pipeline: String) { self.pipeline = pipeline }

    func update(_ counts: BatchCounts) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = Date()
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Int(Double(counts.read) / elapsed) : 0
        let line = "\r\(pipeline): \(counts.read) records  \(rate) rec/s  \(String(format: "%.1f", elapsed))s elapsed"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if enabled && lastDraw != .distantPast { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
