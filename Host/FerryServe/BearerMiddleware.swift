import FerryCore
import Foundation
import Hummingbird

/// Lets through requests that carry the API token (`Authorization: Bearer …`), and
/// `/healthz` always. The token is compared in constant time and never logged or echoed.
struct BearerMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if request.uri.path == "/healthz" { return try await next(request, context) }
        guard let token else {
            return json(
                ["error": "the API is disabled: set FERRY_API_TOKEN in the environment of ferry serve to enable it"],
                status: .forbidden)
        }
        let given = request.headers[.authorization] ?? ""
        // A browser cannot send a bearer token: the dashboard also takes the token as a
        // Basic password (any user name), which makes the browser ask for it.
        let dashboard = request.uri.path == "/dashboard" || request.uri.path.hasPrefix("/dashboard/")
        var presented: [UInt8]?
        if given.hasPrefix("Bearer ") {
            presented = Array(given.utf8.dropFirst(7))
        } else if dashboard, given.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(given.dropFirst(6))),
            let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        {
            presented = Array(decoded[decoded.index(after: colon)...])
        }
        guard let presented, Self.equal(presented, Array(token.utf8)) else {
            var response = json(
                ["error": given.isEmpty ? "missing Authorization: Bearer token" : "wrong bearer token"],
                status: .unauthorized)
            response.headers[.wwwAuthenticate] =
                dashboard ? "Basic realm=\"ferry dashboard\", charset=\"UTF-8\"" : "Bearer"
            return response
        }
        return try await next(request, context)
    }

    /// Equal bytes, in time that depends only on the lengths.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

/// Counts every answer by status for `ferry_http_requests_total`.
struct CountingMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServeMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            let response = try await next(request, context)
            metrics.httpRequest(status: response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            metrics.httpRequest(status: error.status.code)
            throw error
        } catch {
            metrics.httpRequest(status: 500)
            throw error
        }
    }
}
