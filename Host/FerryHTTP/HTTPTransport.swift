import FerryCore

/// Sends one HTTP request and returns the complete response, with no retries,
/// authentication or budgets: those belong to ``HTTPService``. The libcurl
/// implementation is ``CurlTransport``; tests may script their own.
public protocol HTTPTransport: Sendable {
    /// Performs one request.
    /// - Parameter request: What to send.
    /// - Returns: The response, whatever its status.
    /// - Throws: ``HTTPTransportError`` when no complete response arrived.
    func perform(_ request: HTTPTransportRequest) throws(HTTPTransportError) -> HTTPTransportResponse
}

/// One request as the transport sends it: absolute URL, final headers.
public struct HTTPTransportRequest: Sendable, Equatable {
    /// The method, upper case.
    public var method: String
    /// The absolute URL.
    public var url: String
    /// The headers to send.
    public var headers: HTTPHeaders
    /// The body (may be empty).
    public var body: [UInt8]
    /// Seconds the whole exchange may take.
    public var timeoutSeconds: Double
    /// Seconds to establish the connection.
    public var connectTimeoutSeconds: Double
    /// The largest body accepted.
    public var maxResponseBytes: Int
    /// Whether TLS certificates and host names are verified.
    public var verifyTLS: Bool

    /// Creates a request.
    /// - Parameters:
    ///   - method: The method.
    ///   - url: The absolute URL.
    ///   - headers: The headers.
    ///   - body: The body.
    ///   - timeoutSeconds: The total timeout.
    ///   - connectTimeoutSeconds: The connect timeout.
    ///   - maxResponseBytes: The response size cap.
    ///   - verifyTLS: Whether to verify TLS.
    public init(
        method: String, url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        timeoutSeconds: Double = 60, connectTimeoutSeconds: Double = 10, maxResponseBytes: Int = 64 << 20,
        verifyTLS: Bool = true
    ) {
        self.method = method.uppercased()
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.maxResponseBytes = maxResponseBytes
        self.verifyTLS = verifyTLS
    }
}

/// A complete response.
public struct HTTPTransportResponse: Sendable, Equatable {
    /// The status code.
    public var status: Int
    /// The headers of the final response (after redirects).
    public var headers: HTTPHeaders
    /// The decoded body (gzip and deflate already undone).
    public var body: [UInt8]

    /// Creates a response.
    /// - Parameters:
    ///   - status: The status code.
    ///   - headers: The headers.
    ///   - body: The body.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// No complete response arrived; ``failure`` says how, for the retry rules.
public struct HTTPTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, with a one-line message.
    public var failure: HTTPRetryStateMachine.TransportFailure

    /// Creates an error.
    /// - Parameter failure: The failure.
    public init(_ failure: HTTPRetryStateMachine.TransportFailure) {
        self.failure = failure
    }

    /// The failure's message.
    public var description: String {
        switch failure {
        case .connect(let message), .timeout(let message), .truncated(let message), .tooLarge(let message),
            .other(let message):
            return message
        }
    }
}
