import CFerryPlugin
import FerryPluginSDK

/// What a frame between the host and a plugin-host child carries.
///
/// The host sends `call`s; the child answers each with one `reply`. While a call is
/// in flight the child may send `hostCall`s (a host service the plugin asked for),
/// each answered by one `hostReply` before the child goes on: a nested request/answer
/// protocol, so the state store, the ID map, secrets and the HTTP service stay in the host.
/// `log` and `metric` host calls expect no reply.
enum FrameKind: UInt8 {
    case call = 1
    case reply = 2
    case hostCall = 3
    case hostReply = 4
}

/// A plugin slot the host calls in the child.
enum IsolatedSlot: UInt8 {
    case open = 1, check, discover, readOpen, readNext, readClose, write, transform, checkpointGet, close

    /// The slot's name in the ABI, for error messages.
    var name: String {
        switch self {
        case .open: "open"
        case .check: "check"
        case .discover: "discover"
        case .readOpen: "read_open"
        case .readNext: "read_next"
        case .readClose: "read_close"
        case .write: "write"
        case .transform: "transform"
        case .checkpointGet: "checkpoint_get"
        case .close: "close"
        }
    }
}

/// A host service the plugin calls from the child.
enum HostService: UInt8 {
    case log = 1, stateGet, stateSet, stateDelete, idMapGet, idMapPut, secretGet, metric, isCancelled, httpRequest
}

/// The wire format's fault: a frame that does not decode. The peer is then not trusted further.
struct MalformedFrame: Error, CustomStringConvertible {
    var description: String
}

/// Builds one frame: a 4-byte little-endian length, the kind byte, then fields, each
/// fixed-size little-endian or (for bytes) an 8-byte length and the bytes.
struct FrameWriter {
    private(set) var bytes: [UInt8]

    init(_ kind: FrameKind, capacity: Int = 64) {
        bytes = [0, 0, 0, 0, kind.rawValue]
        bytes.reserveCapacity(capacity)
    }

    mutating func byte(_ value: UInt8) { bytes.append(value) }
    mutating func uint32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func int32(_ value: Int32) { uint32(UInt32(bitPattern: value)) }
    mutating func uint64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func int64(_ value: Int64) { uint64(UInt64(bitPattern: value)) }
    mutating func double(_ value: Double) { uint64(value.bitPattern) }

    mutating func data(_ raw: UnsafeRawBufferPointer) {
        uint64(UInt64(raw.count))
        bytes.append(contentsOf: raw)
    }

    mutating func data(_ text: ferry_str) { data(text.rawBytes) }
    mutating func data(_ array: [UInt8]) { array.withUnsafeBytes { data($0) } }
    mutating func data(_ text: String) { data(Array(text.utf8)) }

    /// A failed call's `ferry_error`, consumed (its buffers released). An absent message
    /// stays absent, so the receiver words it exactly as an in-process caller would.
    mutating func error(consuming error: inout ferry_error) {
        optionalData(
            error.message.ptr == nil ? nil : Array(ferry_str(ptr: error.message.ptr, len: error.message.len).rawBytes))
        optionalData(
            error.details.ptr == nil ? nil : Array(ferry_str(ptr: error.details.ptr, len: error.details.len).rawBytes))
        int64(error.retry_after_ms)
        error.releaseContents()
    }

    mutating func optionalData(_ value: [UInt8]?) {
        byte(value == nil ? 0 : 1)
        if let value { data(value) }
    }

    /// The frame with its length filled in, in place (no copy of a large batch).
    mutating func finish() -> [UInt8] {
        let length = UInt32(bytes.count - 4).littleEndian
        withUnsafeBytes(of: length) { header in
            bytes.withUnsafeMutableBytes { $0.copyMemory(from: header) }
        }
        return bytes
    }
}

/// Reads the fields of one frame's body in the order `FrameWriter` wrote them.
struct FrameReader {
    let bytes: [UInt8]
    private var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else {
            throw MalformedFrame(
                description: "a frame ended early (wanted \(count) bytes at \(offset) of \(bytes.count))")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    private mutating func fixed<Value: FixedWidthInteger>(_ type: Value.Type) throws -> Value {
        var value = Value.zero
        let slice = try take(MemoryLayout<Value>.size)
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: slice) }
        return Value(littleEndian: value)
    }

    mutating func byte() throws -> UInt8 { try fixed(UInt8.self) }
    mutating func uint32() throws -> UInt32 { try fixed(UInt32.self) }
    mutating func int32() throws -> Int32 { try fixed(Int32.self) }
    mutating func uint64() throws -> UInt64 { try fixed(UInt64.self) }
    mutating func int64() throws -> Int64 { try fixed(Int64.self) }
    mutating func double() throws -> Double { Double(bitPattern: try uint64()) }

    mutating func data() throws -> [UInt8] { Array(bytes[try span()]) }

    /// Where the next bytes field lies in `bytes`, for a caller that borrows it instead of copying.
    mutating func span() throws -> Range<Int> {
        let count = try uint64()
        guard count <= UInt64(bytes.count) else { throw MalformedFrame(description: "a field claims \(count) bytes") }
        return try take(Int(count)).indices
    }

    /// Borrowed `ferry_str` views of fields of `bytes` (from `span()`), valid for the call only.
    func withBorrowed<Result>(_ spans: [Range<Int>], _ body: ([ferry_str]) throws -> Result) rethrows -> Result {
        try bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            return try body(spans.map { ferry_str(ptr: base + $0.lowerBound, len: $0.count) })
        }
    }

    mutating func string() throws -> String { String(decoding: try data(), as: UTF8.self) }

    mutating func optionalData() throws -> [UInt8]? { try byte() == 0 ? nil : try data() }

    /// Reads what `FrameWriter.outcome` wrote: the status, then the error (into `errorOut`)
    /// when it failed, or the outputs (read by `outputs`) when it is `FERRY_OK`.
    mutating func outcome(
        into errorOut: UnsafeMutablePointer<ferry_error>?, outputs: (inout FrameReader) throws -> Void
    ) throws -> ferry_status {
        let status = try int32()
        if status < 0 {
            try error(into: errorOut, status: status)
        } else if status == FERRY_OK {
            try outputs(&self)
        }
        return status
    }

    /// Fills a caller's `ferry_error` (may be NULL) from an error `FrameWriter.error` wrote.
    mutating func error(into out: UnsafeMutablePointer<ferry_error>?, status: ferry_status) throws {
        let message = try optionalData()
        let details = try optionalData()
        let retryAfter = try int64()
        guard let out else { return }
        out.pointee.status = status
        if let message { out.pointee.message = .owning(message) }
        if let details { out.pointee.details = .owning(details) }
        out.pointee.retry_after_ms = retryAfter
    }
}

/// Calls `body` with borrowed `ferry_str` views of `parts`, valid for the call only.
func withBorrowedStrs<Result>(_ parts: [[UInt8]], _ body: ([ferry_str]) throws -> Result) rethrows -> Result {
    let joined = Array(parts.joined())
    return try joined.withUnsafeBufferPointer { buffer in
        var views: [ferry_str] = []
        var offset = 0
        for part in parts {
            let start = buffer.baseAddress.map { UnsafeRawPointer($0 + offset).assumingMemoryBound(to: CChar.self) }
            views.append(ferry_str(ptr: start, len: part.count))
            offset += part.count
        }
        return try body(views)
    }
}
