import CFerryPlugin
import FerryCore
import FerryHTTP
import FerryPluginSDK

/// Translates between the ABI's `ferry_http_request` and the host's
/// ``HTTPService``, and maps ``HTTPError`` kinds to ABI statuses.
public enum HTTPBridge {
    /// Copies a borrowed C request, sends it, and maps failures to `PluginError`s.
    public static func send(_ request: ferry_http_request, through http: HTTPService) throws -> HTTPTransportResponse {
        var headers = HTTPHeaders()
        if let fields = request.headers {
            for index in 0..<request.header_count { headers.add(fields[index].name.string, fields[index].value.string) }
        }
        let method = request.method.len > 0 ? request.method.string : "GET"
        let converted = HTTPService.Request(
            method: method, url: request.url.string, headers: headers, body: Array(request.body.rawBytes),
            timeoutSeconds: request.timeout_ms > 0 ? Double(request.timeout_ms) / 1000 : nil,
            retrySafe: request.flags & UInt32(FERRY_HTTP_RETRY_SAFE) != 0)
        do {
            return try http.send(converted)
        } catch {
            throw PluginError(status: status(of: error.kind), message: error.message, retryAfter: error.retryAfter)
        }
    }

    /// The ABI status for an HTTP failure.
    /// Hands a response to the plugin, the buffers owned by it (released through their callbacks).
    public static func fill(_ out: UnsafeMutablePointer<ferry_http_response>, with response: HTTPTransportResponse) {
        out.pointee.struct_size = UInt32(MemoryLayout<ferry_http_response>.size)
        out.pointee.status_code = Int32(response.status)
        out.pointee.headers = .owning(response.headers.text)
        out.pointee.body = .owning(response.body)
    }

    static func status(of kind: HTTPError.Kind) -> ferry_status {
        switch kind {
        case .rateLimited: return FERRY_ERR_RATE_LIMITED
        case .auth: return FERRY_ERR_AUTH
        case .cancelled: return FERRY_ERR_CANCELLED
        case .invalid: return FERRY_ERR_INVALID
        default: return FERRY_ERR_RETRYABLE
        }
    }
}
