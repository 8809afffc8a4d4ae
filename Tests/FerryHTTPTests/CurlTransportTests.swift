import FerryCore
import FerryHTTP
import FerryTesting
import Testing

@Suite struct CurlTransportTests {
    @Test func sendsMethodHeadersAndBodyAndReusesTheConnection() throws {
        let server = try LoopbackServer { request in
            .json(
                #"{"method":"\#(request.method)","body":"\#(request.text)"}"#,
                headers: [("X-Echo", request.header("X-Test") ?? "")])
        }
        let transport = CurlTransport()
        var request = HTTPTransportRequest(method: "GET", url: server.url + "/a?x=1")
        request.headers.add("X-Test", "one")
        let first = try transport.perform(request)
        #expect(first.status == 200)
        #expect(first.headers["x-echo"] == "one")
        #expect(first.text == #"{"method":"GET","body":""}"#)
        let patch = try transport.perform(
            HTTPTransportRequest(method: "PATCH", url: server.url + "/b", body: Array("hi".utf8)))
        #expect(patch.text == #"{"method":"PATCH","body":"hi"}"#)
        #expect(server.connectionCount == 1)
        #expect(server.requests[0].target == "/a?x=1")
        #expect(server.requests[0].header("Accept-Encoding")?.contains("gzip") == true)
    }

    @Test func classifiesTimeoutsTruncationOversizeAndRefusal() throws {
        let server = try LoopbackServer { request in
            switch request.path {
            case "/slow": return .delayed(seconds: 1.5, .json("{}"))
            case "/cut": return .truncated(status: 200, body: Array(#"{"data":[1,2"#.utf8), declaredLength: 500)
            default: return .json(String(repeating: "x", count: 5000))
            }
        }
        let transport = CurlTransport()
        func failure(_ path: String, timeout: Double = 5, limit: Int = 1 << 20) -> HTTPRetryStateMachine
            .TransportFailure?
        {
            do {
                _ = try transport.perform(
                    HTTPTransportRequest(
                        method: "GET", url: server.url + path, timeoutSeconds: timeout,
                        maxResponseBytes: limit))
                return nil
            } catch { return error.failure }
        }
        guard case .timeout? = failure("/slow", timeout: 0.3) else { Issue.record("expected a timeout"); return }
        guard case .truncated(let message)? = failure("/cut") else { Issue.record("expected truncation"); return }
        #expect(message.contains("cut short"))
        guard case .tooLarge(let big)? = failure("/big", limit: 1000) else {
            Issue.record("expected too large"); return
        }
        #expect(big.contains("max_response_bytes"))
        server.stop()
        guard case .connect? = failure("/gone") else { Issue.record("expected a refused connection"); return }
    }
}
