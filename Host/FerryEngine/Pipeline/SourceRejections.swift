import FerryJSON
import FerryPluginSDK

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the records a source marked as rejected (`SourceRejection`): they become dead
/// letters (stage `source`) and the rest of the batch goes on.
enum SourceRejections {
    private static let marker = Array("\"\(SourceRejection.field)\"".utf8)
    private static let field = [Array(SourceRejection.field.utf8)]

    /// The marked records' errors by line index; empty (after one fast byte search over the
    /// whole batch) when no record carries the marker, the common case.
    static func find(in records: [UInt8], lines: LineIndex) -> [Int: String] {
        guard contains(records, marker) else { return [:] }
        var found: [Int: String] = [:]
        for index in 0..<lines.count {
            let line = lines.bytes(of: index)
            guard contains(line, marker) else { continue }
            // A malformed line is left for the stages that report it.
            guard
                let values = try? line.withUnsafeBytes({ bytes throws(JSONParseError) in
                    try JSONTopLevelScanner.values(of: field, in: bytes)
                }),
                let value = values.first ?? nil
            else { continue }
            found[index] = value["error"]?.stringValue ?? "rejected by the source"
        }
        return found
    }

    /// Whether `needle` (a quoted key starting `"__`) occurs in `haystack`: memchr jumps from
    /// underscore to underscore, which are rare in most records, and each is compared there.
    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                guard let base = hay.baseAddress, pin.count >= 2, hay.count >= pin.count else { return false }
                var offset = 1
                while offset <= hay.count - pin.count + 1 {
                    guard let found = memchr(base + offset, Int32(UInt8(ascii: "_")), hay.count - offset) else {
                        return false
                    }
                    let index = base.distance(to: UnsafeRawPointer(found))
                    if index - 1 + pin.count <= hay.count, memcmp(base + index - 1, pin.baseAddress!, pin.count) == 0 {
                        return true
                    }
                    offset = index + 1
                }
                return false
            }
        }
    }
}
