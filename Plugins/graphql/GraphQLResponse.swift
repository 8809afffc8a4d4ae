import FerryJSON
import FerryPluginSDK

/// A GraphQL response judged: its `data` when the server reported no error, else
/// a `PluginError` carrying the server's own messages.
///
/// GraphQL servers answer most failures with HTTP 200 and a top-level `errors`
/// list, sometimes beside partial `data` (fields that failed are null). Partial data
/// is never delivered: a record set with holes would look complete downstream. An
/// error whose `extensions.code` is in the connection's retryable list (throttling,
/// an internal error) is retryable; any other is final. HTTP 429, 5xx and 401 never
/// reach here: the host's HTTP service retries or renews credentials first.
struct GraphQLResponse {
    /// One entry of `errors`.
    struct ServerError: Equatable {
        var message: String
        var path: String?
        var code: String?
        /// `extensions.retryAfter` / `retry_after` in seconds, when the server says.
        var retryAfter: Double?

        init(_ value: JSONValue) {
            message = value["message"]?.stringValue ?? JSONWriter().encodeString(value)
            if let parts = value["path"]?.arrayValue, !parts.isEmpty {
                path = parts.map { $0.stringValue ?? $0.intValue.map(String.init) ?? "?" }.joined(separator: ".")
            }
            let extensions = value["extensions"]
            code = extensions?["code"]?.stringValue ?? value["code"]?.stringValue
            retryAfter = (extensions?["retryAfter"] ?? extensions?["retry_after"])?.doubleValue
        }

        /// `message (at path, code CODE)`.
        var summary: String {
            var notes: [String] = []
            if let path { notes.append("at \(path)") }
            if let code { notes.append("code \(code)") }
            return notes.isEmpty ? message : "\(message) (\(notes.joined(separator: ", ")))"
        }
    }

    /// The whole answer (`{"data": …}`): record and `pageInfo` paths start at its top.
    var root: JSONValue

    /// Judges one HTTP answer.
    /// - Parameters:
    ///   - response: What the host's HTTP service returned.
    ///   - stream: The stream name, for messages.
    ///   - retryableCodes: `extensions.code` values that make the failure retryable.
    init(_ response: HTTPResponse, stream: String, retryableCodes: Set<String>) throws {
        let body = try? response.json()
        let errors = (body?["errors"]?.arrayValue ?? []).map(ServerError.init)
        if !errors.isEmpty {
            throw Self.failure(
                errors, status: response.status, partialData: body?["data"].map { !$0.isNull } ?? false,
                stream: stream, retryableCodes: retryableCodes)
        }
        guard response.isSuccess else {
            let snippet = String(response.text.prefix(200))
            throw PluginError.invalid(
                "stream '\(stream)': the GraphQL endpoint answered HTTP \(response.status): \(snippet)")
        }
        guard let body else {
            throw PluginError.invalid(
                "stream '\(stream)': the GraphQL endpoint's answer (HTTP \(response.status), \(response.body.count) bytes) "
                    + "is not JSON: \(String(response.text.prefix(120)))")
        }
        guard let data = body["data"], !data.isNull, data.objectValue != nil else {
            throw PluginError.invalid("stream '\(stream)': the GraphQL answer has neither a data object nor errors")
        }
        root = body
    }

    /// The error for a response with `errors`: the server's messages (the first three, and how many more).
    static func failure(
        _ errors: [ServerError], status: Int, partialData: Bool, stream: String, retryableCodes: Set<String>
    ) -> PluginError {
        var text = errors.prefix(3).map(\.summary).joined(separator: "; ")
        if errors.count > 3 { text += "; and \(errors.count - 3) more" }
        var message = "stream '\(stream)': the GraphQL server answered with errors: \(text)"
        if partialData { message += " (its partial data was not used)" }
        if status != 200 { message += " [HTTP \(status)]" }
        let retryable = errors.contains { $0.code.map(retryableCodes.contains) ?? false }
        guard retryable else { return PluginError.invalid(message) }
        return PluginError.retryable(message, retryAfter: errors.compactMap(\.retryAfter).max())
    }
}
