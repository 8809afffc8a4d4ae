extension SwiftPluginTemplate {
    static func connector(_ kind: PluginKind) -> String {
        switch kind {
        case .source: sourceConnector
        case .destination: destinationConnector
        case .transform: transformConnector
        }
    }

    static let sourceConnector = """
        import FerryJSON
        import FerryPluginSDK

        /// One connection. Replace the counter with your API: stream "items", records
        /// `{"id": N, "name": "item N"}` for N in (checkpoint.last_id, count], checkpoint `{"last_id": N}`.
        public final class __TYPE__Connector: SourceConnector {
            let count: Int64
            let host: HostServices
            fileprivate var cancelled = false

            init(config: JSONObject, host: HostServices) throws {
                count = try __TYPE__Plugin.configKeys.parse(config).integer("count")
                self.host = host
            }

            public func cancel() { cancelled = true }

            public func discover() throws -> [StreamDescriptor] {
                [
                    StreamDescriptor(
                        name: "items",
                        schema: ["type": "object", "properties": ["id": ["type": "integer"], "name": ["type": "string"]]],
                        primaryKey: ["id"], cursorField: nil)
                ]
            }

            public func read(_ request: ReadRequest) throws -> any BatchReader {
                guard request.stream == "items" else { throw PluginError.invalid("unknown stream '\\(request.stream)'; __NAME__ has 'items'") }
                // The checkpoint is what an earlier batch returned, handed back once that batch was written.
                let after = request.fullRefresh ? 0 : (request.checkpoint?["last_id"]?.intValue ?? 0)
                return ItemReader(next: after + 1, last: count, batchSize: max(1, request.batchSize), connector: self)
            }
        }

        /// Reads the items in batches; moves its position only once a batch is built.
        final class ItemReader: BatchReader {
            private var nextID: Int64
            private let last: Int64
            private let batchSize: Int64
            private let connector: __TYPE__Connector

            init(next: Int64, last: Int64, batchSize: Int, connector: __TYPE__Connector) {
                nextID = next
                self.last = last
                self.batchSize = Int64(batchSize)
                self.connector = connector
            }

            /// True at the end: every item to the stream's end was returned (a mirror may delete the rest).
            var isComplete: Bool { nextID > last }

            func next() throws -> RecordBatch? {
                if connector.cancelled || connector.host.isCancelled { throw PluginError.cancelled() }
                guard nextID <= last else { return nil }
                let end = min(last, nextID + batchSize - 1)
                var batch = RecordBatch(checkpoint: ["last_id": .int(end)])
                for id in nextID...end { batch.append(["id": .int(id), "name": .string("item \\(id)")]) }
                nextID = end + 1
                return batch
            }
        }

        """

    static let destinationConnector = """
        import FerryJSON
        import FerryPluginSDK

        /// One connection. Replace the body of `write` with your system: here every record is
        /// counted as stored, except those that are not JSON objects or have `reject_field` true,
        /// which are rejected by index. `write` must return only once accepted records are durable.
        public final class __TYPE__Connector: DestinationConnector {
            let rejectField: String?
            let host: HostServices
            private var cancelled = false

            init(config: JSONObject, host: HostServices) throws {
                rejectField = try __TYPE__Plugin.configKeys.parse(config).optionalString("reject_field")
                self.host = host
            }

            public func cancel() { cancelled = true }

            public func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
                if cancelled || host.isCancelled { throw PluginError.cancelled() }
                var rejections: [RecordRejection] = []
                for (index, result) in records.objects().enumerated() {
                    switch result {
                    case .failure(let error): rejections.append(RecordRejection(index: index, error: error.message))
                    case .success(let record):
                        if let field = rejectField, record[field]?.boolValue == true {
                            rejections.append(RecordRejection(index: index, error: "field '\\(field)' is true"))
                        }
                    }
                }
                return WriteOutcome(acceptedCount: records.count - rejections.count, rejections: rejections)
            }
        }

        """

    static let transformConnector = """
        import FerryJSON
        import FerryPluginSDK

        /// One connection. Replace the mapping with yours: every record gets `field` (default
        /// "source") set to `value` (default "__NAME__"); a line that is not a JSON object is rejected.
        public final class __TYPE__Connector: TransformConnector {
            let field: String
            let value: String
            private var cancelled = false
            let host: HostServices

            init(config: JSONObject, host: HostServices) throws {
                let config = try __TYPE__Plugin.configKeys.parse(config)
                field = try config.string("field")
                value = try config.string("value")
                self.host = host
            }

            public func cancel() { cancelled = true }

            public func transform(_ request: TransformRequest, records: RecordsView) throws -> TransformOutcome {
                if cancelled || host.isCancelled { throw PluginError.cancelled() }
                var output = RecordBatch()
                var rejections: [RecordRejection] = []
                for (index, result) in records.objects().enumerated() {
                    switch result {
                    case .failure(let error): rejections.append(RecordRejection(index: index, error: error.message))
                    case .success(var record):
                        record[field] = .string(value)
                        output.append(record)
                    }
                }
                return TransformOutcome(records: output, rejections: rejections)
            }
        }

        """
}
