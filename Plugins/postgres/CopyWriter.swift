import FerryJSON
import FerryPluginSDK

/// Groups records into runs loaded with `COPY … FROM STDIN` (text format) into a staging
/// table, each then merged into the target by one `INSERT … SELECT`.
///
/// A run holds consecutive records with the same fields in the same order (a field a
/// record lacks must not become NULL in the target), and never one key twice: as in
/// `RowWriter`, a repeated key starts the next run, so runs merged in order leave the last
/// record of each key, and `ON CONFLICT DO UPDATE` never meets a key twice in one command.
struct CopyWriter {
    /// One run, ready to load.
    struct Run {
        var columns: [String]
        /// The rows in COPY's text format, each ending in a newline.
        var data: [UInt8]
        /// The batch index of each row.
        var indexes: [Int]
        /// How many bytes of `data` were already streamed into an open COPY (`streamUnsent`).
        var streamedCount = 0
    }

    let table: TableSchema
    let operation: WriteOperation
    let conflictTarget: [String]
    /// What each key field's column holds exactly; a key value it cannot hold rejects the record.
    let keyColumns: [String: KeyIdentity.Column]

    private var columns: [String] = []
    private var jsonColumns: [Bool] = []
    private var data: [UInt8] = []
    /// One value's unescaped text, reused from value to value.
    private var text: [UInt8] = []
    /// One row's COPY text and one record's key, reused from record to record (raw path).
    private var row: [UInt8] = []
    private var key: [UInt8] = []
    /// The `RawBatch` shape of the run's records when they came raw, to skip comparing names.
    private var runShape: Int?
    private let parser = JSONParser()
    private var indexes: [Int] = []
    /// Hashes of the run's keys: a collision only ends a run early, which is harmless.
    private var keysInRun: Set<UInt64> = []
    /// How many bytes of the run in progress `streamUnsent` handed out.
    private var streamedCount = 0

    /// The columns of the run in progress (meaningful once a record was added to it).
    var runColumns: [String] { columns }
    /// Bytes of the run in progress not yet streamed.
    var unstreamedCount: Int { data.count - streamedCount }

    init(
        table: TableSchema, operation: WriteOperation, conflictTarget: [String],
        keyColumns: [String: KeyIdentity.Column] = [:]
    ) {
        self.table = table
        self.operation = operation
        self.conflictTarget = conflictTarget
        self.keyColumns = keyColumns
    }

    /// Adds a record; returns the run it ended, if it ended one. Throws `PluginError` for a
    /// record that cannot be sent (the others go on).
    mutating func add(_ object: JSONObject, index: Int) throws -> Run? {
        let key = try RowWriter.checkedKey(
            of: object, operation: operation, conflictTarget: conflictTarget, keyColumns: keyColumns)
        let members = object.members
        for member in members { try RowWriter.validate(member.value) }
        let keyHash = XXHash64.hash(key)
        var ended: Run?
        if !indexes.isEmpty && (!RowWriter.sameKeys(members, columns) || keysInRun.contains(keyHash)) {
            ended = finish()
        }
        runShape = nil
        if indexes.isEmpty {
            columns = members.map(\.key)
            jsonColumns = columns.map { table.column($0)?.isJSON ?? false }
            keysInRun.removeAll(keepingCapacity: true)
        }
        for (position, member) in members.enumerated() {
            if position > 0 { data.append(UInt8(ascii: "\t")) }
            append(member.value, asJSON: jsonColumns[position])
        }
        data.append(UInt8(ascii: "\n"))
        indexes.append(index)
        if operation == .upsert { keysInRun.insert(keyHash) }
        return ended
    }

    /// Adds a record from its raw members (`RawBatch`), encoding COPY text from its bytes.
    /// - Returns: The run it ended, if any; nil for the whole result when the record needs
    ///   the parsed path (`add(_:index:)`), which then rejects it with its reasons or adds it.
    ///   Nothing is changed then.
    mutating func add(
        raw members: ArraySlice<RawBatch.Member>, shape: RawBatch.Shape, shapeID: Int, in batch: RawBatch, index: Int
    ) -> Run?? {
        key.removeAll(keepingCapacity: true)
        for (position, column) in shape.checkedKeys {
            let value = batch.slice(members[members.startIndex + position].value)
            switch value.first {
            case UInt8(ascii: "\""): guard column != .integer else { return nil }
            case UInt8(ascii: "n"): break
            default: guard column != .text, CopyText.isPlainInteger(value) else { return nil }
            }
        }
        if operation == .upsert {
            for position in shape.keyPositions {
                guard let position else { return nil }
                let value = batch.slice(members[members.startIndex + position].value)
                guard CopyText.isPlainInteger(value) || CopyText.isVerbatimString(value) else { return nil }
                key.append(contentsOf: value)
                key.append(0)
            }
        }
        row.removeAll(keepingCapacity: true)
        for (position, member) in members.enumerated() {
            if position > 0 { row.append(UInt8(ascii: "\t")) }
            let value = batch.slice(member.value)
            let column = shape.columns[position]
            if CopyText.append(raw: value, column: column, to: &row) { continue }
            // Objects, arrays, other numbers, strings in JSON columns: this value alone is parsed.
            guard let parsed = try? parser.parse(value), (try? RowWriter.validate(parsed)) != nil else { return nil }
            Self.appendField(parsed, asJSON: column.isJSON, text: &text, to: &row)
        }
        let keyHash = XXHash64.hash(key)
        var ended: Run?
        if !indexes.isEmpty && ((runShape != shapeID && shape.keys != columns) || keysInRun.contains(keyHash)) {
            ended = finish()
        }
        if indexes.isEmpty {
            columns = shape.keys
            jsonColumns = shape.columns.map(\.isJSON)
            keysInRun.removeAll(keepingCapacity: true)
        }
        runShape = shapeID
        data.append(contentsOf: row)
        data.append(UInt8(ascii: "\n"))
        indexes.append(index)
        if operation == .upsert { keysInRun.insert(keyHash) }
        return .some(ended)
    }

    /// The run of the records added since the last one, or nil when there are none.
    mutating func finish() -> Run? {
        guard !indexes.isEmpty else { return nil }
        defer {
            streamedCount = 0
            data.removeAll(keepingCapacity: true)
            indexes.removeAll(keepingCapacity: true)
            keysInRun.removeAll(keepingCapacity: true)
        }
        return Run(columns: columns, data: data, indexes: indexes, streamedCount: streamedCount)
    }

    /// Hands the rows of the run in progress not yet streamed to `send`, so the server
    /// loads them while the next ones are encoded; the run keeps them whole for a resend.
    mutating func streamUnsent(_ send: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        defer { streamedCount = data.count }
        return data.withUnsafeBufferPointer { send(UnsafeBufferPointer(rebasing: $0[streamedCount...])) }
    }

    /// One value in COPY's text format: `\N` for null, else its column text
    /// (`RowWriter.columnText`) with backslash, tab, newline and carriage return escaped.
    mutating func append(_ value: JSONValue, asJSON: Bool) {
        Self.appendField(value, asJSON: asJSON, text: &text, to: &data)
    }

    /// Appends `value`'s field to `data`, its text built in `text` (a buffer reused by the caller).
    private static func appendField(_ value: JSONValue, asJSON: Bool, text: inout [UInt8], to data: inout [UInt8]) {
        guard !value.isNull else { return data.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")]) }
        text.removeAll(keepingCapacity: true)
        RowWriter.columnText(of: value, asJSON: asJSON, into: &text)
        text.withUnsafeBufferPointer { CopyText.appendEscaped($0, to: &data) }
    }
}
