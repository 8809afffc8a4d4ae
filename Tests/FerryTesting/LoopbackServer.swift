import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 and an ephemeral port, for simulators
/// and fault injection in tests. Each connection gets a thread and may carry
/// several requests (keep-alive); a handler closure answers each request with
/// a scripted ``Reply``, including faults: delays past the client's timeout,
/// bodies shorter than their `Content-Length`, and dropped connections.
public final class LoopbackServer: @unchecked Sendable {
    /// A request as received.
    public struct Request: Sendable {
        public var method: String
        /// The path with its query, as sent (`/items?page=2`).
        public var target: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        /// The first value of a header, case-insensitively.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        /// The path without the query.
        public var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
        /// The decoded query parameters.
        public var query: [String: String] {
            guard let question = target.firstIndex(of: "?") else { return [:] }
            var result: [String: String] = [:]
            for pair in target[target.index(after: question)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).removingPercentEncoding ?? String($0)
                }
                result[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            return result
        }
        /// The body as text.
        public var text: String { String(decoding: body, as: UTF8.self) }
        /// A form-encoded body's fields.
        public var form: [String: String] {
            var result: [String: String] = [:]
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).removingPercentEncoding ?? String($0)
                }
                result[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            return result
        }
    }

    /// How to answer one request.
    public indirect enum Reply: Sendable {
        /// A complete response.
        case response(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
        /// The reply, after sleeping (to exceed a client's timeout).
        case delayed(seconds: Double, Reply)
        /// Headers announcing `declaredLength` bytes, then only `body`, then the connection closes.
        case truncated(status: Int, body: [UInt8], declaredLength: Int)
        /// Close the connection without answering.
        case drop

        /// A JSON response.
        public static func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Reply {
            .response(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
        }
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (Request) -> Reply
    private let log = Mutex<[Request]>([])
    private let connections = Mutex<Int>(0)
    /// Who may still touch `listener`. Only the accept thread closes it, and only once it can no
    /// longer call `accept`: were `stop` to close it, a new socket elsewhere in the test process
    /// could take the same number and this thread's next `accept` would steal that socket's
    /// connections, answering them with this (perhaps finished) test's handler.
    private let listenerState = Mutex(ListenerState.listening)
    private enum ListenerState { case listening, stopping, closed }

    /// Starts listening; the handler runs on the connection's thread.
    public init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw ServerError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port>`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in order.
    public var requests: [Request] { log.withLock { $0 } }

    /// Connections accepted so far (keep-alive reuses one).
    public var connectionCount: Int { connections.withLock { $0 } }

    /// Stops accepting connections: wakes the accept thread, which closes the socket.
    public func stop() {
        listenerState.withLock { state in
            guard state == .listening else { return }
            state = .stopping
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    private func acceptLoop() {
        defer {
            listenerState.withLock { state in
                close(listener)
                state = .closed
            }
        }
        while true {
            let client = accept(listener, nil, nil)
            let failure = errno
            let stopping = listenerState.withLock { $0 != .listening }
            if client < 0 {
                if !stopping && (failure == EINTR || failure == ECONNABORTED) { continue }
                return
            }
            if stopping {
                close(client)
                return
            }
            connections.withLock { $0 += 1 }
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ socket: Int32) {
        defer { close(socket) }
        var buffer: [UInt8] = []
        while true {
            guard let request = readRequest(socket, &buffer) else { return }
            log.withLock { $0.append(request) }
            guard write(handler(request), to: socket) else { return }
        }
    }

    private func readRequest(_ socket: Int32, _ buffer: inout [UInt8]) -> Request? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            headerEnd = buffer.firstRange(of: separator)?.lowerBound
            if headerEnd == nil { guard receive(socket, &buffer) else { return nil } }
        }
        let head = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "0") ?? 0
        let bodyStart = headerEnd! + separator.count
        while buffer.count < bodyStart + length { guard receive(socket, &buffer) else { return nil } }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return Request(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body)
    }

    private func receive(_ socket: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var count = recv(socket, &chunk, chunk.count, 0)
        while count < 0 && errno == EINTR { count = recv(socket, &chunk, chunk.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    /// Writes a reply; false when the connection must close.
    private func write(_ reply: Reply, to socket: Int32) -> Bool {
        switch reply {
        case .drop:
            return false
        case .delayed(let seconds, let inner):
            Thread.sleep(forTimeInterval: seconds)
            return write(inner, to: socket)
        case .response(let status, let headers, let body):
            send(socket, head(status, headers, length: body.count) + body)
            return true
        case .truncated(let status, let body, let declaredLength):
            send(socket, head(status, [], length: declaredLength) + body)
            return false
        }
    }

    private func head(_ status: Int, _ headers: [(String, String)], length: Int) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Status")\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(length)\r\nConnection: keep-alive\r\n\r\n"
        return Array(text.utf8)
    }

    private func send(_ socket: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}

/// A scripted sequence of replies for one route: each request takes the next
/// reply; when the script runs out, `otherwise` answers.
public final class Script: @unchecked Sendable {
    private let queue: Mutex<[LoopbackServer.Reply]>
    private let otherwise: @Sendable (LoopbackServer.Request) -> LoopbackServer.Reply

    public init(
        _ replies: [LoopbackServer.Reply],
        otherwise: @escaping @Sendable (LoopbackServer.Request) -> LoopbackServer.Reply
    ) {
        queue = Mutex(replies)
        self.otherwise = otherwise
    }

    public func reply(to request: LoopbackServer.Request) -> LoopbackServer.Reply {
        if let next = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return next }
        return otherwise(request)
    }
}

public struct ServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
