import FerryURL

/// An HTTP request a connector asks the host to perform with
/// ``HostServices/http(_:)``. The host adds authentication, rate budgets,
/// retries and redaction from the connection's `http:` configuration.
public struct HTTPRequest: Sendable, Equatable {
    /// The method, such as GET or POST.
    public var method: String
    /// An absolute URL, or a path relative to the connection's `http.endpoint`.
    public var url: String
    /// Extra headers, in order.
    public var headers: [(name: String, value: String)]
    /// The body (may be empty).
    public var body: [UInt8]
    /// Seconds this request may take; nil uses the connection's `timeout_seconds`.
    public var timeoutSeconds: Double?
    /// Marks a non-idempotent request (POST, PATCH) as safe to repeat after a failure.
    public var retrySafe: Bool

    /// Creates a request.
    /// - Parameters:
    ///   - method: The method.
    ///   - url: The URL or relative path; use ``path(_:query:)`` to build one with encoded query parameters.
    ///   - headers: Extra headers.
    ///   - body: The body.
    ///   - timeoutSeconds: A per-request timeout.
    ///   - retrySafe: Whether a non-idempotent request may be repeated.
    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        timeoutSeconds: Double? = nil, retrySafe: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
        self.retrySafe = retrySafe
    }

    /// A GET request.
    /// - Parameters:
    ///   - url: The URL or relative path.
    ///   - query: Query parameters, percent-encoded and appended in order.
    public static func get(_ url: String, query: [(String, String)] = []) -> HTTPRequest {
        HTTPRequest(url: path(url, query: query))
    }

    /// `url` with `query` percent-encoded and appended (`?` or `&` as needed).
    /// - Parameters:
    ///   - url: The URL or path.
    ///   - query: Name/value pairs.
    public static func path(_ url: String, query: [(String, String)]) -> String {
        PercentEncoding.url(url, appendingQuery: query.map { (name: $0.0, value: $0.1) })
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    /// - Parameter text: A query name or value.
    public static func encode(_ text: String) -> String {
        PercentEncoding.encode(text)
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value) && lhs.body == rhs.body
            && lhs.timeoutSeconds == rhs.timeoutSeconds && lhs.retrySafe == rhs.retrySafe
    }
}
