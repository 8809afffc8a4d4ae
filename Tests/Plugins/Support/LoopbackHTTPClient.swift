import FerryPluginSDK
import Glibc

/// A tiny blocking HTTP/1.1 client for test servers on 127.0.0.1 (plain
/// HTTP, one connection per request, `Connection: close`, chunked bodies
/// decoded): what the harness uses in place of the host's libcurl service.
struct LoopbackHTTPClient: Sendable {
    /// `http://127.0.0.1:PORT` with an optional path prefix.
    let endpoint: String
    /// Headers added to every request (the connection's authentication).
    var headers: [(name: String, value: String)] = []

    private var parts: (host: String, port: UInt16, prefix: String)? {
        guard endpoint.hasPrefix("http://") else { return nil }
        let rest = endpoint.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var prefix = String(rest.dropFirst(authority.count))
        if prefix.hasSuffix("/") { prefix.removeLast() }
        let pieces = authority.split(separator: ":")
        guard pieces.count == 2, let port = UInt16(pieces[1]) else { return nil }
        return (String(pieces[0]), port, prefix)
    }

    /// Sends one request and reads the whole response.
    /// - Parameter request: The request; a relative URL is joined to ``endpoint`` as the host does.
    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let (host, port, prefix) = parts else { throw HarnessError("bad test endpoint '\(endpoint)'") }
        var path = request.url
        if path.hasPrefix("http://") {
            let rest = path.dropFirst("http://".count)
            path = String(rest.drop { $0 != "/" })
        } else {
            path = prefix + (path.hasPrefix("/") || path.hasPrefix("?") ? "" : "/") + path
        }
        if path.isEmpty { path = "/" }

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw HarnessError("not an IPv4 address: \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw PluginError.retryable("connection to \(host):\(port) refused (errno \(errno))")
        }

        var head = "\(request.method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        head += "Content-Length: \(request.body.count)\r\n"
        for header in headers + request.headers { head += "\(header.name): \(header.value)\r\n" }
        head += "\r\n"
        let outgoing = Array(head.utf8) + request.body
        var sent = 0
        while sent < outgoing.count {
            let count = outgoing[sent...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { throw PluginError.retryable("send failed (errno \(errno))") }
            sent += count
        }
        var incoming: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else { throw PluginError.retryable("receive failed (errno \(errno))") }
            incoming += buffer[0..<count]
        }
        return try Self.parse(incoming)
    }

    /// Parses a whole HTTP/1.1 response read to the end of the connection.
    static func parse(_ bytes: [UInt8]) throws -> HTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.firstRange(of: separator) else { throw HarnessError("truncated HTTP response") }
        let lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.split(separator: " ").count >= 2,
            let status = Int(statusLine.split(separator: " ")[1])
        else { throw HarnessError("bad status line") }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        var body = Array(bytes[end.upperBound...])
        let chunked = headers.contains {
            $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked")
        }
        if chunked {
            var decoded: [UInt8] = []
            var index = 0
            while index < body.count {
                guard let lineEnd = body[index...].firstRange(of: [13, 10]) else { break }
                let sizeText =
                    String(decoding: body[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(), radix: 16) else {
                    throw HarnessError("bad chunk size")
                }
                if size == 0 { break }
                let start = lineEnd.upperBound
                guard start + size <= body.count else { throw HarnessError("truncated chunk") }
                decoded += body[start..<(start + size)]
                index = start + size + 2
            }
            body = decoded
        }
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}

private extension Substring {
    func trimmingCharacters() -> String { String(filter { !$0.isWhitespace }) }
}
