import Dispatch
import Foundation
import Logging

extension ServeService {
    /// Runs a worker until SIGTERM or SIGINT: then it stops claiming, stops its running
    /// units at their next batch boundary, hands them back to the queue and returns 0.
    /// A second signal exits at once with 130 (the units' leases then expire).
    /// - Parameters:
    ///   - worker: a registered worker, not yet started.
    ///   - logger: where the service logs.
    public static func run(worker: ServeWorker, logger: Logger) -> Int32 {
        let stopped = DispatchSemaphore(value: 0)
        let signals = SignalHandlers()
        signals.on(SIGHUP) {
            logger.warning(
                "SIGHUP: a worker does not reload its configuration; restart it (SIGTERM hands its units back).")
        }
        signals.onStop {
            logger.notice("Stopping: units stop at their next batch boundary (signal again to abort).")
            Thread.detachNewThread {
                worker.stop()
                stopped.signal()
            }
        }
        worker.start()
        stopped.wait()
        signals.cancel()
        return 0
    }
}
