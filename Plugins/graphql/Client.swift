import FerryJSON
import FerryPluginSDK

/// Posts GraphQL documents through the host's HTTP service, which adds the
/// connection's authentication (bearer, API key header, OAuth2 with refresh on
/// 401), rate budget and retries of 429 and 5xx.
struct GraphQLClient {
    let host: HostServices
    /// The path under `http.endpoint`; empty: the endpoint itself.
    let path: String
    let retryableCodes: Set<String>

    /// Runs `query` and returns the whole answer (`{"data": …}`).
    /// - Parameters:
    ///   - query: The GraphQL document.
    ///   - variables: Its variables.
    ///   - stream: The stream name, for messages.
    /// - Throws: `PluginError` with the server's messages for `errors`, retryable for the configured codes.
    func query(_ query: String, variables: JSONObject, stream: String) throws -> JSONValue {
        var body: JSONObject = ["query": .string(query)]
        if !variables.isEmpty { body["variables"] = .object(variables) }
        // A query changes nothing on the server: the host may repeat the POST like a GET.
        let request = HTTPRequest(
            method: "POST", url: path,
            headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
            body: JSONWriter().encode(.object(body)), retrySafe: true)
        let response = try host.http(request)
        return try GraphQLResponse(response, stream: stream, retryableCodes: retryableCodes).root
    }
}
