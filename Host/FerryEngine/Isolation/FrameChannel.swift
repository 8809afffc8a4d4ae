import Glibc

/// One end of the socket between the host and a plugin-host child: whole frames out and in.
final class FrameChannel {
    /// The peer closed its end or the socket failed: for the host, the child is gone.
    struct Closed: Error {}

    /// The largest frame accepted (1 GiB): a length beyond it means a corrupt stream.
    static let maximumFrame = 1 << 30

    let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    func send(_ frame: consuming FrameWriter) throws(Closed) {
        let bytes = frame.finish()
        let delivered = bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                // MSG_NOSIGNAL: a dead peer is an error here, not a SIGPIPE that ends this process.
                let count = Glibc.send(descriptor, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                sent += count
            }
            return true
        }
        guard delivered else { throw Closed() }
    }

    /// The next frame's kind and body.
    func receive() throws -> (FrameKind, FrameReader) {
        var header = [UInt8](repeating: 0, count: 4)
        try readFully(&header)
        let length = Int(header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
        guard length >= 1, length <= Self.maximumFrame else {
            throw MalformedFrame(description: "a frame of \(length) bytes")
        }
        var filled = false
        let body = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            filled = readFully(UnsafeMutableRawBufferPointer(buffer))
            count = filled ? length : 0
        }
        guard filled else { throw Closed() }
        guard let kind = FrameKind(rawValue: body[0]) else {
            throw MalformedFrame(description: "a frame of unknown kind \(body[0])")
        }
        return (kind, FrameReader(body, offset: 1))
    }

    private func readFully(_ buffer: inout [UInt8]) throws(Closed) {
        guard buffer.withUnsafeMutableBytes({ readFully($0) }) else { throw Closed() }
    }

    /// Fills `raw` from the socket; false when the peer closed it first or it failed.
    private func readFully(_ raw: UnsafeMutableRawBufferPointer) -> Bool {
        var received = 0
        while received < raw.count {
            let count = recv(descriptor, raw.baseAddress! + received, raw.count - received, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            received += count
        }
        return true
    }
}
