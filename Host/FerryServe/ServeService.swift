import Dispatch
import FerryCore
import FerrySchedule
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `ferry serve` as a process: the scheduler, the HTTP API, and the signals a
/// service manager sends.
///
/// - SIGTERM or SIGINT: stop starting runs, stop the running ones at their next batch
///   boundary, stop the HTTP server, exit 0. A second signal exits at once with 130.
/// - SIGHUP: read the configuration again; only a configuration that loads completely
///   (file, sites, every schedule) replaces the running one, otherwise the running one
///   stays and the log says why.
public enum ServeService {
    /// How `ferry serve` was asked to run.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var token: String?
        public var logger: Logger

        /// Creates options.
        /// - Parameters:
        ///   - host: the address to listen on.
        ///   - port: the port (0: any free one, printed when listening).
        ///   - token: the API's bearer token, or nil.
        ///   - logger: where the service logs.
        public init(host: String, port: Int, token: String?, logger: Logger) {
            self.host = host
            self.port = port
            self.token = token
            self.logger = logger
        }
    }

    /// Splits `HOST:PORT` (`[::1]:8080` for IPv6); nil when malformed.
    /// - Parameter text: the `--listen` value.
    public static func address(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// Runs until SIGTERM or SIGINT; returns the exit code.
    /// - Parameters:
    ///   - scheduler: a loaded scheduler, not yet started.
    ///   - metrics: the metrics it records into.
    ///   - options: address, token and logger.
    public static func run(scheduler: ServeScheduler, metrics: ServeMetrics, options: Options) -> Int32 {
        let logger = options.logger
        let api = ServeAPI(scheduler: scheduler, metrics: metrics, token: options.token)
        if options.token == nil || options.token?.isEmpty == true {
            logger.warning("FERRY_API_TOKEN is not set: the HTTP API refuses every request but /healthz.")
        }
        var serverLogger = logger
        serverLogger.logLevel = .warning
        let app = Application(
            router: api.router(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? options.port
                logger.notice(
                    "Listening.",
                    metadata: [
                        "url": "http://\(options.host.contains(":") ? "[\(options.host)]" : options.host):\(port)"
                    ])
            },
            logger: serverLogger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: serverLogger))
        let stopped = DispatchSemaphore(value: 0)
        let exitCode = ExitBox()

        let signals = SignalHandlers()
        signals.on(SIGHUP) {
            logger.notice("SIGHUP: reloading the configuration.")
            scheduler.reload()
        }
        signals.onStop {
            logger.notice("Stopping: runs stop at their next batch boundary (signal again to abort).")
            Thread.detachNewThread {
                scheduler.stop()
                Task { await group.triggerGracefulShutdown() }
            }
        }
        scheduler.start()
        Task {
            do {
                try await group.run()
            } catch {
                logger.error("The HTTP server stopped.", metadata: ["error": "\(error)"])
                exitCode.set(1)
                scheduler.stop()
            }
            stopped.signal()
        }
        stopped.wait()
        signals.cancel()
        logger.notice("Stopped.")
        return exitCode.value
    }
}

/// The exit code, set from another thread.
private final class ExitBox: @unchecked Sendable {
    private let lock = NSLock()
    private var code: Int32 = 0
    func set(_ value: Int32) { lock.withLock { code = value } }
    var value: Int32 { lock.withLock { code } }
}

/// Signal handlers on a queue of their own (Dispatch sources, not `signal(2)` handlers).
final class SignalHandlers: @unchecked Sendable {
    private let queue = DispatchQueue(label: "ferry-serve-signals")
    private var sources: [DispatchSourceSignal] = []
    private var stops = 0

    func on(_ number: Int32, _ body: @escaping @Sendable () -> Void) {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler(handler: body)
        source.resume()
        sources.append(source)
    }

    func onStop(_ body: @escaping @Sendable () -> Void) {
        for number in [SIGTERM, SIGINT] {
            on(number) { [self] in
                stops += 1
                if stops == 1 { body() } else { _exit(130) }
            }
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
