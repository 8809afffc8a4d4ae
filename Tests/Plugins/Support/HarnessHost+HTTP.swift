import CFerryPlugin
import FerryPluginSDK

extension HarnessHost {
    /// The harness's `http_request` slot: converts the ABI request, runs
    /// ``http`` and fills the ABI response (buffers released by the plugin).
    /// - Parameters:
    ///   - request: The borrowed request.
    ///   - out: The response to fill.
    ///   - error: The error to fill on failure.
    func perform(
        _ request: UnsafePointer<ferry_http_request>?, into out: UnsafeMutablePointer<ferry_http_response>?,
        error: UnsafeMutablePointer<ferry_error>?
    ) -> ferry_status {
        guard let request, let out else {
            PluginError.invalid("http_request needs a request and a response").fill(error)
            return FERRY_ERR_INVALID
        }
        guard let handler = http else {
            PluginError.unsupported("this test host has no HTTP service; set PluginInstance.host.http").fill(error)
            return FERRY_ERR_UNSUPPORTED
        }
        let c = request.pointee
        var headers: [(name: String, value: String)] = []
        for index in 0..<c.header_count {
            headers.append((c.headers[index].name.string, c.headers[index].value.string))
        }
        let swiftRequest = HTTPRequest(
            method: c.method.string, url: c.url.string, headers: headers, body: Array(c.body.rawBytes),
            timeoutSeconds: c.timeout_ms > 0 ? Double(c.timeout_ms) / 1000 : nil,
            retrySafe: c.flags & UInt32(FERRY_HTTP_RETRY_SAFE) != 0)
        do {
            let response = try handler(swiftRequest)
            out.pointee.status_code = Int32(response.status)
            out.pointee.headers = .owning(response.headers.map { "\($0.name): \($0.value)\n" }.joined())
            out.pointee.body = .owning(response.body)
            return FERRY_OK
        } catch let failure as PluginError {
            failure.fill(error)
            return failure.status
        } catch let failure {
            PluginError.retryable("\(failure)").fill(error)
            return FERRY_ERR_RETRYABLE
        }
    }
}
