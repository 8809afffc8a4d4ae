import FerryCore
import FerryHTTP
import FerrySchedule
import Foundation
import Prometheus

/// The Prometheus metrics `ferry serve` exposes at `/metrics`, on swift-prometheus's
/// registry (a registry of its own, not the process-wide `MetricsSystem`, so tests
/// and several services in one process never share counters).
///
/// Series carry `site` and `pipeline` labels; the default site is `site=""`.
public final class ServeMetrics: Sendable {
    /// The registry the `/metrics` endpoint renders.
    public let registry = PrometheusCollectorRegistry()

    /// Creates the metrics, empty.
    public init() {}

    private func labels(_ key: PipelineID) -> [(String, String)] { [("site", key.site), ("pipeline", key.pipeline)] }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "ferry", metricName: metric, unitName: unit, helpText: help)
    }

    private static var runningName: MetricNameDescriptor { name("pipeline_running", "", "1 while the pipeline runs.") }
    private static var skippedName: MetricNameDescriptor {
        name("schedule_skipped", "total", "Scheduled runs not started because the previous run was still going.")
    }
    private static var runsName: MetricNameDescriptor { name("runs", "total", "Runs by how they ended.") }
    private static var readName: MetricNameDescriptor { name("records_read", "total", "Records the source produced.") }
    private static var writtenName: MetricNameDescriptor {
        name("records_written", "total", "Records the destination accepted.")
    }
    private static var deadName: MetricNameDescriptor { name("records_dead", "total", "Records sent to dead letters.") }
    private static var durationName: MetricNameDescriptor { name("run_duration", "seconds", "How long runs took.") }
    private static var lastSuccessName: MetricNameDescriptor {
        name("last_success_timestamp", "seconds", "When the pipeline last finished successfully (Unix time).")
    }
    private static var requestsName: MetricNameDescriptor {
        name("http_requests", "total", "HTTP API requests by response status.")
    }

    func started(_ key: PipelineID) {
        registry.makeGauge(descriptor: Self.runningName, labels: labels(key)).set(to: 1.0)
    }

    func skipped(_ key: PipelineID) {
        registry.makeCounter(descriptor: Self.skippedName, labels: labels(key)).increment()
    }

    func finished(_ key: PipelineID, _ result: RunResult, at date: Date) {
        let labels = labels(key)
        registry.makeGauge(descriptor: Self.runningName, labels: labels).set(to: 0.0)
        registry.makeCounter(descriptor: Self.runsName, labels: labels + [("status", result.status)]).increment()
        registry.makeCounter(descriptor: Self.readName, labels: labels).increment(by: Int64(result.counts.read))
        registry.makeCounter(descriptor: Self.writtenName, labels: labels).increment(by: Int64(result.counts.written))
        registry.makeCounter(descriptor: Self.deadName, labels: labels).increment(by: Int64(result.counts.rejected))
        registry.makeValueHistogram(
            descriptor: Self.durationName, labels: labels, buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600]
        )
        .record(result.seconds)
        if result.allowsDependents {
            registry.makeGauge(descriptor: Self.lastSuccessName, labels: labels).set(to: date.timeIntervalSince1970)
        }
    }

    private static var budgetName: MetricNameDescriptor {
        name("rate_budget_remaining", "", "Requests left in a rate budget's current window (minute or day).")
    }

    /// Records what each rate budget has left, just before a scrape.
    /// - Parameter budgets: the budgets as they stand.
    public func observe(_ budgets: [BudgetState]) {
        for budget in budgets {
            for (window, remaining) in [("minute", budget.minuteRemaining), ("day", budget.dayRemaining)] {
                guard let remaining else { continue }
                registry.makeGauge(descriptor: Self.budgetName, labels: [("budget", budget.name), ("window", window)])
                    .set(Double(remaining))
            }
        }
    }

    /// Counts one answered HTTP request.
    /// - Parameter status: its status code.
    public func httpRequest(status: Int) {
        registry.makeCounter(descriptor: Self.requestsName, labels: [("status", "\(status)")]).increment()
    }

    private static var connectorRequestsName: MetricNameDescriptor {
        name(
            "connector_http_requests", "total",
            "HTTP requests connectors made, by connection and response status (\"error\": no response).")
    }
    private static var connectorRetriesName: MetricNameDescriptor {
        name("connector_http_retries", "total", "HTTP requests connectors repeated after a 429, a 5xx or a failure.")
    }

    /// What counts one site's connector HTTP traffic, for its workspace.
    /// - Parameter site: the site's name ("" for the default site).
    public func connectorTraffic(site: String) -> any HTTPTrafficObserver {
        ConnectorTraffic(site: site, metrics: self)
    }

    private struct ConnectorTraffic: HTTPTrafficObserver {
        let site: String
        let metrics: ServeMetrics

        func answered(connection: String, status: Int) { count(connection, status: "\(status)") }
        func failed(connection: String) { count(connection, status: "error") }
        func retrying(connection: String) {
            metrics.registry.makeCounter(
                descriptor: ServeMetrics.connectorRetriesName, labels: [("site", site), ("connection", connection)]
            ).increment()
        }

        private func count(_ connection: String, status: String) {
            metrics.registry.makeCounter(
                descriptor: ServeMetrics.connectorRequestsName,
                labels: [("site", site), ("connection", connection), ("status", status)]
            ).increment()
        }
    }

    /// The metrics in Prometheus's text format.
    public func render() -> String { registry.emitToString() }
}
