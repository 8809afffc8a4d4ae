import FerryCore
import FerryTime
import Foundation

/// The dashboard `ferry serve` shows at `/dashboard`: one server-rendered page, no
/// script and no build step. Pipelines with their last run and next scheduled run, a
/// chart of records and run time per run over the last days, dead letters with replay
/// and discard buttons, and the rate budgets.
///
/// Rendering is a pure function of `Dashboard.Model`, so tests check the page's
/// content without a browser, and the browser test checks that it really shows.
public enum Dashboard {
    /// What the page shows.
    public struct Model: Sendable {
        /// Every pipeline served, in configuration order.
        public var pipelines: [ServeScheduler.PipelineState]
        /// The latest run of each pipeline, from the state database.
        public var lastRuns: [PipelineID: RunRecord]
        /// Runs of the chart's period, any order.
        public var runs: [RunRecord]
        /// Open dead letters (secrets masked).
        public var deadLetters: [DeadLetter]
        /// The rate budgets.
        public var budgets: [BudgetState]
        /// The `serve --worker` fleet sharing the state, if any worker ever ran.
        public var fleet: WorkerFleet? = nil
        /// The configuration file.
        public var configFile: String
        /// When the page was made.
        public var now: Date
    }

    /// How many days the chart covers.
    public static let chartDays = 7

    /// The page.
    /// - Parameter model: what to show.
    public static func render(_ model: Model) -> String {
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="30">
            <title>Ferry — \(escape(model.configFile))</title>
            <style>\(style)</style></head><body>
            <header><h1>Ferry</h1><p>\(escape(model.configFile)) · \(model.pipelines.count) pipelines · \(escape(time(model.now)))</p></header>

            """
        html += pipelinesSection(model)
        html += chartSection(model)
        html += deadLettersSection(model)
        html += budgetsSection(model)
        html += workersSection(model)
        html += "</body></html>\n"
        return html
    }

    private static func pipelinesSection(_ model: Model) -> String {
        var rows = ""
        for state in model.pipelines {
            let last = model.lastRuns[state.key]
            let status = state.running ? "running" : (state.lastResult?.status ?? last?.status.rawValue ?? "never run")
            let records =
                last.map { "\($0.counts.read) read, \($0.counts.written) written, \($0.counts.rejected) dead" } ?? "–"
            rows += """
                <tr data-pipeline="\(escape(state.key.description))"><td>\(escape(state.key.site.isEmpty ? "–" : state.key.site))</td>\
                <td>\(escape(state.key.pipeline))</td><td class="status \(escape(status))">\(escape(status))</td>\
                <td>\(last.map { escape(time(Date(timeIntervalSince1970: $0.startedAt))) } ?? "–")</td><td>\(escape(records))</td>\
                <td>\(state.nextRun.map { escape(time($0)) } ?? "on demand")</td>\
                <td><code>\(escape(state.schedule ?? "–"))</code>\(fullSchedule(state))</td></tr>

                """
        }
        return """
            <section id="pipelines"><h2>Pipelines</h2>
            <table><thead><tr><th>Site</th><th>Pipeline</th><th>Status</th><th>Last run</th><th>Records</th><th>Next run</th><th>Schedule</th></tr></thead>
            <tbody>
            \(rows)</tbody></table></section>

            """
    }

    /// Bars: records written per run; dots joined by a line: run time, on its own scale.
    private static func chartSection(_ model: Model) -> String {
        let since = model.now.timeIntervalSince1970 - Double(chartDays) * 86_400
        let runs = model.runs.filter { $0.startedAt >= since && $0.finishedAt != nil }.sorted {
            $0.startedAt < $1.startedAt
        }.suffix(120)
        guard !runs.isEmpty else {
            return
                "<section id=\"chart\"><h2>Runs, last \(chartDays) days</h2><p class=\"empty\">No runs yet.</p></section>\n"
        }
        let width = 900.0, height = 220.0, left = 50.0, bottom = 20.0
        let plotHeight = height - bottom - 10
        let maxRecords = max(1, runs.map { $0.counts.written + $0.counts.unchanged + $0.counts.rejected }.max() ?? 1)
        let durations = runs.map { ($0.finishedAt ?? $0.startedAt) - $0.startedAt }
        let maxSeconds = max(0.001, durations.max() ?? 1)
        let step = (width - left - 10) / Double(runs.count)
        var bars = ""
        var points: [String] = []
        for (index, run) in runs.enumerated() {
            let records = run.counts.written + run.counts.unchanged + run.counts.rejected
            let barHeight = plotHeight * Double(records) / Double(maxRecords)
            let x = left + Double(index) * step
            let seconds = durations[index]
            bars += """
                <rect class="records" data-run="\(run.id)" x="\(fmt(x + step * 0.1))" y="\(fmt(10 + plotHeight - barHeight))" \
                width="\(fmt(step * 0.8))" height="\(fmt(barHeight))"><title>\(escape(run.pipeline.description)) run \(run.id) at \
                \(escape(time(Date(timeIntervalSince1970: run.startedAt)))): \(records) records, \(String(format: "%.2f", seconds)) s</title></rect>

                """
            points.append("\(fmt(x + step / 2)),\(fmt(10 + plotHeight - plotHeight * seconds / maxSeconds))")
        }
        return """
            <section id="chart"><h2>Runs, last \(chartDays) days</h2>
            <p class="legend"><span class="key records"></span> records per run (up to \(maxRecords)) \
            <span class="key seconds"></span> run time (up to \(String(format: "%.2f", maxSeconds)) s)</p>
            <svg viewBox="0 0 \(fmt(width)) \(fmt(height))" role="img" aria-label="Records and run time per run">
            <line class="axis" x1="\(fmt(left))" y1="\(fmt(10 + plotHeight))" x2="\(fmt(width - 10))" y2="\(fmt(10 + plotHeight))"/>
            <text x="0" y="20">\(maxRecords)</text><text x="0" y="\(fmt(10 + plotHeight))">0</text>
            \(bars)<polyline class="seconds" points="\(points.joined(separator: " "))"/>
            </svg></section>

            """
    }

    private static func deadLettersSection(_ model: Model) -> String {
        guard !model.deadLetters.isEmpty else {
            return
                "<section id=\"dead-letters\"><h2>Dead letters</h2><p class=\"empty\">No open dead letters.</p></section>\n"
        }
        var byPipeline: [PipelineID: Int] = [:]
        for letter in model.deadLetters { byPipeline[letter.pipeline, default: 0] += 1 }
        var replay = ""
        for (key, count) in byPipeline.sorted(by: { $0.key.description < $1.key.description }) {
            replay += """
                <form method="post" action="/dashboard/replay"><input type="hidden" name="site" value="\(escape(key.site))">\
                <input type="hidden" name="pipeline" value="\(escape(key.pipeline))">\
                <button type="submit">Replay \(count) of \(escape(key.description))</button></form>

                """
        }
        var rows = ""
        for letter in model.deadLetters.prefix(200) {
            let record = letter.record.count > 120 ? String(letter.record.prefix(117)) + "…" : letter.record
            rows += """
                <tr data-dead-letter="\(letter.id)"><td>\(letter.id)</td><td>\(escape(letter.pipeline.description))</td>\
                <td>\(escape(letter.stage))</td><td>\(escape(letter.error))</td><td><code>\(escape(record))</code></td>\
                <td>\(escape(time(Date(timeIntervalSince1970: letter.createdAt))))</td>\
                <td><form method="post" action="/dashboard/discard"><input type="hidden" name="site" value="\(escape(letter.pipeline.site))">\
                <input type="hidden" name="id" value="\(letter.id)"><button type="submit">Discard</button></form></td></tr>

                """
        }
        return """
            <section id="dead-letters"><h2>Dead letters (\(model.deadLetters.count))</h2>
            <div class="actions">\(replay)</div>
            <table><thead><tr><th>Id</th><th>Pipeline</th><th>Stage</th><th>Error</th><th>Record</th><th>Created</th><th></th></tr></thead>
            <tbody>
            \(rows)</tbody></table></section>

            """
    }

    private static func budgetsSection(_ model: Model) -> String {
        guard !model.budgets.isEmpty else {
            return
                "<section id=\"budgets\"><h2>Rate budgets</h2><p class=\"empty\">No connection names a rate budget.</p></section>\n"
        }
        var rows = ""
        for budget in model.budgets {
            func cell(_ remaining: Int?, _ limit: Int?) -> String {
                guard let remaining, let limit else { return "unlimited" }
                return "\(remaining) of \(limit)"
            }
            rows += """
                <tr data-budget="\(escape(budget.name))"><td>\(escape(budget.name))</td><td>\(cell(budget.minuteRemaining, budget.perMinute))</td>\
                <td>\(cell(budget.dayRemaining, budget.perDay))</td>\
                <td>\(budget.pausedUntil.map { "until " + escape(time(Date(timeIntervalSince1970: $0))) } ?? "–")</td></tr>

                """
        }
        return """
            <section id="budgets"><h2>Rate budgets</h2>
            <table><thead><tr><th>Budget</th><th>This minute</th><th>Today</th><th>Paused</th></tr></thead>
            <tbody>
            \(rows)</tbody></table></section>

            """
    }

    /// The workers of a `serve --worker` fleet on the same state: each one's heartbeat, the units
    /// it holds with their lag, and the due units no live worker holds.
    private static func workersSection(_ model: Model) -> String {
        guard let fleet = model.fleet else { return "" }
        var rows = ""
        for worker in fleet.workers {
            let stale = fleet.isStale(worker)
            let held = fleet.units(heldBy: worker).map {
                "\(escape($0.pipeline.description)) (\(Int(fleet.lag($0))) s late\($0.leaseExpired ? ", lease expired" : ""))"
            }
            rows += """
                <tr data-worker="\(escape(worker.id))"><td>\(escape(worker.id))</td><td>\(escape(worker.hostname))</td>\
                <td>\(worker.pid)</td><td class="status \(stale ? "failed" : "succeeded")">\(Int(worker.heartbeatAge.rounded())) s ago\(stale ? " (stale)" : "")</td>\
                <td>\(held.isEmpty ? "–" : held.joined(separator: "<br>"))</td></tr>

                """
        }
        let waiting = fleet.waiting
        let late =
            waiting.first.map { ", most late \(escape($0.pipeline.description)) by \(Int(fleet.lag($0))) s" } ?? ""
        return """
            <section id="workers"><h2>Workers (\(fleet.workers.count))</h2>
            <table><thead><tr><th>Worker</th><th>Host</th><th>PID</th><th>Heartbeat</th><th>Holds (lag)</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            <p>\(fleet.units.count) units; due and waiting for a worker: \(waiting.count)\(late)</p></section>

            """
    }

    /// The full schedule under the schedule, with the next full run, when the pipeline has one.
    private static func fullSchedule(_ state: ServeScheduler.PipelineState) -> String {
        guard let schedule = state.fullSchedule else { return "" }
        let next = state.nextFullRun.map { ", next " + escape(time($0)) } ?? ""
        return "<br>full: <code>\(escape(schedule))</code>\(next)"
    }

    /// Text safe in HTML content and attribute values (also used by `ferry report`'s page).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static func time(_ date: Date) -> String {
        UTCTimestamp.string(secondsSince1970: date.timeIntervalSince1970)
            .replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

    private static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0 24px 40px;color:#1d2430;background:#fafbfc}
        header{display:flex;align-items:baseline;gap:16px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e3e6ea;padding:6px 8px;text-align:left;vertical-align:top}
        th{background:#f0f2f5}code{font-size:12px;word-break:break-all}
        .status.succeeded{color:#1a7f37}.status.failed,.status.busy{color:#cf222e}.status.dead_lettered,.status.skipped{color:#9a6700}
        .status.running{color:#0969da}.empty{color:#57606a}
        svg{width:100%;max-width:900px;background:#fff;border:1px solid #e3e6ea}rect.records{fill:#54aeff}
        polyline.seconds{fill:none;stroke:#cf222e;stroke-width:2}line.axis{stroke:#8c959f}svg text{font-size:11px;fill:#57606a}
        .key{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}.key.records{background:#54aeff}.key.seconds{background:#cf222e}
        .actions form{display:inline-block;margin:0 8px 8px 0}button{cursor:pointer}
        """
}
