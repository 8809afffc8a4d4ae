/// Text parameters in one contiguous buffer (NUL-terminated), so a statement
/// of thousands of parameters costs one allocation, not one per value.
struct ParameterBuffer {
    private(set) var bytes: [UInt8] = []
    /// Each parameter's start in `bytes`, or -1 for NULL.
    private(set) var offsets: [Int] = []

    var count: Int { offsets.count }

    init(reservingBytes: Int = 0) { bytes.reserveCapacity(reservingBytes) }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
    }

    mutating func appendNull() { offsets.append(-1) }

    /// The current end, to undo a partly encoded row with `truncate(to:)`.
    var mark: (bytes: Int, count: Int) { (bytes.count, offsets.count) }

    mutating func truncate(to mark: (bytes: Int, count: Int)) {
        bytes.removeSubrange(mark.bytes...)
        offsets.removeSubrange(mark.count...)
    }

    mutating func append(_ text: String?) {
        guard var text else { return appendNull() }
        offsets.append(bytes.count)
        text.withUTF8 { bytes.append(contentsOf: $0) }
        bytes.append(0)
    }

    /// Appends a parameter written by `body` into the buffer directly.
    mutating func append(writing body: (inout [UInt8]) throws -> Void) rethrows {
        offsets.append(bytes.count)
        try body(&bytes)
        bytes.append(0)
    }

    func withPointers<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> R) -> R {
        bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress)
            var pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset < 0 ? nil : base.map { ($0 + offset).assumingMemoryBound(to: CChar.self) }
            }
            return pointers.withUnsafeMutableBufferPointer { body(UnsafePointer($0.baseAddress), Int32(offsets.count)) }
        }
    }
}
