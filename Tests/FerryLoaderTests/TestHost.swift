import CFerryPlugin
import Foundation

/// A minimal host-services table for calling plugin slots directly: `log`,
/// `state_get` and `state_set` are served by this object, found again from the
/// `ferry_host_ctx` pointer through `Unmanaged`.
final class TestHost: @unchecked Sendable {
    /// Log lines received, as "level message fields".
    var logs: [String] = []
    /// The plugin's key-value state.
    var state: [String: String] = [:]
    /// The table handed to `open`; its address is stable until deinit.
    let table: UnsafeMutablePointer<ferry_host_api>

    init() {
        table = .allocate(capacity: 1)
        var host = ferry_host_api()
        host.struct_size = UInt32(MemoryLayout<ferry_host_api>.size)
        host.abi_minor = 0
        host.log = { ctx, level, message, fields in
            TestHost.from(ctx).logs.append("\(level) \(text(message)) \(text(fields))")
        }
        host.state_get = { ctx, key, out, _ in
            guard let value = TestHost.from(ctx).state[text(key)] else { return ferry_status(FERRY_ERR_NOT_FOUND) }
            let bytes = Array(value.utf8)
            let memory = malloc(max(bytes.count, 1))!
            memory.copyMemory(from: bytes, byteCount: bytes.count)
            out!.pointee = ferry_buffer(
                ptr: memory.assumingMemoryBound(to: CChar.self), len: bytes.count,
                release: { buffer in
                    free(buffer!.pointee.private_data)
                    buffer!.pointee.release = nil
                },
                private_data: memory)
            return ferry_status(FERRY_OK)
        }
        host.state_set = { ctx, key, value, _ in
            TestHost.from(ctx).state[text(key)] = text(value)
            return ferry_status(FERRY_OK)
        }
        table.initialize(to: host)
    }

    deinit {
        table.deinitialize(count: 1)
        table.deallocate()
    }

    /// The context pointer that leads back to this object.
    var context: OpaquePointer {
        OpaquePointer(Unmanaged.passUnretained(self).toOpaque())
    }

    static func from(_ context: OpaquePointer?) -> TestHost {
        Unmanaged<TestHost>.fromOpaque(UnsafeRawPointer(context!)).takeUnretainedValue()
    }
}

/// The text of a borrowed string.
func text(_ string: ferry_str) -> String {
    guard let pointer = string.ptr, string.len > 0 else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: string.len), as: UTF8.self)
}

/// A borrowed string over `value`'s bytes, for the duration of `body`.
func withFerryString<R>(_ value: String, _ body: (ferry_str) throws -> R) rethrows -> R {
    var copy = value
    return try copy.withUTF8 { bytes in
        try body(
            ferry_str(ptr: UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), len: bytes.count))
    }
}

/// The text of an owned buffer; releases it.
func take(_ buffer: inout ferry_buffer) -> String {
    defer { buffer.release?(&buffer) }
    guard let pointer = buffer.ptr else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: buffer.len), as: UTF8.self)
}

/// A zeroed error struct with its size set.
func makeError() -> ferry_error {
    var error = ferry_error()
    error.struct_size = UInt32(MemoryLayout<ferry_error>.size)
    return error
}

/// The error's message; releases its buffers.
func takeMessage(_ error: inout ferry_error) -> String {
    _ = take(&error.details)
    return take(&error.message)
}
