import CFerryPlugin
import FerryCore
import FerryJSON
import FerryLoader
import FerryPluginSDK

/// `discover` listed no stream and none was named: the source checks do not apply.
public struct NoStream: Error, CustomStringConvertible {
    public var description: String { "discover lists no stream (with this config); name one with --stream" }
}

/// A whole read of one stream from its start: the batches, or the first problem.
struct SourceRun {
    var stream: String
    var batches: [KitBatch] = []
    var problem: String?
}

extension ConformanceKit {
    /// The stream to read: the one asked for, else the first discovered.
    func streamName(_ subject: PluginUnderTest, _ instance: OpaquePointer) throws -> String {
        if let stream { return stream }
        let text = try subject.report("discover", instance) { subject.plugin.api.pointee.discover!($0, $1, $2) }
        guard let first = (try? JSONValue(parsing: text))?["streams"]?.arrayValue?.first?["name"]?.stringValue else {
            throw NoStream()
        }
        return first
    }

    /// The stream the kit reads and its primary key (from `discover`), for the crash kit.
    public func sourceStream(_ plugin: LoadedPlugin) throws -> (stream: String, primaryKey: [String]) {
        let subject = PluginUnderTest(plugin)
        return try withInstance(subject) { instance, _ in
            let name = try streamName(subject, instance)
            let text = try subject.report("discover", instance) { subject.plugin.api.pointee.discover!($0, $1, $2) }
            let streams = (try? JSONValue(parsing: text))?["streams"]?.arrayValue ?? []
            let key = streams.first { $0["name"]?.stringValue == name }?["primary_key"]?.arrayValue ?? []
            return (name, key.compactMap(\.stringValue))
        }
    }

    /// A read request's JSON, as the engine builds one.
    func readRequest(stream: String, checkpoint: String? = nil) -> String {
        var request: JSONObject = ["stream": .string(stream), "batch_size": .int(Int64(batchSize))]
        if let checkpoint, !checkpoint.isEmpty, let value = try? JSONValue(parsing: checkpoint) {
            request["checkpoint"] = value
        }
        return JSONWriter().encodeString(.object(request))
    }

    func checkDiscover(_ subject: PluginUnderTest) throws -> KitResult.Outcome {
        try withInstance(subject) { instance, _ in
            let text = try subject.report("discover", instance) { subject.plugin.api.pointee.discover!($0, $1, $2) }
            guard let catalog = try? JSONValue(parsing: text), let streams = catalog["streams"]?.arrayValue else {
                return .failed(#"discover did not answer {"streams": [...]}: \#(text.prefix(200))"#)
            }
            for (index, stream) in streams.enumerated() {
                guard stream["name"]?.stringValue?.isEmpty == false else {
                    return .failed("discover: stream \(index + 1) has no name")
                }
                if let key = stream["primary_key"], key.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
                    return .failed(
                        "discover: stream '\(stream["name"]!.stringValue!)' has a primary_key that is not an array of strings"
                    )
                }
            }
            return .passed
        }
    }

    /// Reads the stream from its start (up to `recordLimit` records), checking each batch.
    func readWhole(_ subject: PluginUnderTest, from checkpoint: String? = nil) throws -> SourceRun {
        try withInstance(subject) { instance, _ in
            var run = SourceRun(stream: try streamName(subject, instance))
            let reader = try subject.readOpen(
                instance, request: readRequest(stream: run.stream, checkpoint: checkpoint))
            defer { subject.readClose(reader) }
            var records = 0
            while records < recordLimit, let batch = try subject.readNext(reader) {
                let number = run.batches.count + 1
                if let problem = batch.records.withUnsafeBytes({
                    BatchProtocol.problem(records: $0, count: batch.count)
                }) {
                    let record = problem.record.map { "record \($0 + 1) " } ?? ""
                    run.problem = "batch \(number): \(record)\(problem.text)"
                    return run
                }
                if !batch.checkpoint.isEmpty, (try? JSONValue(parsing: batch.checkpoint)) == nil {
                    run.problem = "batch \(number): the checkpoint is not valid JSON: \(batch.checkpoint.prefix(100))"
                    return run
                }
                if batch.count == 0, batch.checkpoint.isEmpty {
                    run.problem = "batch \(number) holds no records and no checkpoint (return FERRY_END instead)"
                    return run
                }
                records += batch.count
                run.batches.append(batch)
            }
            return run
        }
    }

    /// Opaque round trips: reading from the checkpoint of batch N returns exactly the
    /// records after batch N; from the last checkpoint, nothing.
    func checkCheckpoints(_ subject: PluginUnderTest, _ whole: SourceRun) throws -> KitResult.Outcome {
        let batches = whole.batches
        guard batches.contains(where: { !$0.checkpoint.isEmpty }) else {
            return .skipped("the stream returned no checkpoint")
        }
        guard batches.reduce(0, { $0 + $1.count }) < recordLimit else {
            return .skipped("the stream has more than \(recordLimit) records")
        }
        let allLines = batches.flatMap(\.lines)
        var probes = [batches.count - 1]
        if batches.count > 1 { probes.insert((batches.count - 1) / 2, at: 0) }
        for index in probes where !batches[index].checkpoint.isEmpty {
            let expected = Array(allLines.dropFirst(batches[...index].reduce(0) { $0 + $1.count }))
            let resumed = try readWhole(subject, from: batches[index].checkpoint)
            if let problem = resumed.problem {
                return .failed("reading from the checkpoint of batch \(index + 1): \(problem)")
            }
            let got = resumed.batches.flatMap(\.lines)
            guard Self.sameRecords(got, expected) else {
                let which = index == batches.count - 1 ? "the last checkpoint" : "the checkpoint of batch \(index + 1)"
                return .failed(
                    "reading from \(which) (\(batches[index].checkpoint.prefix(80))) returned \(got.count) records, "
                        + "expected the \(expected.count) after that batch")
            }
        }
        return .passed
    }

    /// The same records in the same order, compared as JSON values (key order and spacing aside).
    static func sameRecords(_ left: [String], _ right: [String]) -> Bool {
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { (try? JSONValue(parsing: $0)) == (try? JSONValue(parsing: $1)) }
    }

    /// After `cancel`, `read_next` stops with FERRY_ERR_CANCELLED. (Polling the host's
    /// `is_cancelled` is a SHOULD for long loops, so the kit does not require it.)
    func checkCancel(_ subject: PluginUnderTest) throws -> KitResult.Outcome {
        guard subject.plugin.api.pointee.cancel != nil else { return .failed("the plugin has no cancel slot") }
        for how in ["cancel"] {
            let outcome: KitResult.Outcome? = try withInstance(subject) { instance, host in
                let stream = try streamName(subject, instance)
                let reader = try subject.readOpen(instance, request: readRequest(stream: stream))
                defer { subject.readClose(reader) }
                if how == "cancel" { subject.cancel(instance) } else { host.setCancelled(true) }
                do {
                    guard let batch = try subject.readNext(reader) else { return .skipped("the stream is empty") }
                    return .failed(
                        "read_next after \(how) returned a batch of \(batch.count) records, expected cancelled")
                } catch let failure as CallFailure where failure.status == FERRY_ERR_CANCELLED {
                    return nil
                } catch let failure as CallFailure {
                    return .failed(
                        "read_next after \(how) returned \(FerryStatus.name(of: failure.status)), expected cancelled")
                }
            }
            if let outcome { return outcome }
        }
        return .passed
    }

    /// A stream the plugin does not have is refused by read_open or the first read_next.
    func checkUnknownStream(_ subject: PluginUnderTest) throws -> KitResult.Outcome {
        try withInstance(subject) { instance, _ in
            let name = "ferry-kit-no-such-stream"
            do {
                let reader = try subject.readOpen(instance, request: readRequest(stream: name))
                defer { subject.readClose(reader) }
                _ = try subject.readNext(reader)
                return .failed(
                    "reading the stream '\(name)' succeeded; an unknown stream must fail (invalid or not_found)")
            } catch is CallFailure {
                return .passed
            }
        }
    }
}
