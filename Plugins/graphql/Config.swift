import FerryJSON
import FerryPluginSDK

/// The `graphql` connector's configuration: the streams to read from the
/// connection's GraphQL endpoint. The endpoint, authentication (bearer token,
/// API key header, OAuth2 refresh), budgets and HTTP retries are the host's
/// (`http:` in the connection), so none of them appear here.
struct GraphQLConfig {
    /// `extensions.code` values that mean "try again later" in the APIs we know (Gazelle's
    /// throttling, Apollo Server's defaults, Shopify's `THROTTLED`).
    static let defaultRetryableCodes = [
        "THROTTLED", "RATE_LIMITED", "TOO_MANY_REQUESTS", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT",
    ]

    /// The keys, declared once: the spec's schema, the parsing below and the reference derive from them.
    static let keys = ConfigTable(
        [
            ConfigKey(
                "streams", .array(of: .object(GraphQLStream.keys)), required: true,
                "The streams to read; see Plugins/graphql/README.md."),
            ConfigKey(
                "path", .string, default: "",
                "Path under http.endpoint the queries are posted to (empty: the endpoint itself)."),
            ConfigKey(
                "queries_dir", .string, example: "queries",
                "Folder that relative query_file paths are read from (relative to the config file)."),
            ConfigKey(
                "retryable_error_codes", .array(of: .string),
                default: .array(defaultRetryableCodes.map(JSONValue.string)),
                "errors[].extensions.code values that make a failed query retryable."),
        ],
        unknownKeyAdvice: "(endpoint and auth go in the connection's http:)")

    var streams: [GraphQLStream]
    /// Path under `http.endpoint` the queries are posted to; empty: the endpoint itself.
    var path: String
    /// Error codes (`errors[].extensions.code`) that make a read retryable.
    var retryableCodes: Set<String>

    init(_ object: JSONObject) throws {
        let config = try Self.keys.parse(object)
        path = try config.string("path")
        let queriesFolder = try config.optionalString("queries_dir")
        retryableCodes = Set(try config.optionalStrings("retryable_error_codes") ?? [])
        let list = try config.optionalTables("streams") ?? []
        guard !list.isEmpty else {
            throw PluginError.invalid("config.streams must list at least one stream (name, query, records_path)")
        }
        streams = try list.map { try GraphQLStream($0, queriesFolder: queriesFolder) }
        var names = Set<String>()
        for stream in streams where !names.insert(stream.name).inserted {
            throw PluginError.invalid("config.streams: the name '\(stream.name)' is used twice")
        }
    }
}
