import FerryJSON
import FerryPluginSDK
import Foundation
import Synchronization

/// Reads the demo sources of the process finished (`await_read_ahead_s`).
let finishedReads = Atomic<Int>(0)

/// One demo connection: source, destination and transform at once.
public final class DemoConnector: SourceConnector, DestinationConnector, TransformConnector {
    let config: DemoConfig
    let host: HostServices
    private var cancelled = false
    /// Batches this sink was given (`await_read_ahead_s`).
    private var writes = 0

    init(config: DemoConfig, host: HostServices) throws {
        self.config = config
        self.host = host
        let opened = Int(try host.state("opened") ?? "0") ?? 0
        try host.setState(String(opened + 1), for: "opened")
        host.log(.debug, "Demo connection opened.", ["count": .int(config.count)])
    }

    public func check() throws -> CheckReport { CheckReport(ok: true, message: "Demo connector is always reachable.") }

    public func cancel() { cancelled = true }

    public func discover() throws -> [StreamDescriptor] {
        [
            StreamDescriptor(
                name: "numbers",
                schema: [
                    "type": "object",
                    "properties": [
                        "id": ["type": "integer"], "value": ["type": "integer"],
                        "label": ["type": "string"], "updated_at": ["type": "integer"],
                    ],
                ],
                primaryKey: ["id"], cursorField: "updated_at")
        ]
    }

    public func read(_ request: ReadRequest) throws -> any BatchReader {
        guard request.stream == "numbers" else {
            throw PluginError.invalid("unknown stream '\(request.stream)'; the demo source has 'numbers'")
        }
        let start = request.fullRefresh ? 0 : (request.checkpoint?["last_id"]?.intValue ?? 0)
        return CounterReader(
            next: start + 1, last: config.count, batchSize: max(1, request.batchSize),
            quotaBatches: config.quotaBatches, connector: self)
    }

    public func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        if let seconds = config.awaitReadAhead, records.count > 0 {
            writes += 1
            try awaitRead(writes + 1, seconds: seconds)
        }
        var rejections: [RecordRejection] = []
        var assigned: [AssignedID] = []
        for (index, result) in records.objects().enumerated() {
            switch result {
            case .failure(let error):
                rejections.append(RecordRejection(index: index, error: error.message))
            case .success(let record):
                if let field = config.rejectField, record[field]?.boolValue == true {
                    rejections.append(RecordRejection(index: index, error: "field '\(field)' is true"))
                } else if request.operation != .delete, let id = record["id"] {
                    assigned.append(AssignedID(index: index, destinationID: "demo-\(JSONWriter().encodeString(id))"))
                }
            }
        }
        host.count("demo.records_discarded", by: Double(records.count - rejections.count))
        return WriteOutcome(
            acceptedCount: records.count - rejections.count, rejections: rejections, assignedIDs: assigned)
    }

    public func transform(_ request: TransformRequest, records: RecordsView) throws -> TransformOutcome {
        var output = RecordBatch()
        var rejections: [RecordRejection] = []
        for (index, result) in records.objects().enumerated() {
            switch result {
            case .failure(let error): rejections.append(RecordRejection(index: index, error: error.message))
            case .success(var record):
                record["tag"] = .string(config.tag)
                output.append(record)
            }
        }
        return TransformOutcome(records: output, rejections: rejections)
    }

    fileprivate var isCancelled: Bool { cancelled || host.isCancelled }

    private func awaitRead(_ count: Int, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while finishedReads.load(ordering: .acquiring) < count {
            guard Date() < deadline else {
                throw PluginError.invalid(
                    "await_read_ahead_s: the source had not finished read \(count) while batch \(count - 1) was written"
                )
            }
            usleep(1000)
        }
    }
}

/// Emits `{"id", "value", "label", "updated_at"}` records up to the configured count.
final class CounterReader: BatchReader {
    private var nextID: Int64
    private let last: Int64
    private let batchSize: Int
    private var quotaLeft: Int?
    private unowned let connector: DemoConnector

    init(next: Int64, last: Int64, batchSize: Int, quotaBatches: Int?, connector: DemoConnector) {
        self.nextID = next
        self.last = last
        self.batchSize = batchSize
        self.quotaLeft = quotaBatches
        self.connector = connector
    }

    var isComplete: Bool { nextID > last }

    func next() throws -> RecordBatch? {
        defer { finishedReads.add(1, ordering: .releasing) }
        if connector.isCancelled { throw PluginError.cancelled() }
        if let left = quotaLeft {
            guard left > 0 else {
                throw PluginError.rateLimited(
                    "daily request quota used up; it resets at midnight UTC", retryAfter: 86_400)
            }
            quotaLeft = left - 1
        }
        guard nextID <= last else { return nil }
        let end = min(last, nextID + Int64(batchSize) - 1)
        var batch = RecordBatch(reservingBytes: batchSize * 64)
        for id in nextID...end {
            batch.append(["id": .int(id), "value": .int(id * 2), "label": .string("n\(id)"), "updated_at": .int(id)])
        }
        batch.checkpoint = ["last_id": .int(end)]
        nextID = end + 1
        return batch
    }
}
