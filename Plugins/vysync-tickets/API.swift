import FerryJSON
import FerryPluginSDK

/// JSON requests through the host's HTTP service (the connection's auth and shared budget).
struct API {
    let host: HostServices
    /// What the answers are about, for errors ("Yuman", "VCOM").
    let name: String

    /// Sends a request and returns its parsed body (nil when empty); a status outside
    /// `accepting` (default 2xx) is an error naming the request and the server's message.
    @discardableResult
    func send(
        _ method: String, _ path: String, body: JSONValue? = nil, accepting: Set<Int> = []
    ) throws -> (status: Int, json: JSONValue?) {
        var request = HTTPRequest(method: method, url: path)
        if let body {
            request.body = Array(JSONWriter().encodeString(body).utf8)
            request.headers = [("Content-Type", "application/json")]
        }
        let response = try host.http(request)
        guard response.isSuccess || accepting.contains(response.status) else {
            let message = response.text.prefix(300)
            if response.status >= 500 {
                // A create whose answer was lost may have happened: the batch is retried, and the
                // retry finds it by its marker.
                throw PluginError.retryable("\(name) answered HTTP \(response.status) to \(method) \(path): \(message)")
            }
            throw PluginError.invalid("\(name) answered HTTP \(response.status) to \(method) \(path): \(message)")
        }
        return (response.status, response.body.isEmpty ? nil : try response.json())
    }

    func get(_ path: String, query: [(String, String)] = []) throws -> JSONValue? {
        try send("GET", HTTPRequest.path(path, query: query)).json
    }

    /// Every item of a Yuman list, page after page: `{items, total_pages|totalPages}` or a bare array.
    func pages(_ path: String, query: [(String, String)] = []) throws -> [JSONObject] {
        var items: [JSONObject] = []
        var page = 1
        while true {
            let answer = try get(path, query: query + [("page", "\(page)"), ("perPage", "100")])
            if let array = answer?.arrayValue { return array.compactMap(\.objectValue) }
            items += (answer?["items"]?.arrayValue ?? []).compactMap(\.objectValue)
            let total = answer?["total_pages"]?.intValue ?? answer?["totalPages"]?.intValue ?? 1
            if page >= total { return items }
            page += 1
        }
    }
}

/// A JSON value as text: ids come as strings or numbers (VCOM's docs and fixtures differ).
func text(_ value: JSONValue?) -> String? {
    guard let value else { return nil }
    switch value {
    case .string(let string): return string
    case .int(let number): return String(number)
    case .double(let number) where number.rounded() == number: return String(Int64(number))
    default: return nil
    }
}
