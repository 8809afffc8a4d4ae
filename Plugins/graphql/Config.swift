import FerryJSON
import FerryPluginSDK

/// The `graphql` connector's configuration: the streams to read from the
/// connection's GraphQL endpoint. The endpoint, authentication (bearer token,
/// API key header, OAuth2 refresh), budgets and HTTP retries are the host's
/// (`http:` in the connection), so none of them appear here.
struct GraphQLConfig {
    static let keys = ["streams", "path", "queries_dir", "retryable_error_codes"]
    /// `extensions.code` values that mean "try again later" in the APIs we know (Gazelle's
    /// throttling, Apollo Server's defaults, Shopify's `THROTTLED`).
    static let defaultRetryableCodes = [
        "THROTTLED", "RATE_LIMITED", "TOO_MANY_REQUESTS", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT",
    ]

    var streams: [GraphQLStream]
    /// Path under `http.endpoint` the queries are posted to; empty: the endpoint itself.
    var path: String
    /// Error codes (`errors[].extensions.code`) that make a read retryable.
    var retryableCodes: Set<String>

    init(_ object: JSONObject) throws {
        for key in object.keys where !Self.keys.contains(key) {
            throw PluginError.invalid(
                "config: unknown key '\(key)'; the graphql connector takes \(Self.keys.joined(separator: ", ")) "
                    + "(endpoint and auth go in the connection's http:)")
        }
        func text(_ key: String) throws -> String? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let string = value.stringValue else { throw PluginError.invalid("config.\(key) must be a string") }
            return string
        }
        path = try text("path") ?? ""
        let queriesFolder = try text("queries_dir")
        if let codes = object["retryable_error_codes"], !codes.isNull {
            guard let list = codes.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw PluginError.invalid("config.retryable_error_codes must be a list of strings")
            }
            retryableCodes = Set(list.compactMap(\.stringValue))
        } else {
            retryableCodes = Set(Self.defaultRetryableCodes)
        }
        guard let list = object["streams"]?.arrayValue, !list.isEmpty else {
            throw PluginError.invalid("config.streams must list at least one stream (name, query, records_path)")
        }
        streams = try list.enumerated().map { index, item in
            guard let entry = item.objectValue else {
                throw PluginError.invalid("config.streams[\(index)] must be an object")
            }
            return try GraphQLStream(entry, at: "config.streams[\(index)]", queriesFolder: queriesFolder)
        }
        var names = Set<String>()
        for stream in streams where !names.insert(stream.name).inserted {
            throw PluginError.invalid("config.streams: the name '\(stream.name)' is used twice")
        }
    }
}
