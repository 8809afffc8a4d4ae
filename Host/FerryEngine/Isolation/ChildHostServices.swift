import CFerryPlugin
import FerryPluginSDK

/// The `ferry_host_api` a plugin sees in a plugin-host child: every slot forwards its
/// call to the host over the channel (`ChildLink`), so the state store, the ID map,
/// secrets, rate budgets and OAuth tokens stay in the host. The `ferry_host_ctx`
/// is the unretained `ChildLink`.
enum ChildHostServices {
    // Safe to share: initialised once, thread-safely, and never written after.
    nonisolated(unsafe) static let pointer = HostServicesTable.pinned(make())

    private static func make() -> ferry_host_api {
        var api = HostServicesTable.empty()
        api.log = { ctx, level, message, fields in
            var frame = FrameWriter(.hostCall)
            frame.byte(HostService.log.rawValue)
            frame.int32(level)
            frame.data(message)
            frame.data(fields)
            link(ctx).tell(frame)
        }
        api.metric = { ctx, kind, name, value, labels in
            var frame = FrameWriter(.hostCall)
            frame.byte(HostService.metric.rawValue)
            frame.int32(kind)
            frame.data(name)
            frame.double(value)
            frame.data(labels)
            link(ctx).tell(frame)
        }
        api.state_get = { ctx, key, out, error in
            link(ctx).service(.stateGet, error, { $0.data(key) }, outputs: { out?.pointee = .owning(try $0.data()) })
        }
        api.state_set = { ctx, key, value, error in
            link(ctx).service(.stateSet, error) {
                $0.data(key)
                $0.data(value)
            }
        }
        api.state_delete = { ctx, key, error in link(ctx).service(.stateDelete, error) { $0.data(key) } }
        api.id_map_get = { ctx, scope, sourceID, out, error in
            link(ctx).service(
                .idMapGet, error,
                {
                    $0.data(scope)
                    $0.data(sourceID)
                }, outputs: { out?.pointee = .owning(try $0.data()) })
        }
        api.id_map_put = { ctx, scope, sourceID, destinationID, error in
            link(ctx).service(.idMapPut, error) {
                $0.data(scope)
                $0.data(sourceID)
                $0.data(destinationID)
            }
        }
        api.secret_get = { ctx, name, out, error in
            link(ctx).service(.secretGet, error, { $0.data(name) }, outputs: { out?.pointee = .owning(try $0.data()) })
        }
        api.is_cancelled = { ctx in
            var cancelled: Int32 = 0
            _ = link(ctx).service(.isCancelled, nil, { _ in }, outputs: { cancelled = try $0.int32() })
            return cancelled
        }
        api.http_request = { ctx, request, out, error in
            guard let request, let out, request.pointee.struct_size > 0 else {
                PluginError.invalid("http_request needs a request and a response struct").fill(error)
                return FERRY_ERR_INVALID
            }
            return link(ctx).service(
                .httpRequest, error, { HTTPRequestFrame.write(request.pointee, to: &$0) },
                outputs: { reader in
                    out.pointee.struct_size = UInt32(MemoryLayout<ferry_http_response>.size)
                    out.pointee.status_code = try reader.int32()
                    out.pointee.headers = .owning(try reader.data())
                    out.pointee.body = .owning(try reader.data())
                })
        }
        return api
    }

}

/// The `ChildLink` a host service's `ferry_host_ctx` stands for (a free function: a C
/// function pointer cannot capture the enum's context).
private func link(_ ctx: OpaquePointer?) -> ChildLink {
    Unmanaged<ChildLink>.fromOpaque(UnsafeRawPointer(ctx!)).takeUnretainedValue()
}

/// A `ferry_http_request` on the wire, and back as a borrowed C request on the host's side.
enum HTTPRequestFrame {
    static func write(_ request: ferry_http_request, to frame: inout FrameWriter) {
        frame.uint32(request.flags)
        frame.data(request.method)
        frame.data(request.url)
        frame.uint64(UInt64(request.headers == nil ? 0 : request.header_count))
        if let headers = request.headers {
            for index in 0..<request.header_count {
                frame.data(headers[index].name)
                frame.data(headers[index].value)
            }
        }
        frame.data(request.body)
        frame.int64(request.timeout_ms)
    }

    /// Decodes a request and calls `body` with it, borrowed for the call.
    static func read<Result>(_ reader: inout FrameReader, _ body: (ferry_http_request) -> Result) throws -> Result {
        let flags = try reader.uint32()
        var parts = [try reader.data(), try reader.data()]
        let headerCount = try reader.uint64()
        guard headerCount <= 100_000 else { throw MalformedFrame(description: "\(headerCount) headers") }
        for _ in 0..<headerCount { parts += [try reader.data(), try reader.data()] }
        parts.append(try reader.data())
        let timeout = try reader.int64()
        return withBorrowedStrs(parts) { views in
            let headers = stride(from: 2, to: 2 + 2 * Int(headerCount), by: 2).map {
                ferry_http_header(name: views[$0], value: views[$0 + 1])
            }
            return headers.withUnsafeBufferPointer { headerBuffer in
                var request = ferry_http_request()
                request.struct_size = UInt32(MemoryLayout<ferry_http_request>.size)
                request.flags = flags
                request.method = views[0]
                request.url = views[1]
                request.headers = headerBuffer.baseAddress
                request.header_count = headers.count
                request.body = views[views.count - 1]
                request.timeout_ms = timeout
                return body(request)
            }
        }
    }
}
