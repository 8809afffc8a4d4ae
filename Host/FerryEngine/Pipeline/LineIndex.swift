import FerryJSON

/// The line boundaries of an NDJSON buffer, found once, so records can be
/// picked out by index without copying the whole batch line by line.
struct LineIndex {
    private let buffer: [UInt8]
    private let ranges: [Range<Int>]

    init(_ buffer: [UInt8]) {
        self.buffer = buffer
        ranges = buffer.withUnsafeBytes { bytes in NDJSONLines(bytes).map(\.range) }
    }

    var count: Int { ranges.count }

    /// The first record's bytes, if any.
    var first: [UInt8]? { ranges.isEmpty ? nil : bytes(of: 0) }

    func bytes(of index: Int) -> [UInt8] { Array(buffer[ranges[index]]) }
}
