/// A gzip encoder (RFC 1952) for the simulators, with no zlib to link: the body goes into
/// DEFLATE "stored" blocks (RFC 1951 §3.2.4), which every gzip decoder reads. Nothing is
/// compressed; what a client must do with `Content-Encoding: gzip` is the same.
enum Gzip {
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        // Magic, deflate, no flags, no time, no extra flags, OS unknown.
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255]
        var offset = 0
        repeat {
            let length = min(65_535, bytes.count - offset)
            let final: UInt8 = offset + length == bytes.count ? 1 : 0
            out.append(final) // BFINAL, BTYPE 00 (stored), padded to the byte
            out += littleEndian(UInt32(length), bytes: 2) + littleEndian(UInt32(~UInt16(length)), bytes: 2)
            out += bytes[offset..<(offset + length)]
            offset += length
        } while offset < bytes.count
        return out + littleEndian(crc32(bytes), bytes: 4)
            + littleEndian(UInt32(truncatingIfNeeded: bytes.count), bytes: 4)
    }

    private static func littleEndian(_ value: UInt32, bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    /// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as gzip's trailer carries it.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
