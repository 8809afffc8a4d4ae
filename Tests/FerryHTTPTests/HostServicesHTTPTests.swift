import CFerryPlugin
import FerryCore
import FerryHTTP
import FerryPluginSDK
import FerryTesting
import Logging
import Testing

@testable import FerryEngine

/// `http_request` through the real host table, called the way a connector calls it: via the SDK.
@Suite struct HostServicesHTTPTests {
    func host(_ service: HTTPService, store: any StateStore) -> (HostServices, PluginContext) {
        let context = PluginContext(
            pluginName: "rest", connectionName: "api", site: "", logger: Logger(label: "test"),
            store: store, secrets: [:], cancellation: Cancellation(), http: service)
        let services = HostServices(
            table: HostServicesTable.pointer, context: OpaquePointer(Unmanaged.passUnretained(context).toOpaque()))
        return (services, context)
    }

    @Test func aConnectorSeesStatusHeadersAndBody() throws {
        let server = try LoopbackServer { request in
            .json(
                #"{"got":"\#(request.method) \#(request.target) \#(request.header("X-Trace") ?? "") \#(request.text)"}"#,
                status: 201, headers: [("Link", "<\(request.path)?page=2>; rel=\"next\"")])
        }
        var factory = ServiceFactory()
        let (services, context) = host(factory.make(server), store: factory.store)
        let response = try withExtendedLifetime(context) {
            try services.http(
                HTTPRequest(
                    method: "POST", url: HTTPRequest.path("items", query: [("q", "a b&c")]),
                    headers: [("X-Trace", "t1")], body: Array("hello".utf8), retrySafe: true))
        }
        #expect(response.status == 201)
        #expect(response[header: "link"] == "</v2/items?page=2>; rel=\"next\"")
        #expect(try response.json()["got"]?.stringValue == "POST /v2/items?q=a%20b%26c t1 hello")
    }

    @Test func failuresArriveAsTypedStatuses() throws {
        let server = try LoopbackServer { request in
            request.path.hasSuffix("limited")
                ? .response(status: 429, headers: [("Retry-After", "3600")])
                : .response(status: 401)
        }
        var factory = ServiceFactory()
        let (services, context) = host(
            factory.make(server) {
                $0.auth = .bearer(token: "tok-12345"); $0.maxRetryWaitSeconds = 10
            },
            store: factory.store)
        try withExtendedLifetime(context) {
            let limited = try #require(throws: PluginError.self) { try services.http(.get("limited")) }
            #expect(limited.status == FERRY_ERR_RATE_LIMITED)
            #expect(limited.retryAfter == 3600)
            let denied = try #require(throws: PluginError.self) { try services.http(.get("denied")) }
            #expect(denied.status == FERRY_ERR_AUTH)
            #expect(denied.message.contains("check http.auth of connection 'api'"))
        }
    }
}
