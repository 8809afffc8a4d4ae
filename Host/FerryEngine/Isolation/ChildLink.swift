import CFerryPlugin
import FerryPluginSDK
import Foundation
import Synchronization

/// The plugin-host child's end of the channel, shared by its serve loop (replies) and
/// the host services table (host calls), which the plugin may call from any thread.
final class ChildLink: @unchecked Sendable {
    let channel: FrameChannel
    /// One exchange on the socket at a time: a host call's question and answer, or a reply.
    private let lock = NSLock()
    private let inFlight = Atomic<Bool>(false)

    init(channel: FrameChannel) { self.channel = channel }

    /// True while the host waits for the reply to a call: only then does it answer host calls.
    var callInFlight: Bool {
        get { inFlight.load(ordering: .acquiring) }
        set { inFlight.store(newValue, ordering: .releasing) }
    }

    /// Sends a frame that expects no answer (a reply, a log line, a metric).
    func tell(_ frame: FrameWriter) {
        lock.withLock {
            do { try channel.send(frame) } catch { Self.parentGone() }
        }
    }

    /// Sends the reply that ends the call in flight. Under the lock, with `callInFlight`
    /// cleared in it: a plugin thread's host call goes either before the reply (the host is
    /// still in the call and answers it) or after it, refused, never as a question the host
    /// reads between two calls while this process's serve loop reads the answer.
    func endCall(with reply: FrameWriter) {
        lock.withLock {
            callInFlight = false
            do { try channel.send(reply) } catch { Self.parentGone() }
        }
    }

    /// Asks the host a host service and waits for its answer; nil when no call is in flight.
    func ask(_ frame: FrameWriter) throws -> FrameReader? {
        try lock.withLock {
            guard callInFlight else { return nil }
            do {
                try channel.send(frame)
                let (kind, reader) = try channel.receive()
                guard kind == .hostReply else {
                    throw MalformedFrame(description: "expected a host reply, got \(kind)")
                }
                return reader
            } catch is FrameChannel.Closed {
                Self.parentGone()
            }
        }
    }

    /// The host closed the channel: it ended, so nothing is left to serve.
    static func parentGone() -> Never { _exit(0) }

    /// Asks a host service whose answer is a status, an error when it failed, and `outputs` when it succeeded.
    func service(
        _ service: HostService, _ errorOut: UnsafeMutablePointer<ferry_error>?, _ fields: (inout FrameWriter) -> Void,
        outputs: (inout FrameReader) throws -> Void = { _ in }
    ) -> ferry_status {
        var frame = FrameWriter(.hostCall)
        frame.byte(service.rawValue)
        fields(&frame)
        do {
            guard var reader = try ask(frame) else {
                PluginError.unsupported(
                    "under process isolation, host services are answered only during a call from the host"
                ).fill(errorOut)
                return FERRY_ERR_UNSUPPORTED
            }
            return try reader.outcome(into: errorOut, outputs: outputs)
        } catch {
            PluginError(status: FERRY_ERR_INTERNAL, message: "the host's answer was malformed: \(error)").fill(errorOut)
            return FERRY_ERR_INTERNAL
        }
    }
}
