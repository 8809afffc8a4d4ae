import Glibc

/// JSON numbers read straight from a record's bytes, without the parser.
///
/// A destination's hot path can bind most values from the raw text of a record
/// (the `sqlite` connector's `applyRaw` does): these read one number's bytes and
/// say nil for anything that is not plainly a number, so the caller falls back
/// to the parser.
public enum JSONNumber {
    /// The bytes as a finite double, when they are a number in JSON's syntax
    /// (`-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?`) shorter than 64 bytes; nil otherwise.
    /// - Parameter bytes: one number's text, without surrounding space.
    public static func double(_ bytes: UnsafeRawBufferPointer) -> Double? {
        guard bytes.count < 64, isValid(bytes) else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer -> Double? in
            for (offset, byte) in bytes.enumerated() { buffer[offset] = CChar(bitPattern: byte) }
            buffer[bytes.count] = 0
            let value = strtod(buffer.baseAddress!, nil)
            return value.isFinite ? value : nil
        }
    }

    /// True when the bytes are exactly one number in JSON's syntax.
    /// - Parameter bytes: one number's text, without surrounding space.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, (bytes[index] &- UInt8(ascii: "0")) < 10 { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let leadingZero = index < bytes.count && bytes[index] == UInt8(ascii: "0")
        let integerDigits = digits()
        guard integerDigits > 0, !(leadingZero && integerDigits > 1) else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }

    /// The bytes as an integer, when they are one written plainly (an optional
    /// `-`, no leading zero) in at most 18 digits, which always fit an `Int64`; nil otherwise.
    /// - Parameter bytes: one number's text, without surrounding space.
    public static func smallInteger(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { index = 1 }
        let digits = bytes.count - index
        guard digits > 0, digits <= 18, !(digits > 1 && bytes[index] == UInt8(ascii: "0")) else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
            index += 1
        }
        return negative ? -value : value
    }
}
