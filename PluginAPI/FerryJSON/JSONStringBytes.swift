/// Finding, eight bytes at a time, the bytes a scan of a JSON string must stop at.
///
/// Strings are most of a record's bytes, and the parser, the validation and the top-level
/// scanner each walk them; between escapes and the closing quote there is nothing to do but
/// look for the next of those (or a control byte, which is an error).
enum JSONStringBytes {
    /// The index of the first quote, backslash or control byte (below 0x20) in
    /// `base[index..<end]`, or `end` when there is none.
    @inline(__always)
    static func firstSpecial(in base: UnsafePointer<UInt8>, from index: Int, to end: Int) -> Int {
        var index = index
        while index + 8 <= end {
            let special = specialBytes(
                UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)))
            if special != 0 { return index + special.trailingZeroBitCount >> 3 }
            index += 8
        }
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return index }
            index += 1
        }
        return max(index, end)
    }

    /// A mask with the high bit set in each byte of `word` (little-endian) that is a quote, a
    /// backslash or below 0x20, and possibly in bytes after such a one (the subtraction's
    /// borrow): the lowest set bit is always a true one, which is all `firstSpecial` reads.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let quote = zeroBytes(word ^ (ones &* UInt64(UInt8(ascii: "\""))))
        let backslash = zeroBytes(word ^ (ones &* UInt64(UInt8(ascii: "\\"))))
        let control = (word &- ones &* 0x20) & ~word & highBits
        return quote | backslash | control
    }

    /// Whether no byte of `word` has its high bit set (all ASCII).
    @inline(__always)
    static func isASCII(_ word: UInt64) -> Bool { word & highBits == 0 }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    @inline(__always)
    private static func zeroBytes(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highBits }
}
