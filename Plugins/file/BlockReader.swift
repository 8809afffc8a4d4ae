import FerryPluginSDK
import Glibc

/// Reads a file in 1 MiB blocks and hands out its lines, splitting lines that
/// straddle block boundaries, so memory stays flat however large the file is:
/// it grows only to hold the longest line, and a line longer than
/// `maxLineBytes` is refused before it is buffered whole (a 50 MB record once
/// took 393 MB of memory on its way through).
final class BlockReader {
    /// Bytes requested from `fread` at a time.
    static let blockSize = 1 << 20

    private let file: UnsafeMutablePointer<FILE>
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var head = 0
    private var tail = 0
    private var scan = 0
    private var reachedEnd = false
    /// The file offset of the next unread line.
    private(set) var offset: Int64
    private let path: String
    private let maxLineBytes: Int

    /// Opens `path` positioned at `offset`.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - offset: where reading starts.
    ///   - maxLineBytes: the longest line handed out; a longer one throws.
    init(path: String, offset: Int64 = 0, maxLineBytes: Int = FileConfig.defaultMaxRecordBytes) throws {
        guard let file = fopen(path, "rb") else {
            throw PluginError.invalid("cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        if offset > 0 && fseeko(file, off_t(offset), SEEK_SET) != 0 {
            fclose(file)
            throw PluginError.invalid("cannot seek in '\(path)': \(String(cString: strerror(errno)))")
        }
        self.file = file
        self.offset = offset
        self.path = path
        self.maxLineBytes = maxLineBytes
        capacity = Self.blockSize * 2
        storage = malloc(capacity)!
    }

    deinit {
        fclose(file)
        free(storage)
    }

    /// One line: its bytes without `\n` (valid until the next call), the file
    /// offset just after it, and whether a `\n` ended it (false only for a last
    /// line without one).
    struct Line {
        var bytes: UnsafeRawBufferPointer
        var end: Int64
        var terminated: Bool
    }

    /// The next line, or nil at the end of the file.
    func nextLine() throws -> Line? {
        while true {
            if scan < tail, let found = memchr(storage + scan, 0x0A, tail - scan) {
                let index = UnsafeMutableRawPointer(found) - storage
                try checkLength(index - head)
                let line = UnsafeRawBufferPointer(start: storage + head, count: index - head)
                offset += Int64(index + 1 - head)
                head = index + 1
                scan = head
                return Line(bytes: line, end: offset, terminated: true)
            }
            scan = tail
            try checkLength(tail - head)
            if reachedEnd {
                guard head < tail else { return nil }
                let line = UnsafeRawBufferPointer(start: storage + head, count: tail - head)
                offset += Int64(tail - head)
                head = tail
                return Line(bytes: line, end: offset, terminated: false)
            }
            try refill()
        }
    }

    /// Throws when the line being read, `length` bytes so far, is over the limit.
    private func checkLength(_ length: Int) throws {
        guard length > maxLineBytes else { return }
        throw PluginError.invalid(
            "the record at byte \(offset) of '\(path)' is larger than max_record_bytes (\(maxLineBytes) bytes); "
                + "raise max_record_bytes in the connection's config if such records are expected, or fix the file")
    }

    /// Moves the unread bytes to the front and reads one more block after them.
    private func refill() throws {
        if head > 0 {
            memmove(storage, storage + head, tail - head)
            tail -= head
            scan -= head
            head = 0
        }
        if capacity - tail < Self.blockSize {
            capacity = max(capacity * 2, tail + Self.blockSize)
            guard let grown = realloc(storage, capacity) else {
                throw PluginError.invalid("out of memory for a line of \(tail) bytes")
            }
            storage = grown
        }
        let count = fread(storage + tail, 1, Self.blockSize, file)
        tail += count
        if count < Self.blockSize {
            if ferror(file) != 0 { throw PluginError.retryable("read error: \(String(cString: strerror(errno)))") }
            reachedEnd = true
        }
    }

    /// The first `count` bytes of `path` (fewer when the file is shorter).
    static func prefix(of path: String, count: Int) -> [UInt8] {
        guard let file = fopen(path, "rb") else { return [] }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, count, file) }
        bytes.removeLast(count - read)
        return bytes
    }

    /// The file's size in bytes, or nil when it does not exist.
    static func size(of path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }
}
