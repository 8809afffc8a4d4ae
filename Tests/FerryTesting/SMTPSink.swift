import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An SMTP server on 127.0.0.1 that accepts every message and keeps it: enough of
/// RFC 5321 for libcurl (EHLO, MAIL, RCPT, DATA, QUIT), no TLS, no authentication.
public final class SMTPSink: @unchecked Sendable {
    public struct Message: Sendable {
        public var from: String
        public var recipients: [String]
        public var data: String
        public var subject: String? {
            data.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") }.map { String($0.dropFirst(9)) }
        }
    }

    public let port: Int
    /// Answers every RCPT with 550, as a server refusing the recipients does.
    private let refusesRecipients: Bool
    private let listener: Int32
    private let condition = NSCondition()
    private var received: [Message] = []

    /// Starts listening.
    /// - Parameter refusingRecipients: refuse every recipient (550) instead of accepting.
    public init(refusingRecipients: Bool = false) throws {
        refusesRecipients = refusingRecipients
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                Thread.detachNewThread { [self] in serve(client) }
            }
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    public var url: String { "smtp://127.0.0.1:\(port)" }
    public var messages: [Message] { condition.withLock { received } }

    /// Waits (at most `timeout` seconds) for `count` messages.
    public func wait(for count: Int, timeout: TimeInterval = 30) -> [Message] {
        let deadline = Date().addingTimeInterval(timeout)
        return condition.withLock {
            while received.count < count { if !condition.wait(until: deadline) { break } }
            return received
        }
    }

    private func serve(_ socket: Int32) {
        defer { close(socket) }
        var pending = ""
        func reply(_ line: String) { _ = (line + "\r\n").withCString { send(socket, $0, strlen($0), 0) } }
        func nextLine() -> String? {
            while true {
                if let range = pending.range(of: "\r\n") {
                    let line = String(pending[..<range.lowerBound])
                    pending.removeSubrange(..<range.upperBound)
                    return line
                }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(socket, &buffer, buffer.count, 0)
                if count <= 0 { return nil }
                pending += String(decoding: buffer[..<count], as: UTF8.self)
            }
        }
        reply("220 sink ESMTP")
        var message = Message(from: "", recipients: [], data: "")
        while let line = nextLine() {
            let verb = line.prefix(4).uppercased()
            switch verb {
            case "EHLO", "HELO": reply("250 sink")
            case "MAIL": message = Message(from: String(line.dropFirst(10)), recipients: [], data: ""); reply("250 OK")
            case "RCPT" where refusesRecipients: reply("550 5.1.1 recipient refused")
            case "RCPT": message.recipients.append(String(line.dropFirst(8))); reply("250 OK")
            case "DATA":
                reply("354 go ahead")
                var lines: [String] = []
                while let dataLine = nextLine(), dataLine != "." {
                    lines.append(dataLine.hasPrefix("..") ? String(dataLine.dropFirst()) : dataLine)
                }
                message.data = lines.joined(separator: "\r\n")
                condition.withLock {
                    received.append(message)
                    condition.broadcast()
                }
                reply("250 queued")
            case "QUIT": reply("221 bye"); return
            default: reply("250 OK")
            }
        }
    }
}
