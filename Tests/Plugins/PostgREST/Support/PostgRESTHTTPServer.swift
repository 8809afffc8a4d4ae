import FerryPluginSDK
import FerryTesting

/// Puts a ``PostgRESTSimulator`` on the shared loopback server so the `ferry`
/// executable reaches it through the host's libcurl service, under Supabase's
/// `/rest/v1` prefix.
enum PostgRESTHTTPServer {
    /// Starts serving `simulator`; the returned server's `url` plus `prefix` is the endpoint.
    static func start(_ simulator: PostgRESTSimulator, prefix: String = "/rest/v1") throws -> (
        server: LoopbackServer, url: String
    ) {
        let server = try LoopbackServer { request in
            var target = request.target
            if target.hasPrefix(prefix) { target.removeFirst(prefix.count) }
            let response = simulator.serve(
                HTTPRequest(method: request.method, url: target, headers: request.headers, body: request.body))
            return .response(
                status: response.status, headers: response.headers.map { ($0.name, $0.value) }, body: response.body)
        }
        return (server, server.url + prefix)
    }
}
