import CFerryPlugin

extension HostServices {
    /// Performs an HTTP request through the host's HTTP service, which adds the
    /// connection's authentication, rate budget, retries and redaction.
    /// - Parameter request: What to request.
    /// - Returns: The response (any status the host does not handle itself).
    /// - Throws: `PluginError` with the host's status: `rateLimited` (with `retryAfter`), `retryable`, `auth`,
    ///   `invalid` or `cancelled`. Return it from your callback as it is.
    public func http(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let send = table.pointee.http_request else { throw PluginError.unsupported("host has no http_request") }
        var response = ferry_http_response()
        response.struct_size = UInt32(MemoryLayout<ferry_http_response>.size)
        var error = ferry_error.empty
        let status: ferry_status = withBorrowedString(request.method) { method in
            withBorrowedString(request.url) { url in
                request.body.withUnsafeBytes { body in
                    withBorrowedHeaders(request.headers) { headers, count in
                        var c = ferry_http_request()
                        c.struct_size = UInt32(MemoryLayout<ferry_http_request>.size)
                        c.flags = request.retrySafe ? UInt32(FERRY_HTTP_RETRY_SAFE) : 0
                        c.method = method
                        c.url = url
                        c.headers = headers
                        c.header_count = count
                        c.body = ferry_str(ptr: body.baseAddress?.assumingMemoryBound(to: CChar.self), len: body.count)
                        c.timeout_ms = request.timeoutSeconds.map { Int64($0 * 1000) } ?? 0
                        return send(context, &c, &response, &error)
                    }
                }
            }
        }
        guard status == FERRY_OK else {
            response.headers.release?(&response.headers)
            response.body.release?(&response.body)
            throw PluginError(consuming: &error, status: status)
        }
        return HTTPResponse(
            status: Int(response.status_code), headerText: response.headers.consumeString(),
            body: response.body.consumeBytes())
    }
}

/// Calls `body` with a borrowed C array of headers, valid only during the call.
private func withBorrowedHeaders<R>(
    _ headers: [(name: String, value: String)],
    _ body: (UnsafePointer<ferry_http_header>?, Int) -> R
) -> R {
    // Keep every string's bytes alive in one buffer while the C array points into it.
    var storage: [UInt8] = []
    var ranges: [(Range<Int>, Range<Int>)] = []
    for header in headers {
        let nameStart = storage.count
        storage.append(contentsOf: header.name.utf8)
        let valueStart = storage.count
        storage.append(contentsOf: header.value.utf8)
        ranges.append((nameStart..<valueStart, valueStart..<storage.count))
    }
    return storage.withUnsafeBufferPointer { bytes in
        let base = UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self)
        let fields = ranges.map { name, value in
            ferry_http_header(
                name: ferry_str(ptr: base.map { $0 + name.lowerBound }, len: name.count),
                value: ferry_str(ptr: base.map { $0 + value.lowerBound }, len: value.count))
        }
        return fields.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
    }
}
