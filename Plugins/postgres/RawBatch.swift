import FerryJSON
import FerryPluginSDK

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A batch read without parsing its records: each record's members as spans of the batch's
/// bytes, and its *shape* (its field names, in order), decoded once per run of records that
/// share it. ``CopyWriter`` encodes COPY rows from these spans (``CopyText``).
///
/// Made only when every record's fields are columns of the table already: a batch that adds
/// columns, or holds a record whose fields cannot be columns, takes the parsed path, which
/// alters the table and words the rejections. A record the scan cannot read (not an object,
/// malformed, escaped or non-ASCII field names that fail to decode) is parsed alone.
struct RawBatch {
    /// One record's field names, in order, with what the encoder needs of each.
    struct Shape {
        var keys: [String]
        /// The raw bytes of each name as the records spell it, to tell the next record's shape cheaply.
        var rawKeys: [[UInt8]]
        /// What each field's column does with its text.
        var columns: [CopyText.Column]
        /// Per conflict-target field, its position among `keys` (nil: the records lack it).
        var keyPositions: [Int?]
        /// Per key field with a known column (`CopyWriter.keyColumns`), its position and column.
        var checkedKeys: [(position: Int, column: KeyIdentity.Column)]
    }

    /// One record: its members (spans of `bytes`) and shape, or the record parsed whole.
    enum Record {
        case raw(index: Int, line: Range<Int>, members: Range<Int>, shape: Int)
        case parsed(index: Int, object: JSONObject)
    }

    /// A member's key and value as offsets into the batch's bytes.
    struct Member {
        var key: Range<Int>
        var value: Range<Int>
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var shapes: [Shape] = []
    private(set) var members: [Member] = []
    private(set) var records: [Record] = []
    /// Records that are not objects or whose fields cannot be columns.
    private(set) var rejections: [RecordRejection] = []

    /// Scans the batch; nil when it needs the parsed path (see the type's comment).
    init?(
        _ view: RecordsView, table: TableSchema, conflictTarget: [String],
        keyColumns: [String: KeyIdentity.Column]
    ) {
        bytes = view.bytes
        records.reserveCapacity(view.count)
        members.reserveCapacity(view.count * max(1, table.columns.count))
        guard let base = view.bytes.baseAddress else { return }
        var current: Int?
        for line in view.lines {
            let first = members.count
            do {
                try JSONTopLevelScanner.forEachMember(in: line.bytes) { key, value in
                    let keyStart = UnsafeRawPointer(key.baseAddress!) - base
                    let valueStart = UnsafeRawPointer(value.baseAddress!) - base
                    members.append(
                        Member(
                            key: keyStart..<(keyStart + key.count),
                            value: valueStart..<(valueStart + value.count)))
                }
            } catch {
                members.removeSubrange(first...)
                guard parseAlone(line, table: table) else { return nil }
                continue
            }
            let span = first..<members.count
            if let current, sameShape(span, as: shapes[current]) {
                records.append(.raw(index: line.index, line: line.range, members: span, shape: current))
                continue
            }
            switch makeShape(span, table: table, conflictTarget: conflictTarget, keyColumns: keyColumns) {
            case .some(.some(let shape)):
                shapes.append(shape)
                current = shapes.count - 1
                records.append(.raw(index: line.index, line: line.range, members: span, shape: shapes.count - 1))
            case .some(.none):
                members.removeSubrange(first...)
                guard parseAlone(line, table: table) else { return nil }
            case .none:
                return nil
            }
        }
    }

    /// The raw bytes of `range`.
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range]) }

    private func sameShape(_ span: Range<Int>, as shape: Shape) -> Bool {
        guard span.count == shape.rawKeys.count else { return false }
        for (offset, position) in span.enumerated() {
            let key = members[position].key
            let same = shape.rawKeys[offset].withUnsafeBytes {
                $0.count == key.count && memcmp($0.baseAddress!, bytes.baseAddress! + key.lowerBound, key.count) == 0
            }
            if !same { return false }
        }
        return true
    }

    /// The shape of the members in `span`: nil when the batch needs the parsed path (a field
    /// that is not a column, a name twice); `.some(nil)` when this record must be parsed alone
    /// (a name whose escapes or UTF-8 only the parser may judge).
    private func makeShape(
        _ span: Range<Int>, table: TableSchema, conflictTarget: [String], keyColumns: [String: KeyIdentity.Column]
    ) -> Shape?? {
        var keys: [String] = []
        var rawKeys: [[UInt8]] = []
        for position in span {
            // The name between its quotes: verbatim, or left to the parser.
            let quoted = slice((members[position].key.lowerBound - 1)..<(members[position].key.upperBound + 1))
            guard CopyText.isVerbatimString(quoted) else { return .some(nil) }
            let raw = slice(members[position].key)
            rawKeys.append(Array(raw))
            keys.append(String(decoding: raw, as: UTF8.self))
        }
        guard Set(keys).count == keys.count, keys.allSatisfy(table.contains) else { return nil }
        let checked = keys.enumerated().compactMap { position, key in
            keyColumns[key].map { (position: position, column: $0) }
        }
        return Shape(
            keys: keys, rawKeys: rawKeys, columns: keys.map { CopyText.Column(type: table.column($0)?.type ?? "text") },
            keyPositions: conflictTarget.map { keys.firstIndex(of: $0) }, checkedKeys: checked)
    }

    /// Parses a record the scan could not take. False when its fields are not all columns
    /// (the batch then takes the parsed path).
    private mutating func parseAlone(_ line: NDJSONLines.Line, table: TableSchema) -> Bool {
        guard case .object(let object)? = try? JSONParser().parse(line.bytes) else {
            rejections.append(RecordRejection(index: line.index, error: "record is not a JSON object"))
            return true
        }
        if let problem = ColumnRules.fieldProblem(object) {
            rejections.append(RecordRejection(index: line.index, error: problem))
            return true
        }
        guard object.keys.allSatisfy(table.contains) else { return false }
        records.append(.parsed(index: line.index, object: object))
        return true
    }
}

/// A batch parsed record by record, for the paths that need values: a record that is not an
/// object, or (outside deletes) whose fields cannot be columns, is nil with its rejection.
struct ParsedRecords {
    private(set) var objects: [JSONObject?] = []
    private(set) var rejections: [RecordRejection] = []

    init(_ records: RecordsView, operation: WriteOperation) {
        objects.reserveCapacity(records.count)
        let parser = JSONParser()
        for line in records.lines {
            if case .object(let object)? = try? parser.parse(line.bytes) {
                if operation != .delete, let problem = ColumnRules.fieldProblem(object) {
                    objects.append(nil)
                    rejections.append(RecordRejection(index: line.index, error: problem))
                } else {
                    objects.append(object)
                }
            } else {
                objects.append(nil)
                rejections.append(RecordRejection(index: line.index, error: "record is not a JSON object"))
            }
        }
    }
}
