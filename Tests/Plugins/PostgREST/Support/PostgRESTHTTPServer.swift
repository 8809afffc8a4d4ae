import FerryPluginSDK
import Foundation
import Glibc

/// Puts a ``PostgRESTSimulator`` on a real socket (127.0.0.1, ephemeral port)
/// so the `ferry` executable reaches it through the host's libcurl service,
/// under Supabase's `/rest/v1` prefix. One request per connection
/// (`Connection: close`), a thread each.
final class PostgRESTHTTPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let simulator: PostgRESTSimulator
    private let prefix: String

    /// Starts listening.
    /// - Parameters:
    ///   - simulator: What answers.
    ///   - prefix: The path prefix stripped before the simulator sees the path.
    init(_ simulator: PostgRESTSimulator, prefix: String = "/rest/v1") throws {
        self.simulator = simulator
        self.prefix = prefix
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 64) == 0 else { close(fd); throw HarnessError("the simulator cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                Thread { [self] in serve(client) }.start()
            }
        }.start()
    }

    /// Stops accepting connections.
    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// The endpoint to put in `http.endpoint`.
    var url: String { "http://127.0.0.1:\(port)\(prefix)" }

    private func serve(_ socket: Int32) {
        defer { close(socket) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        func receive() -> Bool {
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else { return false }
            buffer += chunk[..<count]
            return true
        }
        let separator = Array("\r\n\r\n".utf8)
        var end = buffer.firstRange(of: separator)
        while end == nil {
            guard receive() else { return }
            end = buffer.firstRange(of: separator)
        }
        let lines = String(decoding: buffer[..<end!.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "0") ?? 0
        while buffer.count < end!.upperBound + length { guard receive() else { return } }
        var target = String(requestLine[1])
        if target.hasPrefix(prefix) { target.removeFirst(prefix.count) }
        let response = simulator.serve(HTTPRequest(method: String(requestLine[0]), url: target, headers: headers,
                                                   body: Array(buffer[end!.upperBound..<(end!.upperBound + length)])))
        var head = "HTTP/1.1 \(response.status) Status\r\n"
        for header in response.headers { head += "\(header.name): \(header.value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + response.body
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }
}
