import FerryJSON
import Foundation

/// A pipeline's `transforms:` list, compiled once and applied to every record.
///
/// Compiling up front checks every step's options when the pipeline is
/// planned, so config mistakes stop a run before data moves, and applying a
/// step costs no option parsing per record. Steps run in order; the first
/// `filter` that fails drops the record, and the first step that cannot
/// process it rejects the record with a reason naming that step.
///
/// A chain is immutable and `Sendable`: one compiled chain serves every batch.
public struct TransformChain: Sendable {
    /// Finds the destination id stored for a source id in an ID-mapping scope,
    /// or nil when none is stored; the host wires it to its state store.
    public typealias Lookup = (_ scope: String, _ sourceID: String) throws -> String?

    private let operations: [TransformOperation]
    /// What `now()` gives: the moment the chain was compiled, which the engine does once per run.
    private let now: String

    /// The number of compiled steps.
    public var count: Int { operations.count }

    /// The ID-mapping scopes the chain's `lookup` steps read, so the host can
    /// check or preload them.
    public var lookupScopes: [String] {
        operations.compactMap { if case .lookup(_, let scope, _, _) = $0 { scope } else { nil } }
    }

    /// Compiles a pipeline's steps.
    /// - Parameters:
    ///   - steps: the `transforms:` entries, each an object with an `op` key.
    ///   - now: the run's clock reading, which `now()` in expressions gives for
    ///     every record of the run (tests pass a fixed one).
    /// - Throws: `TransformConfigError` for the first step that is not valid.
    public init(steps: [JSONValue], now: Date = Date()) throws(TransformConfigError) {
        self.now = TimestampCast.format(utcSeconds: Int64(now.timeIntervalSince1970.rounded(.down)), fraction: "")
        var operations: [TransformOperation] = []
        operations.reserveCapacity(steps.count)
        for (offset, step) in steps.enumerated() {
            operations.append(try TransformOperation.compile(step, index: offset + 1))
        }
        self.operations = operations
    }

    /// Runs every step on one record.
    /// - Parameters:
    ///   - record: the record as the source sent it.
    ///   - lookup: the ID-mapping lookup for `lookup` steps; when nil, a
    ///     `lookup` step rejects the record. An error it throws rejects the record too.
    /// - Returns: the transformed record, or why it was dropped or rejected.
    public func apply(to record: JSONObject, lookup: Lookup? = nil) -> Outcome {
        var record = record
        for (offset, operation) in operations.enumerated() {
            do {
                guard try operation.apply(to: &record, lookup: lookup, now: now) else { return .dropped }
            } catch {
                let reason = "transform \(offset + 1) (\(operation.name)): \(error.reason)"
                switch error.kind {
                case .reject: return .rejected(reason)
                case .deferral(let limit): return .deferred(reason, limit: limit)
                case .fatal: return .failed(reason)
                }
            }
        }
        return .kept(record)
    }
}
