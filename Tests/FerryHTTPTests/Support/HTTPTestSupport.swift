import FerryTesting
import FerryCore
import FerryHTTP
import Foundation
import Logging
import Synchronization

/// A clock whose sleeps advance time instantly, so waits of minutes run in microseconds.
final class TestClock: @unchecked Sendable {
    private let state: Mutex<(now: Double, slept: Double)>

    init(start: Double = Date().timeIntervalSince1970) { state = Mutex((start, 0)) }

    var now: Double { state.withLock { $0.now } }
    /// Seconds slept in all.
    var slept: Double { state.withLock { $0.slept } }

    var clock: HTTPClock {
        HTTPClock(now: { [self] in now }, sleep: { [self] seconds in state.withLock { $0.now += seconds; $0.slept += seconds } })
    }
}

/// Log lines as the console would print them (message and fields), raw and redacted.
final class LogCapture: @unchecked Sendable {
    private let lines = Mutex<[String]>([])
    let redactor: Redactor

    init(redactor: Redactor) { self.redactor = redactor }

    var raw: [String] { lines.withLock { $0 } }
    var redacted: [String] { raw.map(redactor.redact) }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            capture.append(([event.level.rawValue, "\(event.message)"] + fields).joined(separator: " "))
        }
    }
}

/// Builds services against a loopback server with a fake clock and in-memory state.
struct ServiceFactory {
    var store: any StateStore = InMemoryStateStore()
    var clock = TestClock()
    var redactor = Redactor()
    var budgets: RateBudgetRegistry?
    lazy var logs = LogCapture(redactor: redactor)

    init(budgets: Bool = false) {
        if budgets { self.budgets = RateBudgetRegistry(store: store) }
    }

    mutating func make(_ server: LoopbackServer, name: String = "api", _ configure: (inout HTTPConnectionConfig) -> Void = { _ in })
        -> HTTPService
    {
        var config = HTTPConnectionConfig(endpoint: server.url + "/v2")
        config.timeoutSeconds = 5
        config.connectTimeoutSeconds = 2
        configure(&config)
        return HTTPService(config: config, connectionName: name, transport: CurlTransport(), store: store,
                           stateScope: "http.connection:\(name)", budgets: budgets, redactor: redactor, logger: logs.logger,
                           clock: clock.clock, random: { 0.5 })
    }
}

extension HTTPTransportResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}
