/// How the merge stage lays out staged values, in memory and in its spilled runs: one length
/// byte a value, kept apart from the values' bytes. A value of `long` bytes or more has the
/// length byte `long`, and its bytes are preceded by their count in four bytes (the machine's
/// order: neither the stage nor its scratch file leaves the process).
///
/// One byte a value, not four: a commit group of 100,000 records of 13 fields held 5.2 MiB of
/// lengths, nearly all under 255 (docs/performance.md, *Lengths in a byte*).
enum StagedValueLayout {
    /// The length byte of a value whose length is stored before its bytes.
    static let long: UInt8 = 255
    /// The bytes of a long value's own length.
    static let longHeaderBytes = 4

    /// Appends a value: its length byte to `lengths`, its bytes (after their count, when long)
    /// to `arena`.
    static func append(_ value: UnsafeRawBufferPointer, to arena: inout [UInt8], lengths: inout [UInt8]) {
        if value.count < Int(long) {
            lengths.append(UInt8(truncatingIfNeeded: value.count))
        } else {
            lengths.append(long)
            withUnsafeBytes(of: UInt32(value.count)) {
                arena.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self))
            }
        }
        // As typed bytes the append is one copy; as raw bytes it went byte by byte.
        arena.append(contentsOf: value.assumingMemoryBound(to: UInt8.self))
    }

    /// Where the value whose length byte is `length` and which is stored from `offset` of
    /// `bytes` on has its bytes, and where the next value is stored. The count of a long value
    /// must lie in `bytes`.
    @inline(__always)
    static func extent(of length: UInt8, at offset: Int, in bytes: UnsafeRawBufferPointer) -> (
        value: Range<Int>, next: Int
    ) {
        guard length == long else { return (offset..<(offset + Int(length)), offset + Int(length)) }
        let count = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        let start = offset + longHeaderBytes
        return (start..<(start + count), start + count)
    }

    /// Where a row's value at `column` has its bytes: `rowLengths` are the row's length bytes, and
    /// its values are stored one after another from `offset` of `bytes` on.
    @inline(__always)
    static func value(
        at column: Int, rowLengths: UnsafeRawBufferPointer, storedFrom offset: Int, in bytes: UnsafeRawBufferPointer
    ) -> Range<Int> {
        var offset = offset
        for before in 0..<column { offset = extent(of: rowLengths[before], at: offset, in: bytes).next }
        return extent(of: rowLengths[column], at: offset, in: bytes).value
    }
}
