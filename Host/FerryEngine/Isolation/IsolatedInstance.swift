import CFerryPlugin
import FerryPluginSDK

/// The host's side of one isolated plugin instance: a child process and the calls made
/// to it. While a call waits for its reply it answers the child's host calls through the
/// host's own `ferry_host_api` and `ferry_host_ctx`, exactly as the plugin would have
/// called them in-process.
///
/// When the child dies, the call in flight and every later one fail with
/// `FERRY_ERR_INTERNAL` and a message naming the plugin, how it ended and during which slot.
final class IsolatedInstance {
    let pluginName: String
    private let child: ChildProcess
    private let host: UnsafePointer<ferry_host_api>
    private let context: OpaquePointer
    /// Set once the child is gone or untrusted: the message every later call fails with.
    private var death: String?

    init(pluginName: String, child: ChildProcess, host: UnsafePointer<ferry_host_api>, context: OpaquePointer) {
        self.pluginName = pluginName
        self.child = child
        self.host = host
        self.context = context
    }

    /// Calls `slot` in the child: sends the call, answers host calls until the reply, and
    /// decodes the reply's outputs (only when the status is `FERRY_OK`).
    func call(
        _ slot: IsolatedSlot, _ errorOut: UnsafeMutablePointer<ferry_error>?,
        fields: (inout FrameWriter) -> Void = { _ in }, outputs: (inout FrameReader) throws -> Void = { _ in }
    ) -> ferry_status {
        if let death { return fail(errorOut, death) }
        var frame = FrameWriter(.call)
        frame.byte(slot.rawValue)
        fields(&frame)
        do {
            try child.channel.send(frame)
            while true {
                var (kind, reader) = try child.channel.receive()
                switch kind {
                case .reply:
                    return try reader.outcome(into: errorOut, outputs: outputs)
                case .hostCall:
                    try answer(&reader)
                default:
                    throw MalformedFrame(description: "a frame of kind \(kind) where a reply or host call belongs")
                }
            }
        } catch is FrameChannel.Closed {
            death = "plugin '\(pluginName)' (process isolation) \(child.ending()) during \(slot.name)"
        } catch {
            child.reap(waitingUpTo: 0)
            death =
                "plugin '\(pluginName)' (process isolation) sent a malformed message during \(slot.name) (\(error)); it was stopped"
        }
        return fail(errorOut, death!)
    }

    private func fail(_ errorOut: UnsafeMutablePointer<ferry_error>?, _ message: String) -> ferry_status {
        PluginError(status: FERRY_ERR_INTERNAL, message: message).fill(errorOut)
        return FERRY_ERR_INTERNAL
    }

    /// Passes `cancel` on. Any thread.
    func cancel() { child.cancel() }

    /// Closes the instance in the child, which then exits, and reaps it.
    func close() {
        if death == nil { _ = call(.close, nil) }
        death = death ?? "plugin '\(pluginName)' (process isolation): the instance is closed"
        child.reap(waitingUpTo: 5)
    }

    // MARK: Host calls

    /// Answers one host call with the host's own services.
    private func answer(_ request: inout FrameReader) throws {
        guard let service = HostService(rawValue: try request.byte()) else {
            throw MalformedFrame(description: "an unknown host service")
        }
        let api = host.pointee
        var reply = FrameWriter(.hostReply)
        var error = ferry_error.empty
        let context = context
        switch service {
        case .log:
            let level = try request.int32()
            let parts = [try request.data(), try request.data()]
            withBorrowedStrs(parts) { api.log?(context, level, $0[0], $0[1]) }
            return
        case .metric:
            let kind = try request.int32()
            let name = try request.data()
            let value = try request.double()
            let labels = try request.data()
            withBorrowedStrs([name, labels]) { api.metric?(context, kind, $0[0], value, $0[1]) }
            return
        case .isCancelled:
            reply.int32(FERRY_OK)
            reply.int32(api.is_cancelled?(context) ?? 0)
        case .stateGet:
            let key = try request.data()
            answerBuffer(&reply, &error) { out, error in
                withBorrowedStrs([key]) { api.state_get?(context, $0[0], out, error) ?? FERRY_ERR_UNSUPPORTED }
            }
        case .secretGet:
            let name = try request.data()
            answerBuffer(&reply, &error) { out, error in
                withBorrowedStrs([name]) { api.secret_get?(context, $0[0], out, error) ?? FERRY_ERR_UNSUPPORTED }
            }
        case .idMapGet:
            let parts = [try request.data(), try request.data()]
            answerBuffer(&reply, &error) { out, error in
                withBorrowedStrs(parts) { api.id_map_get?(context, $0[0], $0[1], out, error) ?? FERRY_ERR_UNSUPPORTED }
            }
        case .stateSet:
            let parts = [try request.data(), try request.data()]
            let status = withBorrowedStrs(parts) {
                api.state_set?(context, $0[0], $0[1], &error) ?? FERRY_ERR_UNSUPPORTED
            }
            _ = reply.outcome(status, &error)
        case .stateDelete:
            let key = try request.data()
            let status = withBorrowedStrs([key]) { api.state_delete?(context, $0[0], &error) ?? FERRY_ERR_UNSUPPORTED }
            _ = reply.outcome(status, &error)
        case .idMapPut:
            let parts = [try request.data(), try request.data(), try request.data()]
            let status = withBorrowedStrs(parts) {
                api.id_map_put?(context, $0[0], $0[1], $0[2], &error) ?? FERRY_ERR_UNSUPPORTED
            }
            _ = reply.outcome(status, &error)
        case .httpRequest:
            var response = ferry_http_response()
            let status = try HTTPRequestFrame.read(&request) { request in
                withUnsafePointer(to: request) {
                    api.http_request?(context, $0, &response, &error) ?? FERRY_ERR_UNSUPPORTED
                }
            }
            if reply.outcome(status, &error) {
                reply.int32(response.status_code)
                reply.data(response.headers.consumeBytes())
                reply.data(response.body.consumeBytes())
            }
        }
        try child.channel.send(reply)
    }

    /// Answers a host service whose output is one buffer.
    private func answerBuffer(
        _ reply: inout FrameWriter, _ error: inout ferry_error,
        _ call: (UnsafeMutablePointer<ferry_buffer>, UnsafeMutablePointer<ferry_error>) -> ferry_status
    ) {
        var buffer = ferry_buffer()
        if reply.outcome(call(&buffer, &error), &error) { reply.data(buffer.consumeBytes()) }
    }
}
