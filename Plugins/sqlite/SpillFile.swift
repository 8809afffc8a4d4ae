import FerryPluginSDK

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A scratch file the merge stage spills its sorted runs to: created in `scratch_directory`
/// (default `$TMPDIR`, else `/tmp`) and unlinked at once, so nothing is left behind whatever
/// ends the process.
///
/// What is written sits in the kernel's page cache, not in the process's memory: a commit
/// group's rows are written, read back once in key order and truncated at each merge, usually
/// before the kernel writes any of them to disk.
final class SpillFile {
    private let descriptor: Int32
    /// Where the file was made, for messages (it has no name left).
    let directory: String
    /// Bytes written so far, the write buffer's included.
    private(set) var size = 0
    private var buffer: [UInt8] = []
    private var flushed = 0
    private static let bufferBytes = 256 << 10

    /// - Parameter directory: Where to make it; nil: `$TMPDIR`, else `/tmp`.
    init(in directory: String? = nil) throws {
        let environment = getenv("TMPDIR").map { String(cString: $0) } ?? ""
        let place = directory ?? (environment.isEmpty ? "/tmp" : environment)
        var template = Array("\(place)/ferry-merge-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw Self.failure("creating a scratch file", in: place) }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        self.directory = place
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Appends bytes at the end (buffered).
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > Self.bufferBytes { try flush() }
        if bytes.count > Self.bufferBytes {
            try write(bytes, at: flushed)
            flushed += bytes.count
        } else {
            buffer.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
        }
        size += bytes.count
    }

    /// Writes the buffer out, so that `read` sees everything appended.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try write($0, at: flushed) }
        flushed += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Reads up to `into.count` bytes at `offset` (after `flush`); returns how many.
    func read(into target: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        while true {
            let count = pread(descriptor, target.baseAddress, target.count, off_t(offset))
            if count >= 0 { return count }
            if errno != EINTR { throw Self.failure("reading back staged upserts", in: directory) }
        }
    }

    /// Forgets everything from `offset` on (the whole file at 0), giving its pages back to the system.
    func truncate(to offset: Int) throws {
        guard offset < size else { return }
        if offset >= flushed {
            buffer.removeLast(size - offset)
        } else {
            buffer.removeAll(keepingCapacity: true)
            flushed = offset
            guard ftruncate(descriptor, off_t(offset)) == 0 else {
                throw Self.failure("truncating the scratch file", in: directory)
            }
        }
        size = offset
    }

    private func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Self.failure("staging upserts in a scratch file", in: directory) }
            done += count
        }
    }

    private static func failure(_ doing: String, in directory: String) -> PluginError {
        let reason = String(cString: strerror(errno))
        return .retryable("\(doing) in \(directory) failed: \(reason)")
    }
}
