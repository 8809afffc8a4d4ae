import CFerryPlugin
import FerryJSON
import Glibc

// Small conveniences over the ABI's C structs, shared by the SDK's export glue
// and by the host (which imports this module for the message types).

extension ferry_str {
    /// Copies the bytes into a String (invalid UTF-8 is repaired).
    public var string: String {
        guard let ptr, len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: ptr, count: len), as: UTF8.self)
    }

    /// The bytes as a raw buffer (empty when NULL).
    public var rawBytes: UnsafeRawBufferPointer {
        guard let ptr, len > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: ptr, count: len)
    }
}

extension ferry_buffer {
    /// A malloc'd copy of `bytes`, released with free. Empty input gives an empty, released buffer.
    public static func owning<Bytes: Collection>(_ bytes: Bytes) -> ferry_buffer where Bytes.Element == UInt8 {
        let count = bytes.count
        guard count > 0, let memory = malloc(count) else { return ferry_buffer() }
        let typed = memory.bindMemory(to: UInt8.self, capacity: count)
        _ = UnsafeMutableBufferPointer(start: typed, count: count).initialize(from: bytes)
        return ferry_buffer(
            ptr: UnsafePointer(memory.assumingMemoryBound(to: CChar.self)), len: count,
            release: { buffer in
                guard let buffer else { return }
                free(UnsafeMutableRawPointer(mutating: buffer.pointee.ptr))
                buffer.pointee.release = nil
            },
            private_data: nil)
    }

    /// A malloc'd copy of a string's UTF-8.
    public static func owning(_ string: String) -> ferry_buffer { owning(Array(string.utf8)) }

    /// Copies the contents out as a String and releases the buffer.
    public mutating func consumeString() -> String {
        let text = ferry_str(ptr: ptr, len: len).string
        release?(&self)
        return text
    }

    /// Copies the contents out as bytes and releases the buffer.
    public mutating func consumeBytes() -> [UInt8] {
        let bytes = Array(ferry_str(ptr: ptr, len: len).rawBytes)
        release?(&self)
        return bytes
    }
}

extension ferry_error {
    /// A zeroed error with its size set, ready to pass to a call.
    public static var empty: ferry_error {
        var error = ferry_error()
        error.struct_size = UInt32(MemoryLayout<ferry_error>.size)
        return error
    }

    /// Releases the message and details buffers.
    public mutating func releaseContents() {
        message.release?(&message)
        details.release?(&details)
    }
}

extension PluginError {
    /// Builds a Swift error from a filled `ferry_error` and releases its buffers.
    public init(consuming error: inout ferry_error, status: ferry_status) {
        let message =
            error.message.release == nil && error.message.ptr == nil
            ? "failed with status \(FerryStatus.name(of: status))" : error.message.consumeString()
        let detailsText = error.details.ptr == nil ? nil : error.details.consumeString()
        let details = detailsText.flatMap { try? JSONParser().parse($0) }
        let retryAfter = error.retry_after_ms > 0 ? Double(error.retry_after_ms) / 1000 : nil
        error.releaseContents()
        self.init(status: status, message: message, details: details, retryAfter: retryAfter)
    }

    /// Runs the body of a C slot (either side of the ABI), turning any thrown error into a
    /// status and a filled `ferry_error`, so nothing unwinds across the boundary.
    /// - Parameters:
    ///   - out: The caller's error struct (may be NULL).
    ///   - body: The slot's work; returns its status.
    public static func guarded(_ out: UnsafeMutablePointer<ferry_error>?, _ body: () throws -> ferry_status)
        -> ferry_status
    {
        do {
            return try body()
        } catch let failure as PluginError {
            failure.fill(out)
            return failure.status
        } catch {
            PluginError(status: FERRY_ERR_INTERNAL, message: String(describing: error)).fill(out)
            return FERRY_ERR_INTERNAL
        }
    }

    /// Fills a caller's `ferry_error` with this error (buffers owned by the receiver).
    public func fill(_ error: UnsafeMutablePointer<ferry_error>?) {
        guard let error else { return }
        error.pointee.status = status
        error.pointee.message = .owning(message)
        if let details { error.pointee.details = .owning(JSONWriter().encodeString(details)) }
        error.pointee.retry_after_ms = retryAfter.map { Int64($0 * 1000) } ?? 0
    }
}

/// Names for ABI status codes, for messages.
public enum FerryStatus {
    public static func name(of status: ferry_status) -> String {
        switch status {
        case FERRY_OK: return "ok"
        case FERRY_END: return "end"
        case FERRY_END_COMPLETE: return "end (complete)"
        case FERRY_ERR_INVALID: return "invalid"
        case FERRY_ERR_RETRYABLE: return "retryable"
        case FERRY_ERR_RATE_LIMITED: return "rate_limited"
        case FERRY_ERR_AUTH: return "auth"
        case FERRY_ERR_CANCELLED: return "cancelled"
        case FERRY_ERR_UNSUPPORTED: return "unsupported"
        case FERRY_ERR_NOT_FOUND: return "not_found"
        case FERRY_ERR_INTERNAL: return "internal"
        default: return "status \(status)"
        }
    }
}
