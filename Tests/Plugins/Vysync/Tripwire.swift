import FerryTesting
import Foundation
import Synchronization

/// A kill -9 at a chosen point of a run: after the Nth write (any request but GET) that a
/// simulator applied, the `ferry` process is killed before the answer leaves, so the write
/// happened and the run never learnt it did: the hardest point for exactly-once.
final class Tripwire: Sendable {
    private struct Wire {
        var remaining: Int?
        var pid: Int32?
        var fired = false
    }

    private let wire = Mutex(Wire())

    func arm(afterWrites count: Int) { wire.withLock { $0 = Wire(remaining: count) } }

    func aim(at pid: Int32) { wire.withLock { $0.pid = pid } }

    /// Disarms; returns whether it fired.
    func disarm() -> Bool {
        wire.withLock { wire in
            defer { wire = Wire() }
            return wire.fired
        }
    }

    /// Passes `reply` through, first killing the run if this request is the chosen write.
    func pass(_ request: LoopbackServer.Request, _ reply: LoopbackServer.Reply) -> LoopbackServer.Reply {
        guard request.method != "GET" else { return reply }
        let due = wire.withLock { wire -> Bool in
            guard let remaining = wire.remaining else { return false }
            wire.remaining = remaining - 1
            return remaining == 1
        }
        guard due else { return reply }
        // The run may have started writing before its pid was recorded: wait for it briefly.
        if waitUntil(within: 2, { wire.withLock { $0.pid } != nil }), let pid = wire.withLock({ $0.pid }) {
            kill(pid, SIGKILL)
            wire.withLock { $0.fired = true }
        }
        return reply
    }
}
