import FerryJSON

/// The response the host's HTTP service delivered: any status except the
/// ones it handles itself (429 and 5xx are retried, 401 renews credentials or
/// becomes an auth error).
public struct HTTPResponse: Sendable, Equatable {
    /// The status code.
    public var status: Int
    /// The headers, in order, names as the server sent them.
    public var headers: [(name: String, value: String)]
    /// The decoded body.
    public var body: [UInt8]

    /// Creates a response.
    /// - Parameters:
    ///   - status: The status code.
    ///   - headers: The headers.
    ///   - body: The body.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Parses the ABI's `Name: value\n` header lines.
    /// - Parameters:
    ///   - status: The status code.
    ///   - headerText: The header lines.
    ///   - body: The body.
    public init(status: Int, headerText: String, body: [UInt8]) {
        var headers: [(name: String, value: String)] = []
        for line in headerText.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers.append((String(line[..<colon]), String(value)))
        }
        self.init(status: status, headers: headers, body: body)
    }

    /// The first value of a header, compared case-insensitively.
    public subscript(header name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON.
    /// - Throws: `PluginError.invalid` naming the status when the body is not JSON (truncated or an HTML error page).
    public func json() throws -> JSONValue {
        do { return try JSONParser().parse(body) } catch { throw notJSON(error) }
    }

    /// The body checked as `json()` parses it and split at the list `path` leads to
    /// (`JSONSplitDocument`): the list's elements stay the bytes they came as.
    /// - Throws: `json()`'s error when the body is not JSON.
    /// - Returns: the reason when the path does not lead to a list.
    public func jsonSplit(arrayAt path: [String]) throws -> Result<JSONSplitDocument, JSONSplitDocument.NotFound> {
        do { return try body.withUnsafeBytes { bytes in try JSONSplitDocument.split(bytes, arrayAt: path) } } catch {
            throw notJSON(error)
        }
    }

    private func notJSON(_ error: any Error) -> PluginError {
        PluginError.invalid("the response (HTTP \(status), \(body.count) bytes) is not valid JSON: \(error)")
    }

    public static func == (lhs: HTTPResponse, rhs: HTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value) && lhs.body == rhs.body
    }
}
