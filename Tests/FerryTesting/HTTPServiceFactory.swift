import FerryCore
import FerryHTTP
import Foundation
import Logging
import Synchronization

// The host's HTTP service as the tests build it: shared by the HTTP service's own
// tests and the connectors' (WattiVahti's token rotation), so it lives here.

/// A clock whose sleeps advance time instantly, so waits of minutes run in microseconds.
public final class TestClock: @unchecked Sendable {
    private let state: Mutex<(now: Double, slept: Double)>

    public init(start: Double = Date().timeIntervalSince1970) { state = Mutex((start, 0)) }

    public var now: Double { state.withLock { $0.now } }
    /// Seconds slept in all.
    public var slept: Double { state.withLock { $0.slept } }

    public var clock: HTTPClock {
        HTTPClock(
            now: { [self] in now },
            sleep: { [self] seconds in
                state.withLock {
                    $0.now += seconds; $0.slept += seconds
                }
            })
    }
}

/// Log lines as the console would print them (message and fields), raw and redacted.
public final class LogCapture: @unchecked Sendable {
    private let lines = Mutex<[String]>([])
    public let redactor: Redactor

    public init(redactor: Redactor) { self.redactor = redactor }

    public var raw: [String] { lines.withLock { $0 } }
    public var redacted: [String] { raw.map(redactor.redact) }

    public var logger: Logger {
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
            let fields = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }.map {
                "\($0.key)=\($0.value)"
            }
            capture.append(([event.level.rawValue, "\(event.message)"] + fields).joined(separator: " "))
        }
    }
}

/// Builds services against a loopback server with a fake clock and in-memory state.
public struct ServiceFactory {
    public var store: any StateStore = InMemoryStateStore()
    public var clock = TestClock()
    public var redactor = Redactor()
    public var budgets: RateBudgetRegistry?
    public lazy var logs = LogCapture(redactor: redactor)

    public init(budgets: Bool = false) {
        if budgets { self.budgets = RateBudgetRegistry(store: store) }
    }

    public mutating func make(
        _ server: LoopbackServer, name: String = "api", credentialLookup: (any CredentialLookup)? = nil,
        _ configure: (inout HTTPConnectionConfig) -> Void = { _ in }
    )
        -> HTTPService
    {
        var config = HTTPConnectionConfig(endpoint: server.url + "/v2")
        config.timeoutSeconds = 5
        config.connectTimeoutSeconds = 2
        configure(&config)
        return HTTPService(
            config: config, connectionName: name, transport: CurlTransport(), store: store,
            stateScope: "http.connection:\(name)", budgets: budgets, redactor: redactor, logger: logs.logger,
            clock: clock.clock, random: { 0.5 }, credentialLookup: credentialLookup)
    }
}

extension HTTPTransportResponse {
    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}
