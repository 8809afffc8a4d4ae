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
/// it was saved), any value matches, since the live URL carries the real one, and so does
/// the parameter's absence (`ferry plugins test --replay` sends no credential at all).
///
/// With `repeatsAnswers` (the conformance kit, which reads a stream several times), a
/// request whose exchanges are all used gets the last of them again: the same recorded
/// answer, still nothing invented.
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
    private let repeatsAnswers: Bool
    /// The connection's `http.endpoint` as the recording kept it (older recordings have none).
    public let endpoint: String?

    /// Loads the connection's exchanges.
    /// - Parameters:
    ///   - folder: The folder `--record` wrote.
    ///   - connectionName: The connection whose files to answer with.
    ///   - repeatsAnswers: Answer a request again with its last exchange once all are used.
    /// - Throws: ``ReplayError`` when the folder cannot be read or a file is not a recording.
    public init(folder: String, connectionName: String, repeatsAnswers: Bool = false) throws {
        self.connectionName = connectionName
        self.repeatsAnswers = repeatsAnswers
        let files = try Self.files(in: folder)
        var exchanges: [Exchange] = []
        var endpoint: String?
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
            endpoint = endpoint ?? record["endpoint"]?.stringValue
        }
        self.exchanges = exchanges
        self.endpoint = endpoint
        used = Mutex(Array(repeating: false, count: exchanges.count))
    }

    /// The names of the connections a recording folder holds exchanges of, sorted.
    /// - Parameter folder: The folder `--record` wrote.
    /// - Throws: ``ReplayError`` when the folder cannot be read.
    public static func connectionNames(in folder: String) throws -> [String] {
        var names = Set<String>()
        for file in try files(in: folder) where file.hasSuffix(".json") {
            let path = (folder as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path),
                let name = (try? JSONParser().parse(Array(data)))?["connection"]?.stringValue
            else { continue }
            names.insert(name)
        }
        return names.sorted()
    }

    private static func files(in folder: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw ReplayError("cannot read the recording folder \(folder): \(error.localizedDescription)")
        }
    }

    /// How many exchanges the connection's recording holds.
    public var count: Int { exchanges.count }

    public func perform(_ request: HTTPTransportRequest) throws(HTTPTransportError) -> HTTPTransportResponse {
        let body = String(decoding: request.body, as: UTF8.self)
        let answering = { (index: Int) in
            self.exchanges[index].method == request.method
                && Self.matches(
                    recorded: Self.url(self.exchanges[index].url, keepingMaskedIn: request.url), live: request.url)
                && Self.matches(recorded: self.exchanges[index].body, live: body)
        }
        let found: Exchange? = used.withLock { used in
            if let index = exchanges.indices.first(where: { !used[$0] && answering($0) }) {
                used[index] = true
                return exchanges[index]
            }
            guard repeatsAnswers, let index = exchanges.indices.last(where: answering) else { return nil }
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

    /// The recorded URL without its masked query parameters that the live URL does not carry.
    static func url(_ recorded: String, keepingMaskedIn live: String) -> String {
        guard recorded.contains("=***"), let question = recorded.firstIndex(of: "?") else { return recorded }
        let liveNames = Set(
            (live.firstIndex(of: "?").map { live[live.index(after: $0)...] } ?? "").split(separator: "&").map {
                $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            })
        let kept = recorded[recorded.index(after: question)...].split(separator: "&").filter { item in
            let parts = item.split(separator: "=", maxSplits: 1)
            return !(parts.count == 2 && parts[1] == "***" && !liveNames.contains(String(parts[0])))
        }
        return String(recorded[..<question]) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
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
    public init(_ description: String) { self.description = description }
}
