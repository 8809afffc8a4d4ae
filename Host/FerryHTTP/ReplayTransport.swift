import FerryCore
import FerryJSON
import Foundation
import Synchronization

/// Answers a connection's requests from the files `ferry run --record DIR` saved, without
/// the network (`ferry run --replay DIR`): a connector is tested offline against what the
/// real API answered, and a failed sync can be run again exactly as it happened.
///
/// Each recorded exchange answers once, in recorded order, the first request with its
/// method and URL (and body, when the recording kept one); a request the recording never
/// saw fails at once, naming it, so a replay never invents data. URLs
/// match after masking: where a recorded query value is `***` (a credential masked when
/// it was saved), any value matches, since the live URL carries the real one.
public final class ReplayTransport: HTTPTransport, Sendable {
    /// One saved exchange.
    struct Exchange: Sendable {
        var method: String
        var url: String
        var body: String
        var response: Result<HTTPTransportResponse, HTTPTransportError>
    }

    private let connectionName: String
    private let exchanges: [Exchange]
    private let used: Mutex<[Bool]>

    /// Loads the connection's exchanges.
    /// - Parameters:
    ///   - folder: The folder `--record` wrote.
    ///   - connectionName: The connection whose files to answer with.
    /// - Throws: ``ReplayError`` when the folder cannot be read or a file is not a recording.
    public init(folder: String, connectionName: String) throws {
        self.connectionName = connectionName
        let files: [String]
        do { files = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw ReplayError("cannot read the recording folder \(folder): \(error.localizedDescription)")
        }
        var exchanges: [Exchange] = []
        // Names start with the millisecond and end with the sequence: sorted, they are in order.
        for file in files.sorted() where file.hasSuffix(".json") && file.contains("-\(connectionName)-") {
            let path = (folder as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path),
                case .object(let record)? = try? JSONParser().parse(Array(data)),
                record["connection"]?.stringValue == connectionName
            else { continue }
            guard let exchange = Self.exchange(record) else {
                throw ReplayError("\(path) is not an exchange saved by ferry run --record")
            }
            exchanges.append(exchange)
        }
        self.exchanges = exchanges
        used = Mutex(Array(repeating: false, count: exchanges.count))
    }

    /// How many exchanges the connection's recording holds.
    public var count: Int { exchanges.count }

    public func perform(_ request: HTTPTransportRequest) throws(HTTPTransportError) -> HTTPTransportResponse {
        let body = String(decoding: request.body, as: UTF8.self)
        let found: Exchange? = used.withLock { used in
            guard
                let index = exchanges.indices.first(where: { index in
                    !used[index] && exchanges[index].method == request.method
                        && Self.matches(recorded: exchanges[index].url, live: request.url)
                        && Self.matches(recorded: exchanges[index].body, live: body)
                })
            else { return nil }
            used[index] = true
            return exchanges[index]
        }
        guard let found else {
            let url = CurlTransport.withoutQuery(request.url)
            // Not retried: asking again cannot find what the recording does not hold.
            throw HTTPTransportError(
                .other(
                    "the recording of connection '\(connectionName)' has no (more) answer for \(request.method) \(url) "
                        + "(replaying: no request reaches the network)"))
        }
        return try found.response.get()
    }

    /// True when a live URL or body is the recorded one, `***` in the recording standing for
    /// any masked credential.
    static func matches(recorded: String, live: String) -> Bool {
        guard recorded.contains("***") else { return recorded == live }
        let parts = recorded.components(separatedBy: "***")
        var rest = Substring(live)
        for (position, part) in parts.enumerated() {
            if position == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if position == parts.count - 1 {
                return part.isEmpty ? !rest.contains("&") : rest.hasSuffix(part)
            } else {
                guard let range = rest.range(of: part) else { return false }
                rest = rest[range.upperBound...]
            }
        }
        return rest.isEmpty
    }

    private static func exchange(_ record: JSONObject) -> Exchange? {
        guard case .object(let request)? = record["request"], case .object(let response)? = record["response"],
            let method = request["method"]?.stringValue, let url = request["url"]?.stringValue
        else { return nil }
        let body = request["body"]?.stringValue ?? ""
        if let error = response["error"]?.stringValue {
            return Exchange(
                // Retried as the recorded run retried it: the next exchange answers the retry.
                method: method, url: url, body: body, response: .failure(HTTPTransportError(.connect(error))))
        }
        guard let status = response["status"]?.intValue else { return nil }
        var headers = HTTPHeaders()
        for case .string(let line) in response["headers"]?.arrayValue ?? [] {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            // A masked credential header (a cookie the server set) has nothing to give back.
            guard value != "***" else { continue }
            headers.add(String(line[..<colon]), String(value))
        }
        return Exchange(
            method: method, url: url, body: body,
            response: .success(
                HTTPTransportResponse(
                    status: Int(status), headers: headers, body: Array((response["body"]?.stringValue ?? "").utf8))))
    }
}

/// A recording that cannot be replayed.
public struct ReplayError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
