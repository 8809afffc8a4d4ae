/// Strict UTF-8 checking (and `\\u` escape digits), shared by the parser and by plugins that read strings straight
/// from a record's bytes (the postgres connector's COPY encoder): both must refuse exactly
/// the same bytes.
public enum UTF8Validation {
    /// The length of the valid UTF-8 prefix of `bytes` (RFC 3629: no overlong
    /// forms, no surrogates, nothing above U+10FFFF); equals `bytes.count` when all is valid.
    public static func validPrefixLength(of bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let count = bytes.count
        var index = 0
        while index < count {
            if index + 8 <= count, let base = bytes.baseAddress,
                JSONStringBytes.isASCII(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            {
                index += 8
                continue
            }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return index
            }
            guard index + length <= count else { return index }
            let second = bytes[index + 1]
            guard second >= low && second <= high else { return index }
            var continuation = 2
            while continuation < length {
                guard bytes[index + continuation] & 0xC0 == 0x80 else { return index }
                continuation += 1
            }
            index += length
        }
        return count
    }

    /// The value of the four hex digits of a `\\u` escape at `digits` (the caller makes sure
    /// four bytes are there), or nil when one is not a hex digit. Shared for the same reason.
    @inline(__always)
    public static func hexQuad(at digits: UnsafePointer<UInt8>) -> UInt16? {
        var value: UInt16 = 0
        for index in 0..<4 {
            let byte = digits[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }
}
