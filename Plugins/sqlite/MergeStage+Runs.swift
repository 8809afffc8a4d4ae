import FerryPluginSDK

/// A sorted run of the merge stage in its `SpillFile`: rows one after another, each its values'
/// length bytes and then its values as stored (`StagedValueLayout`).
struct SpilledRun {
    let start: Int
    let end: Int
}

/// A row's key in the k-way merge: as `WriteOrder.Key` orders it, column by column.
struct MergeKey: Comparable {
    let first: WriteOrder.Key
    /// The other key columns (none for a one-column key, the usual case: no array to allocate).
    let rest: [WriteOrder.Key]

    /// The key of the row whose values `value` gives by column position.
    init(positions: [Int], value: (Int) -> UnsafeRawBufferPointer) throws {
        func part(_ position: Int) throws -> WriteOrder.Key {
            // A run holds only rows whose keys were ordered when it was spilled.
            guard let key = try MergeStage.key(value(position)) else {
                throw PluginError.retryable("a staged key could not be read back from its spilled run")
            }
            return key
        }
        first = try part(positions[0])
        rest = try positions.dropFirst().map(part)
    }

    static func < (left: MergeKey, right: MergeKey) -> Bool {
        left.first != right.first ? left.first < right.first : left.rest.lexicographicallyPrecedes(right.rest)
    }
}

/// Reads one spilled run row by row through a buffer of its own, refilled as rows are consumed.
/// The current row's bytes stay where they are until `advance`.
struct RunReader {
    private let file: SpillFile
    private let columnCount: Int
    /// The file offset of the next byte not in the buffer, and the run's end.
    private var next: Int
    private let end: Int
    private var buffer: [UInt8]
    /// The buffer's unread bytes: `start..<filled`; the current row is its first `rowBytes`.
    private var start = 0
    private var filled = 0
    private var rowBytes = 0

    init(file: SpillFile, run: SpilledRun, columnCount: Int, bufferBytes: Int = 128 << 10) {
        self.file = file
        self.columnCount = columnCount
        next = run.start
        end = run.end
        buffer = [UInt8](repeating: 0, count: bufferBytes)
    }

    /// A row's length bytes, one a value.
    private var headerBytes: Int { columnCount }

    /// Moves to the next row; false at the run's end.
    mutating func advance() throws -> Bool {
        start += rowBytes
        rowBytes = 0
        guard try ensure(headerBytes) else { return false }
        // The row's size, from its length bytes and the counts before its long values, each
        // read in once it is needed (`ensure` may move the row to the buffer's start).
        var total = headerBytes
        for column in 0..<columnCount {
            let length = buffer[start + column]
            if length == StagedValueLayout.long {
                try ensureInRun(total + StagedValueLayout.longHeaderBytes)
                let next = buffer.withUnsafeBytes {
                    StagedValueLayout.extent(of: length, at: start + total, in: $0).next
                }
                total = next - start
            } else {
                total += Int(length)
            }
        }
        try ensureInRun(total)
        rowBytes = total
        return true
    }

    /// Reads on until the current row's first `count` bytes are in the buffer; a row longer than
    /// what is left of its run means the run is not what was written.
    private mutating func ensureInRun(_ count: Int) throws {
        guard count <= filled - start + end - next, try ensure(count) else { throw Self.cutShort }
    }

    /// The current row's key.
    func key(at positions: [Int]) throws -> MergeKey {
        try buffer.withUnsafeBytes { bytes in
            try MergeKey(positions: positions) { position in
                let value = StagedValueLayout.value(
                    at: position, rowLengths: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + headerBytes)]),
                    storedFrom: start + headerBytes, in: bytes)
                return UnsafeRawBufferPointer(rebasing: bytes[value])
            }
        }
    }

    /// Appends the current row to a buffer laid out as the stage's own (`StagedRows`).
    func copyRow(into arena: inout [UInt8], lengths: inout [UInt8]) {
        buffer.withUnsafeBytes { bytes in
            lengths.append(contentsOf: bytes[start..<(start + headerBytes)])
            arena.append(
                contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(start + headerBytes)..<(start + rowBytes)])
                    .assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Whether `count` unread bytes are in the buffer, reading on as needed; false when the run
    /// ended exactly at `start` (no more rows).
    private mutating func ensure(_ count: Int) throws -> Bool {
        if filled - start >= count { return true }
        if start > 0 {
            let unread = filled - start
            let from = start
            buffer.withUnsafeMutableBytes { bytes in
                bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + from, byteCount: unread)
            }
            start = 0
            filled = unread
        }
        if buffer.count < count { buffer.append(contentsOf: repeatElement(0, count: count - buffer.count)) }
        while filled < count, next < end {
            let room = min(buffer.count - filled, end - next)
            let (file, next, filled) = (self.file, self.next, self.filled)
            let read = try buffer.withUnsafeMutableBytes { bytes in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[filled..<(filled + room)]), at: next)
            }
            guard read > 0 else { throw Self.cutShort }
            self.filled += read
            self.next += read
        }
        if filled >= count { return true }
        if filled == 0 { return false }
        throw Self.cutShort
    }

    private static let cutShort = PluginError.retryable("a spilled run of staged upserts was cut short")
}
