import FerryCore
import FerryJSON
import FerryPluginSDK

/// Checks that a source kept the batch protocol (`BatchProtocol`: `record_count` lines,
/// each a JSON object, the last one ending in a newline).
///
/// A batch that breaks it fails the run and leaves the checkpoint where it was:
/// dead letters are for records a transform or destination refused, and a line
/// the source mangled is not a record anybody could replay.
struct SourceBatchCheck {
    let plan: PipelinePlan

    /// - Parameter walk: The check of each line: the structure check, unless the caller walks
    ///   every line anyway (it must then throw for a line that is not a JSON object).
    func validate(
        _ batch: SourceBatch,
        walking walk: (NDJSONLines.Line) throws(JSONParseError) -> Void = BatchProtocol.checkStructure
    ) throws {
        let problem = batch.records.withUnsafeBytes {
            BatchProtocol.problem(records: $0, count: batch.count, walking: walk)
        }
        if let problem { throw SourceProtocolViolation(plan: plan, record: problem.record, problem.text) }
    }
}

/// A source plugin broke the batch protocol; names plugin, connection, stream and record.
public struct SourceProtocolViolation: Error, CustomStringConvertible {
    public var description: String

    init(plan: PipelinePlan, record: Int? = nil, _ problem: String) {
        let source = plan.source
        let what = record.map { "record \($0 + 1) of a batch \(problem)" } ?? problem
        description =
            "source connection '\(source.connectionName)' (plugin \(source.pluginName)) stream '\(plan.sourceStream)' "
            + "broke the batch protocol: \(what); the checkpoint stays before this batch"
    }
}

/// Mirror mode reached the end of a stream the source did not declare complete.
public struct IncompleteSnapshot: Error, CustomStringConvertible {
    public var description: String

    init(plan: PipelinePlan) {
        description =
            "mirror deleted nothing: source connection '\(plan.source.connectionName)' (plugin \(plan.source.pluginName)) "
            + "ended stream '\(plan.sourceStream)' without declaring the snapshot complete (a short or empty page proves nothing); "
            + "the records it returned were written. Give the source a way to know the end (rest: pagination.total_path, "
            + "a next-page cursor or Link headers), or use write: upsert"
    }
}

/// A mirror run would delete more than `max_delete` allows.
public struct MassDeleteRefused: Error, CustomStringConvertible {
    public var description: String

    init(plan: PipelinePlan, deleting: Int, known: Int, limit: DeleteLimit) {
        let share = known > 0 ? " (\(Int((Double(deleting) / Double(known) * 100).rounded()))%)" : ""
        description =
            "mirror refused to delete \(deleting) of the \(known) records it knows\(share) in stream "
            + "'\(plan.destinationStream)': more than max_delete \(limit), so nothing was deleted. If the source really lost "
            + "them, run once with --max-delete \(deleting) (or 100%), or raise max_delete for pipeline '\(plan.id.pipeline)'"
    }
}
