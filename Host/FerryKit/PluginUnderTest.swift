import CFerryPlugin
import FerryJSON
import FerryLoader
import FerryPluginSDK
import Foundation

/// A failed plugin call as the kit saw it: the status returned and the error's message.
struct CallFailure: Error, CustomStringConvertible {
    var call: String
    var status: ferry_status
    var message: String
    var description: String { "\(call) failed with \(FerryStatus.name(of: status)): \(message)" }
}

/// One batch copied out of the plugin before its release.
struct KitBatch {
    var records: [UInt8]
    var count: Int
    var checkpoint: String
    /// The records, one string per line.
    var lines: [String] { String(decoding: records, as: UTF8.self).split(separator: "\n").map(String.init) }
}

/// A loaded plugin driven slot by slot through its C table, recording every breach of
/// the error contract (a failure must fill `ferry_error` with the same status and a
/// message) and of the release contract (release sets `release` to NULL).
final class PluginUnderTest {
    let plugin: LoadedPlugin
    private var api: ferry_plugin_api { plugin.api.pointee }
    /// Breaches of the error contract, in words, for the "errors" check.
    private(set) var errorBreaches: [String] = []
    /// Breaches of the release contract, for the "memory" check.
    private(set) var releaseBreaches: [String] = []

    init(_ plugin: LoadedPlugin) { self.plugin = plugin }

    /// Runs one C call that may fail; checks and releases its error.
    private func call(_ name: String, _ body: (UnsafeMutablePointer<ferry_error>) -> ferry_status) -> (
        ferry_status, CallFailure?
    ) {
        var error = ferry_error.empty
        let status = body(&error)
        var message = error.message.release == nil && error.message.len == 0 ? "" : error.message.consumeString()
        error.details.release?(&error.details)
        guard status < 0 else { return (status, nil) }
        if error.status != status {
            errorBreaches.append(
                "\(name) returned \(FerryStatus.name(of: status)) but error.status is \(FerryStatus.name(of: error.status))"
            )
        }
        if message.trimmingCharacters(in: .whitespaces).isEmpty {
            errorBreaches.append("\(name) returned \(FerryStatus.name(of: status)) without an error message")
            message = "(no message)"
        }
        return (status, CallFailure(call: name, status: status, message: message))
    }

    /// Takes an owned buffer's text and checks that release marks it released.
    private func take(_ buffer: inout ferry_buffer, from name: String) -> String {
        let text = ferry_str(ptr: buffer.ptr, len: buffer.len).string
        if let release = buffer.release {
            release(&buffer)
            if buffer.release != nil {
                releaseBreaches.append("\(name): the buffer's release did not set release to NULL")
            }
        } else if buffer.len > 0 {
            releaseBreaches.append("\(name): a non-empty buffer without a release callback")
        }
        return text
    }

    func spec() throws -> String {
        var buffer = ferry_buffer()
        let (_, failure) = call("spec") { api.spec!(&buffer, $0) }
        if let failure { throw failure }
        return take(&buffer, from: "spec")
    }

    func open(config: String, host: KitHost) throws -> OpaquePointer {
        var instance: OpaquePointer?
        let (_, failure) = call("open") { error in
            withBorrowedString(config) { api.open!(KitHost.table, host.context, $0, &instance, error) }
        }
        if let failure { throw failure }
        guard let instance else { throw CallFailure(call: "open", status: FERRY_OK, message: "returned no instance") }
        return instance
    }

    func close(_ instance: OpaquePointer) { api.close!(instance) }
    func cancel(_ instance: OpaquePointer) { api.cancel?(instance) }

    /// A slot that returns a JSON buffer from an instance (check, discover).
    func report(
        _ name: String, _ instance: OpaquePointer,
        _ slot: (OpaquePointer?, UnsafeMutablePointer<ferry_buffer>?, UnsafeMutablePointer<ferry_error>?) ->
            ferry_status
    ) throws -> String {
        var buffer = ferry_buffer()
        let (_, failure) = call(name) { slot(instance, &buffer, $0) }
        if let failure { throw failure }
        return take(&buffer, from: name)
    }

    func readOpen(_ instance: OpaquePointer, request: String) throws -> OpaquePointer {
        var reader: OpaquePointer?
        let (_, failure) = call("read_open") { error in
            withBorrowedString(request) { api.read_open!(instance, $0, &reader, error) }
        }
        if let failure { throw failure }
        guard let reader else { throw CallFailure(call: "read_open", status: FERRY_OK, message: "returned no reader") }
        return reader
    }

    /// The next batch, nil at the end; throws the call's failure.
    func readNext(_ reader: OpaquePointer) throws -> KitBatch? {
        var batch = ferry_batch()
        let (status, failure) = call("read_next") { api.read_next!(reader, &batch, $0) }
        if let failure { throw failure }
        if status == FERRY_END || status == FERRY_END_COMPLETE { return nil }
        guard status == FERRY_OK else {
            throw CallFailure(call: "read_next", status: status, message: "an unknown status")
        }
        let copy = KitBatch(
            records: Array(batch.records.rawBytes), count: Int(batch.record_count), checkpoint: batch.checkpoint.string)
        if let release = batch.release {
            release(&batch)
            if batch.release != nil {
                releaseBreaches.append("read_next: the batch's release did not set release to NULL")
            }
        } else {
            releaseBreaches.append("read_next: a batch without a release callback")
        }
        return copy
    }

    func readClose(_ reader: OpaquePointer) { api.read_close!(reader) }

    /// Writes NDJSON; returns (accepted, rejected, rejects text, id mappings text).
    func write(_ instance: OpaquePointer, request: String, records: String) throws -> (
        accepted: Int, rejected: Int, rejects: String, idMappings: String
    ) {
        var result = ferry_write_result()
        let (_, failure) = call("write") { error in
            withBorrowedString(request) { r in
                withBorrowedString(records) { api.write!(instance, r, $0, &result, error) }
            }
        }
        if let failure { throw failure }
        let outcome = (
            Int(result.accepted_count), Int(result.rejected_count), result.rejects.string, result.id_mappings.string
        )
        if let release = result.release {
            release(&result)
            if result.release != nil {
                releaseBreaches.append("write: the result's release did not set release to NULL")
            }
        }
        return outcome
    }

    /// Transforms NDJSON; returns (records, record_count, rejected, rejects text).
    func transform(_ instance: OpaquePointer, request: String, records: String) throws -> (
        records: [UInt8], count: Int, rejected: Int, rejects: String
    ) {
        var result = ferry_transform_result()
        let (_, failure) = call("transform") { error in
            withBorrowedString(request) { r in
                withBorrowedString(records) { api.transform!(instance, r, $0, &result, error) }
            }
        }
        if let failure { throw failure }
        let outcome = (
            Array(result.records.rawBytes), Int(result.record_count), Int(result.rejected_count), result.rejects.string
        )
        if let release = result.release {
            release(&result)
            if result.release != nil {
                releaseBreaches.append("transform: the result's release did not set release to NULL")
            }
        }
        return outcome
    }
}
