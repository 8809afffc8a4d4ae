/// Serialises `JSONValue`s to compact JSON text.
///
/// Records leave the host as JSON (to plugins, dead letters, the state store),
/// so this writer appends straight into a caller-owned `[UInt8]` that can be
/// reused across a batch. Output rules:
/// - Strings escape `"`, `\` and control characters (`\b \f \n \r \t`, the
///   rest as `\u00XX`, as RFC 8785 does); non-ASCII text stays raw UTF-8.
/// - Doubles are written in the shortest form that reads back to the same
///   value; integral doubles keep a fraction (`1.0`) so a round trip keeps
///   `.double` apart from `.int`.
/// - NaN and infinities have no JSON form and are written as `null`.
/// - With `canonical`, object keys are sorted by their UTF-8 bytes, so equal
///   content always gives equal bytes: that is what `ContentHash` hashes.
public struct JSONWriter: Sendable {
    /// Sort object keys (by UTF-8 bytes) so that the output does not depend on member order.
    public var canonical: Bool

    /// Creates a writer.
    /// - Parameter canonical: sort object keys for hashing and comparison.
    public init(canonical: Bool = false) {
        self.canonical = canonical
    }

    /// Appends the encoding of `value` to `buffer`, reusing its capacity.
    /// - Parameters:
    ///   - value: the value to encode.
    ///   - buffer: the buffer to append to.
    public func write(_ value: JSONValue, into buffer: inout [UInt8]) {
        switch value {
        case .null: appendASCII("null", to: &buffer)
        case .bool(let flag): appendASCII(flag ? "true" : "false", to: &buffer)
        case .int(let integer): Self.appendInteger(integer, to: &buffer)
        case .double(let double): Self.appendDouble(double, to: &buffer)
        case .string(let string): Self.appendString(string, to: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                write(element, into: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let object): write(object, into: &buffer)
        }
    }

    /// Appends the encoding of `object` to `buffer`.
    /// - Parameters:
    ///   - object: the object to encode.
    ///   - buffer: the buffer to append to.
    public func write(_ object: JSONObject, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "{"))
        var first = true
        for member in canonical ? object.membersInCanonicalOrder : object.members {
            if !first { buffer.append(UInt8(ascii: ",")) }
            first = false
            Self.appendString(member.key, to: &buffer)
            buffer.append(UInt8(ascii: ":"))
            write(member.value, into: &buffer)
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// The encoding of `value` as bytes.
    /// - Parameter value: the value to encode.
    public func encode(_ value: JSONValue) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(128)
        write(value, into: &buffer)
        return buffer
    }

    /// The encoding of `value` as a string.
    /// - Parameter value: the value to encode.
    public func encodeString(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    // MARK: Scalars

    private func appendASCII(_ text: StaticString, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 {
            buffer.append(UInt8(truncatingIfNeeded: magnitude) &+ 48)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var index = 20
            while magnitude > 0 {
                index -= 1
                digits[index] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 48
                magnitude /= 10
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index..<20]))
        }
    }

    static func appendDouble(_ value: Double, to buffer: inout [UInt8]) {
        guard value.isFinite else {
            buffer.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
            return
        }
        // Swift's description is the shortest text that round-trips, keeps ".0"
        // on integral values and uses "e" exponents: all valid JSON.
        buffer.append(contentsOf: value.description.utf8)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendString(_ string: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                    index += 1
                    continue
                }
                if runStart < index {
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                }
                buffer.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.append(byte)
                case 0x08: buffer.append(UInt8(ascii: "b"))
                case 0x0C: buffer.append(UInt8(ascii: "f"))
                case 0x0A: buffer.append(UInt8(ascii: "n"))
                case 0x0D: buffer.append(UInt8(ascii: "r"))
                case 0x09: buffer.append(UInt8(ascii: "t"))
                default:
                    buffer.append(contentsOf: [
                        UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)],
                    ])
                }
                index += 1
                runStart = index
            }
            if runStart < count {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }
}
