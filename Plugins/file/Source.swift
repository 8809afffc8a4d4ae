import FerryJSON
import FerryPluginSDK

/// The source side of the file connector: one stream, the file's records.
final class FileSource {
    /// How many records `discover` samples to infer the schema.
    static let sampleSize = 100
    /// How many leading bytes of the file the checkpoint fingerprints, to notice a replaced file.
    static let headBytes = 4096

    let config: FileConfig
    let host: HostServices
    let isCancelled: () -> Bool

    init(config: FileConfig, host: HostServices, isCancelled: @escaping () -> Bool) {
        self.config = config
        self.host = host
        self.isCancelled = isCancelled
    }

    /// The file's one stream, its schema inferred from the first records.
    func discover() throws -> [StreamDescriptor] {
        var properties: [(name: String, types: [String])] = []
        if BlockReader.size(of: config.path) != nil {
            let records = try RecordCursor(config: config, offset: 0)
            var seen = 0
            while seen < Self.sampleSize, let record = try records.next() {
                guard let object = record.object ?? Self.parseObject(record.line) else { continue }
                seen += 1
                for (key, value) in object {
                    guard let type = Self.schemaType(of: value) else { continue }
                    if let index = properties.firstIndex(where: { $0.name == key }) {
                        properties[index].types = Self.merged(properties[index].types, type)
                    } else {
                        properties.append((key, [type]))
                    }
                }
            }
        }
        let schemaProperties = JSONObject(
            properties.map { property in
                (
                    key: property.name,
                    value: property.types.count == 1
                        ? ["type": .string(property.types[0])] as JSONValue
                        : ["type": .array(property.types.map(JSONValue.string))]
                )
            })
        return [
            StreamDescriptor(
                name: config.stream, schema: ["type": "object", "properties": .object(schemaProperties)],
                primaryKey: config.primaryKey, cursorField: config.cursorField)
        ]
    }

    /// Starts reading: from the checkpoint's offset when the file still holds
    /// it, else from the start, skipping records at or before the checkpoint's
    /// cursor (minus the lookback) when a cursor field is set.
    func read(_ request: ReadRequest) throws -> any BatchReader {
        guard request.stream == config.stream else {
            throw PluginError.invalid("unknown stream '\(request.stream)'; this file holds '\(config.stream)'")
        }
        guard let size = BlockReader.size(of: config.path) else {
            throw PluginError.invalid("file '\(config.path)' does not exist")
        }
        let cursorField = request.cursorField ?? config.cursorField
        let checkpoint = request.fullRefresh ? nil : request.checkpoint
        var filter = RecordFilter(cursorField: cursorField)
        filter.since = request.since.map(CursorValue.init(text:))
        filter.until = request.until.map(CursorValue.init(text:))
        var start: Int64 = 0
        if let checkpoint {
            let offset = checkpoint["offset"]?.intValue ?? 0
            let head = checkpoint["head"]?.stringValue
            if offset <= size && (head == nil || head == Self.headHash(path: config.path, upTo: offset)) {
                start = offset
            } else {
                host.log(
                    .info, "File was replaced or truncated; reading it again from the start.",
                    ["path": .string(config.path), "offset": .int(offset), "size": .int(size)])
                if let cursor = checkpoint["cursor"].flatMap(CursorValue.init) {
                    filter.floor = cursor.movedBack(bySeconds: request.lookback ?? 0)
                }
            }
        }
        let records = try RecordCursor(config: config, offset: start)
        let maxCursor = checkpoint?["cursor"].flatMap { $0.isNull ? nil : $0 }
        return FileReader(
            records: records, filter: filter, maxCursor: maxCursor,
            batchSize: max(1, request.batchSize), source: self)
    }

    /// The fingerprint of the file's first `min(offset, headBytes)` bytes.
    static func headHash(path: String, upTo offset: Int64) -> String {
        let prefix = BlockReader.prefix(of: path, count: Int(min(offset, Int64(headBytes))))
        return hexHash(prefix)
    }

    static func hexHash(_ bytes: [UInt8]) -> String {
        let hash = XXHash64.hash(bytes)
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func parseObject(_ line: [UInt8]?) -> JSONObject? {
        guard let line else { return nil }
        return (try? JSONParser().parse(line))?.objectValue
    }

    private static func schemaType(of value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    private static func merged(_ types: [String], _ type: String) -> [String] {
        if types.contains(type) { return types }
        if type == "integer" && types.contains("number") { return types }
        if type == "number", let index = types.firstIndex(of: "integer") {
            var widened = types
            widened[index] = "number"
            return widened
        }
        return types + [type]
    }
}

/// Which records a read keeps: those after the resume floor and inside
/// `since ..< until`, compared on the cursor field. A record without a
/// comparable cursor value is kept.
struct RecordFilter {
    var cursorField: String?
    /// Keep only records whose cursor is greater than this.
    var floor: CursorValue?
    /// Inclusive lower bound.
    var since: CursorValue?
    /// Exclusive upper bound.
    var until: CursorValue?

    var filters: Bool { cursorField != nil && (floor != nil || since != nil || until != nil) }

    func admits(_ cursor: CursorValue?) -> Bool {
        guard let cursor else { return true }
        if let floor, let order = cursor.compare(floor), order <= 0 { return false }
        if let since, let order = cursor.compare(since), order < 0 { return false }
        if let until, let order = cursor.compare(until), order >= 0 { return false }
        return true
    }
}

/// One record as the file holds it: the raw line (JSONL) or the parsed row (CSV),
/// with the file offset just after it.
struct FileRecord {
    var line: [UInt8]?
    var object: JSONObject?
    var end: Int64
}

/// Walks the records of a JSONL or CSV file from an offset.
final class RecordCursor {
    private let config: FileConfig
    private let blocks: BlockReader
    private var parser: CSV.Parser
    private var header: [String] = []
    private let path: String
    /// The offset just after the last record returned (or skipped blank line).
    private(set) var offset: Int64
    /// Set when the file ends inside an incomplete record, which is left for a later run.
    private(set) var incompleteTail = false

    init(config: FileConfig, offset: Int64) throws {
        self.config = config
        self.path = config.path
        parser = CSV.Parser(delimiter: config.delimiter)
        var start = offset
        if config.format == .csv {
            let headerReader = try BlockReader(path: config.path, maxLineBytes: config.maxRecordBytes)
            var headerParser = CSV.Parser(delimiter: config.delimiter)
            var first = true
            while let line = try headerReader.nextLine() {
                let bytes = first ? Self.withoutByteOrderMark(line.bytes) : line.bytes
                first = false
                if let fields = headerParser.feed(line: bytes), !fields.isEmpty {
                    header = fields.map(\.text)
                    start = max(start, line.end)
                    break
                }
            }
        }
        blocks = try BlockReader(path: config.path, offset: start, maxLineBytes: config.maxRecordBytes)
        self.offset = start
        atFileStart = start == 0
    }

    /// Whether the next line is the file's first, which may start with a byte order mark.
    private var atFileStart: Bool

    /// `bytes` without a leading UTF-8 byte order mark (Windows tools write one at the
    /// start of a file). It is not part of the first record or header: left in, it reached
    /// the record's hash and the first CSV column's name ("\u{FEFF}id").
    static func withoutByteOrderMark(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF else { return bytes }
        return UnsafeRawBufferPointer(rebasing: bytes[3...])
    }

    /// The next record, or nil at the end of the file.
    func next() throws -> FileRecord? {
        while let line = try blocks.nextLine() {
            let bytes = atFileStart ? Self.withoutByteOrderMark(line.bytes) : line.bytes
            atFileStart = false
            switch config.format {
            case .jsonl:
                if Self.isBlank(bytes) {
                    offset = line.end
                    continue
                }
                if !line.terminated && (try? JSONParser().parse(bytes)) == nil {
                    incompleteTail = true // probably still being written: left for the next run
                    return nil
                }
                offset = line.end
                return FileRecord(line: Array(bytes), object: nil, end: line.end)
            case .csv:
                guard let fields = parser.feed(line: bytes) else {
                    if !line.terminated { incompleteTail = true }
                    continue
                }
                offset = line.end
                if fields.isEmpty { continue }
                return FileRecord(line: nil, object: row(fields), end: line.end)
            }
        }
        return nil
    }

    private func row(_ fields: [CSV.Field]) -> JSONObject {
        var members: [(key: String, value: JSONValue)] = []
        members.reserveCapacity(max(fields.count, header.count))
        for (index, field) in fields.enumerated() {
            let name = index < header.count ? header[index] : "column_\(index + 1)"
            let value: JSONValue =
                config.infersTypes && !field.quoted ? CSV.inferredValue(field.text) : .string(field.text)
            members.append((name, value))
        }
        if fields.count < header.count {
            for name in header[fields.count...] { members.append((name, .null)) }
        }
        return JSONObject(members)
    }

    private static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }
}

/// Emits the file's records in batches with `{"offset", "cursor", "head"}` checkpoints.
final class FileReader: BatchReader {
    private let records: RecordCursor
    private let filter: RecordFilter
    private var maxCursor: JSONValue?
    private var maxCursorValue: CursorValue?
    private let batchSize: Int
    private let source: FileSource
    private var finished = false
    /// Read to the end of the file, with no half-written record at its end.
    var isComplete: Bool { finished && !records.incompleteTail }
    private var cachedHead: String?

    init(records: RecordCursor, filter: RecordFilter, maxCursor: JSONValue?, batchSize: Int, source: FileSource) {
        self.records = records
        self.filter = filter
        self.maxCursor = maxCursor
        self.maxCursorValue = maxCursor.flatMap(CursorValue.init)
        self.batchSize = batchSize
        self.source = source
    }

    func next() throws -> RecordBatch? {
        if source.isCancelled() { throw PluginError.cancelled() }
        guard !finished else { return nil }
        var batch = RecordBatch(reservingBytes: batchSize * 128)
        let tracksCursor = filter.cursorField != nil
        while batch.count < batchSize {
            guard let record = try records.next() else {
                finished = true
                if records.incompleteTail {
                    source.host.log(
                        .warning, "The file ends with an incomplete record; it is left for the next run.",
                        ["path": .string(source.config.path), "offset": .int(records.offset)])
                }
                break
            }
            if tracksCursor, let field = filter.cursorField {
                let object = record.object ?? FileSource.parseObject(record.line)
                let cursor = object?[field].flatMap(CursorValue.init)
                if !filter.admits(cursor) { continue }
                if let cursor, let value = object?[field] {
                    if let current = maxCursorValue {
                        if let order = cursor.compare(current), order > 0 {
                            maxCursorValue = cursor
                            maxCursor = value
                        }
                    } else {
                        maxCursorValue = cursor
                        maxCursor = value
                    }
                }
            }
            if let line = record.line {
                batch.append(encodedRecord: line)
            } else if let object = record.object {
                batch.append(object)
            }
        }
        guard !batch.isEmpty else { return nil }
        batch.checkpoint = [
            "offset": .int(records.offset),
            "cursor": maxCursor ?? .null,
            "head": .string(headHash(upTo: records.offset)),
        ]
        return batch
    }

    /// The head fingerprint, read once the offset passed the fingerprinted prefix.
    private func headHash(upTo offset: Int64) -> String {
        if let cachedHead { return cachedHead }
        let hash = FileSource.headHash(path: source.config.path, upTo: offset)
        if offset >= Int64(FileSource.headBytes) { cachedHead = hash }
        return hash
    }
}
