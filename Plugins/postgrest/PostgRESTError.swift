import FerryJSON
import FerryPluginSDK

/// An error PostgREST answered with: the HTTP status and its JSON body
/// (`code`, `message`, `details`, `hint`), classified for the connector.
struct PostgRESTError: Error, CustomStringConvertible {
    /// The HTTP status.
    var status: Int
    /// A PostgreSQL SQLSTATE (`23505`) or a PostgREST code (`PGRST204`); nil when the body had none.
    var code: String?
    /// The server's message.
    var message: String
    /// The server's details (`Key (id)=(1) already exists.`).
    var details: String?
    /// The server's hint.
    var hint: String?

    /// Decodes a failed response; a body that is not PostgREST's error JSON keeps its first 200 characters.
    /// - Parameter response: A response with a non-2xx status.
    init(_ response: HTTPResponse) {
        status = response.status
        let json = try? response.json()
        code = json?["code"]?.stringValue
        message =
            json?["message"]?.stringValue ?? (response.body.isEmpty ? "no message" : String(response.text.prefix(200)))
        details = json?["details"]?.stringValue
        hint = json?["hint"]?.stringValue
    }

    /// Whether one record can cause this error, so splitting the batch isolates it: a data
    /// exception (SQLSTATE class 22), an integrity violation (class 23), a row affected twice
    /// by one upsert (21000) or an exception raised by a trigger (P0001).
    var isRecordLevel: Bool {
        guard (400..<500).contains(status), ![401, 403, 404, 406, 416].contains(status), let code else { return false }
        return code.hasPrefix("22") || code.hasPrefix("23") || code == "21000" || code == "P0001"
    }

    /// What the code means, in a few words, when the code is a common one.
    var meaning: String? {
        switch code {
        case "23505": return "duplicate key"
        case "23503": return "foreign key violation: the referenced row does not exist"
        case "23502": return "a required column is null"
        case "23514": return "check constraint violated"
        case "22P02", "22007", "22008": return "a value has the wrong type or format"
        case "22001": return "a value is too long for its column"
        case "21000": return "the same conflict key appears twice in one request"
        case "PGRST102": return "the request body is invalid (bulk objects must share keys)"
        case "PGRST204": return "a field has no column in the table: add the column or drop the field with a transform"
        case "PGRST205", "42P01":
            return
                "the table is not exposed by PostgREST (check config.schema, the table name and reload the schema cache)"
        case "PGRST106": return "the schema is not exposed (config.schema must be one of PostgREST's db-schemas)"
        case "42501": return "permission denied: the key's role may not write this table"
        case "42703": return "unknown column"
        default: return nil
        }
    }

    /// One line for a person: `23505 duplicate key: <message> (<details>; hint: <hint>)`.
    var description: String {
        var text = code.map { "\($0) " } ?? "HTTP \(status) "
        if let meaning { text += meaning + ": " }
        text += message
        let extra = [details, hint.map { "hint: \($0)" }].compactMap { $0 }.filter { !$0.isEmpty }
        if !extra.isEmpty { text += " (" + extra.joined(separator: "; ") + ")" }
        return text
    }

    /// The status the host should see when the whole batch fails with this error.
    /// - Parameters:
    ///   - table: The table written, for the message.
    ///   - retryAfter: The server's `Retry-After`, in seconds.
    func pluginError(table: String, retryAfter: Double? = nil) -> PluginError {
        let context = "PostgREST refused the request for table '\(table)' (HTTP \(status)): \(description)"
        switch status {
        case 401, 403:
            return .auth(
                context + ". Supply the project's key in the connection's http: "
                    + "headers: { apikey: \"${SUPABASE_KEY}\" } and auth: { type: bearer, token: \"${SUPABASE_KEY}\" } "
                    + "(Supabase: the service-role key to bypass row-level security)")
        case 429: return .rateLimited(context, retryAfter: retryAfter)
        case 500...: return .retryable(context, retryAfter: retryAfter)
        default: return .invalid(context)
        }
    }
}
