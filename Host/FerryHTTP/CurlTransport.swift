import CCurl
import FerryCore
import Synchronization

/// The libcurl transport: a small pool of easy handles, each reused so its
/// connection cache keeps connections alive per host (`curl_easy_reset` keeps
/// live connections, DNS and TLS session caches). gzip and deflate are
/// negotiated and decoded by libcurl, proxies come from the standard
/// environment variables (`http_proxy`, `https_proxy`, `no_proxy`), and TLS is
/// verified unless a request says otherwise.
public final class CurlTransport: HTTPTransport, Sendable {
    private let idle = Mutex<[UInt]>([])
    private let maxIdleHandles: Int
    /// Polled while a request is under way (a few times a second, by libcurl's progress
    /// callback): true aborts it, so SIGTERM does not wait out a slow or hung response.
    private let isCancelled: @Sendable () -> Bool

    private static let globalInit: Bool = curl_global_init(3) == CURLE_OK // CURL_GLOBAL_ALL

    /// Creates a transport.
    /// - Parameters:
    ///   - maxIdleHandles: Easy handles kept for reuse between requests.
    ///   - isCancelled: Aborts a request under way when it turns true.
    public init(maxIdleHandles: Int = 4, isCancelled: @escaping @Sendable () -> Bool = { false }) {
        _ = Self.globalInit
        self.maxIdleHandles = maxIdleHandles
        self.isCancelled = isCancelled
    }

    deinit {
        for handle in idle.withLock({ $0 }) { curl_easy_cleanup(UnsafeMutableRawPointer(bitPattern: handle)) }
    }

    /// Performs one request with libcurl.
    /// - Parameter request: What to send.
    public func perform(_ request: HTTPTransportRequest) throws(HTTPTransportError) -> HTTPTransportResponse {
        guard let handle = checkOut() else { throw HTTPTransportError(.other("libcurl could not create a handle")) }
        defer { checkIn(handle) }
        let collector = ResponseCollector(limit: request.maxResponseBytes, isCancelled: isCancelled)
        let context = Unmanaged.passUnretained(collector).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        for field in request.headers { headerList = curl_slist_append(headerList, "\(field.name): \(field.value)") }
        headerList = curl_slist_append(headerList, "Expect:") // no 100-continue round trip
        defer { curl_slist_free_all(headerList) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = request.body.withUnsafeBytes { body in
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                ferry_curl_setopt_string(handle, CURLOPT_URL, request.url)
                ferry_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                ferry_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                ferry_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeoutSeconds * 1000))
                ferry_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeoutSeconds * 1000))
                ferry_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
                ferry_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1)
                ferry_curl_setopt_long(handle, CURLOPT_MAXREDIRS, 5)
                ferry_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
                ferry_curl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxResponseBytes))
                if !request.verifyTLS {
                    ferry_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
                    ferry_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
                }
                switch request.method {
                case "GET": ferry_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                case "HEAD": ferry_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
                default:
                    if request.method != "POST" {
                        ferry_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
                    }
                    ferry_curl_setopt_long(handle, CURLOPT_POST, 1)
                    ferry_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                    // libcurl reads the body during perform, while `body` is still borrowed.
                    ferry_curl_setopt_pointer(
                        handle, CURLOPT_POSTFIELDS,
                        UnsafeMutableRawPointer(mutating: body.baseAddress ?? UnsafeRawPointer(errors.baseAddress!)))
                }
                ferry_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
                ferry_curl_setopt_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                    let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
                    return collector.appendBody(UnsafeRawBufferPointer(start: data, count: size * count))
                        ? size * count : 0
                }
                ferry_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
                ferry_curl_setopt_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                    let collector = Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue()
                    collector.appendHeader(UnsafeRawBufferPointer(start: data, count: size * count))
                    return size * count
                }
                ferry_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
                ferry_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
                ferry_curl_setopt_progress(handle) { context, _, _, _, _ in
                    Unmanaged<ResponseCollector>.fromOpaque(context!).takeUnretainedValue().isCancelled() ? 1 : 0
                }
                ferry_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
                return curl_easy_perform(handle)
            }
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message =
                "\(request.method) \(Self.withoutQuery(request.url)): "
                + (detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
            throw HTTPTransportError(
                Self.classify(code, message: message, overflowed: collector.overflowed, limit: request.maxResponseBytes)
            )
        }
        var status = 0
        ferry_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPTransportResponse(
            status: status, headers: HTTPHeaders(parsing: collector.headerText), body: collector.body)
    }

    static func classify(_ code: CURLcode, message: String, overflowed: Bool, limit: Int)
        -> HTTPRetryStateMachine.TransportFailure
    {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connect(message)
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout(message)
        case CURLE_FILESIZE_EXCEEDED:
            return .tooLarge("\(message) (the response exceeds max_response_bytes, \(limit) bytes)")
        case CURLE_WRITE_ERROR where overflowed:
            return .tooLarge("\(message) (the response exceeds max_response_bytes, \(limit) bytes)")
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_BAD_CONTENT_ENCODING:
            return .truncated("\(message) (the response body was cut short)")
        default:
            return .other(message)
        }
    }

    /// The URL without its query, which may carry an API key, for messages.
    static func withoutQuery(_ url: String) -> String {
        url.firstIndex(of: "?").map { String(url[..<$0]) + "?…" } ?? url
    }

    private func checkOut() -> UnsafeMutableRawPointer? {
        if let handle = idle.withLock({ $0.popLast() }), let pointer = UnsafeMutableRawPointer(bitPattern: handle) {
            curl_easy_reset(pointer) // clears options, keeps live connections and caches
            return pointer
        }
        return curl_easy_init()
    }

    private func checkIn(_ handle: UnsafeMutableRawPointer) {
        let kept = idle.withLock { handles -> Bool in
            guard handles.count < maxIdleHandles else { return false }
            handles.append(UInt(bitPattern: handle))
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }
}

/// Collects one response's header block and body, enforcing the size cap.
final class ResponseCollector {
    let limit: Int
    var body: [UInt8] = []
    private var headerBytes: [UInt8] = []
    private(set) var overflowed = false
    let isCancelled: @Sendable () -> Bool

    init(limit: Int, isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.limit = limit
        self.isCancelled = isCancelled
    }

    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= limit else {
            overflowed = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    func appendHeader(_ bytes: UnsafeRawBufferPointer) {
        // A new status line starts a new response (redirects, 100 Continue): keep only the last block.
        if bytes.starts(with: Array("HTTP/".utf8)) { headerBytes.removeAll(keepingCapacity: true) }
        headerBytes.append(contentsOf: bytes)
    }

    var headerText: String { String(decoding: headerBytes, as: UTF8.self) }
}
