import FerryJSON
import FerryPluginSDK
import Glibc

/// The destination side of the file connector: appends batches durably.
///
/// Appends are made idempotent with a sidecar `<path>.ferry-batches` holding
/// one JSON line per committed batch (`{"batch_id", "start", "end"}`), written
/// after the data is fsync'd. A batch id already listed is accepted without
/// writing; bytes past the last committed end (a write that crashed before
/// its sidecar line) are truncated before the next append, so a replay never
/// duplicates. Before the first append the sidecar records where the data
/// starts, so that holds for a crash in the very first batch too. The file is therefore owned by this destination: other writers
/// must not append to it.
final class FileDestination {
    let config: FileConfig
    let host: HostServices
    private var sidecarLoaded = false
    private var committedBatches: Set<String> = []
    private var committedEnd: Int64?
    private var csvColumns: [String]?

    init(config: FileConfig, host: HostServices) {
        self.config = config
        self.host = host
    }

    private var sidecarPath: String { config.path + ".ferry-batches" }

    func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        switch request.operation {
        case .append: break
        case .upsert:
            throw PluginError.unsupported("the file destination only appends; use sqlite or postgres for upserts")
        case .delete: throw PluginError.unsupported("the file destination only appends; it cannot delete records")
        }
        try loadSidecar()
        if !request.batchID.isEmpty && committedBatches.contains(request.batchID) {
            host.log(
                .debug, "Batch already written; accepted without writing again.", ["batch_id": .string(request.batchID)]
            )
            return WriteOutcome(acceptedCount: records.count)
        }
        let existed = BlockReader.size(of: config.path) != nil
        if !existed {
            try FileSystem.createParentFolders(of: config.path)
            try config.fileMode.createFileIfMissing(atPath: config.path)
        }
        let fd = open(config.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            throw PluginError.invalid("cannot open '\(config.path)' for writing: \(Self.lastError())")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw PluginError.retryable("cannot stat '\(config.path)': \(Self.lastError())")
        }
        var size = Int64(info.st_size)
        if let committedEnd, size > committedEnd {
            host.log(
                .warning, "Removing the tail of an unacknowledged earlier write before appending.",
                ["path": .string(config.path), "bytes": .int(size - committedEnd)])
            guard ftruncate(fd, off_t(committedEnd)) == 0 else {
                throw PluginError.retryable("cannot truncate '\(config.path)': \(Self.lastError())")
            }
            size = committedEnd
        }
        if committedEnd == nil {
            // Nothing recorded yet (a new file, or one that existed before this destination): note
            // where its data starts before appending, so a crash in the middle of this first write
            // is undone like any other instead of leaving its records to be written again.
            try appendSidecar(batchID: "", start: size, end: size)
            committedEnd = size
        }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.bytes.count + 256)
        var rejections: [RecordRejection] = []
        switch config.format {
        case .jsonl:
            for line in records.lines {
                bytes.append(contentsOf: line.bytes)
                bytes.append(0x0A)
            }
        case .csv:
            rejections = try encodeCSV(records, fileIsEmpty: size == 0, into: &bytes)
        }
        try Self.writeAll(fd, bytes, path: config.path)
        guard fsync(fd) == 0 else {
            throw PluginError.retryable("fsync of '\(config.path)' failed: \(Self.lastError())")
        }
        if !existed { Self.syncDirectory(of: config.path) }

        let end = size + Int64(bytes.count)
        try appendSidecar(batchID: request.batchID, start: size, end: end)
        committedEnd = end
        if !request.batchID.isEmpty { committedBatches.insert(request.batchID) }
        return WriteOutcome(acceptedCount: records.count - rejections.count, rejections: rejections)
    }

    // MARK: CSV

    private func encodeCSV(_ records: RecordsView, fileIsEmpty: Bool, into bytes: inout [UInt8]) throws
        -> [RecordRejection]
    {
        if fileIsEmpty {
            csvColumns = nil
        } else if csvColumns == nil {
            csvColumns = try existingHeader()
        }
        var rejections: [RecordRejection] = []
        for (index, result) in records.objects().enumerated() {
            let record: JSONObject
            switch result {
            case .failure(let error):
                rejections.append(RecordRejection(index: index, error: error.message))
                continue
            case .success(let object):
                record = object
            }
            if csvColumns == nil {
                csvColumns = record.keys
                CSV.appendRow(record.keys, delimiter: config.delimiter, to: &bytes)
            }
            let columns = csvColumns!
            if let unknown = record.keys.first(where: { !columns.contains($0) }) {
                rejections.append(
                    RecordRejection(
                        index: index,
                        error:
                            "field '\(unknown)' is not a column of '\(config.path)' (columns: \(columns.joined(separator: ", ")))"
                    ))
                continue
            }
            for (position, column) in columns.enumerated() {
                if position > 0 { bytes.append(config.delimiter) }
                CSV.appendValue(record[column] ?? .null, delimiter: config.delimiter, to: &bytes)
            }
            bytes.append(contentsOf: [0x0D, 0x0A])
        }
        return rejections
    }

    private func existingHeader() throws -> [String]? {
        let reader = try BlockReader(path: config.path)
        var parser = CSV.Parser(delimiter: config.delimiter)
        while let line = try reader.nextLine() {
            if let fields = parser.feed(line: line.bytes), !fields.isEmpty { return fields.map(\.text) }
        }
        return nil
    }

    // MARK: Sidecar

    private func loadSidecar() throws {
        guard !sidecarLoaded else { return }
        sidecarLoaded = true
        guard BlockReader.size(of: sidecarPath) != nil else { return }
        let reader = try BlockReader(path: sidecarPath)
        while let line = try reader.nextLine() {
            guard line.terminated, let entry = (try? JSONParser().parse(line.bytes))?.objectValue else { continue }
            if let id = entry["batch_id"]?.stringValue, !id.isEmpty { committedBatches.insert(id) }
            if let end = entry["end"]?.intValue { committedEnd = end }
        }
        if let committedEnd, let size = BlockReader.size(of: config.path), size < committedEnd {
            // The data file was rotated or shortened by someone else: start a new record of ends.
            self.committedEnd = nil
        }
    }

    private func appendSidecar(batchID: String, start: Int64, end: Int64) throws {
        let entry: JSONObject = ["batch_id": .string(batchID), "start": .int(start), "end": .int(end)]
        var bytes = JSONWriter().encode(.object(entry))
        bytes.append(0x0A)
        try config.fileMode.createFileIfMissing(atPath: sidecarPath)
        let fd = open(sidecarPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw PluginError.retryable("cannot open '\(sidecarPath)': \(Self.lastError())") }
        defer { close(fd) }
        try Self.writeAll(fd, bytes, path: sidecarPath)
        guard fsync(fd) == 0 else {
            throw PluginError.retryable("fsync of '\(sidecarPath)' failed: \(Self.lastError())")
        }
    }

    // MARK: Plumbing

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let result = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw PluginError.retryable("write to '\(path)' failed: \(lastError())")
                }
                written += result
            }
        }
    }

    /// Makes a newly created file's directory entry durable.
    private static func syncDirectory(of path: String) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
