import CFerryPlugin
import FerryBuild
import FerryLoader
import Foundation
import Testing

/// The C reference connector, compiled with `cc` against the ABI header (and the version header),
/// loaded by the loader and driven slot by slot through its C table.
@Suite struct CDemoPluginTests {
    /// The cdemo library, built once.
    static let library: Result<URL, Fixtures.BuildError> = {
        do {
            let url = try Fixtures.makeTemporaryFolder().appendingPathComponent("libferry-cdemo.so")
            try Fixtures.buildCDemo(at: url)
            return .success(url)
        } catch let error as Fixtures.BuildError {
            return .failure(error)
        } catch {
            return .failure(Fixtures.BuildError(description: "\(error)"))
        }
    }()

    static func loaded() throws -> LoadedPlugin {
        try PluginLoader().load(path: library.get().path)
    }

    @Test func descriptorReadsRight() throws {
        let folder = try Self.library.get().deletingLastPathComponent()
        let found = PluginRegistry.discover(searchPath: PluginSearchPath(folders: [folder.path]))
        #expect(found.errors.isEmpty, "\(found.errors)")
        let plugin = try #require(found.plugin(named: "cdemo"))
        #expect(plugin.version == FerryVersion.current)
        #expect(plugin.abiMajor == 1)
        #expect(plugin.abiMinor == UInt32(FERRY_ABI_MINOR))
        #expect(plugin.runtime == "c")
        #expect(plugin.capabilities == [.source, .destination, .transform])
        #expect(!plugin.summary.isEmpty)
        #expect(plugin.path.hasSuffix("libferry-cdemo.so"))
        #expect(plugin.api.pointee.abi_minor == UInt32(FERRY_ABI_MINOR))
    }

    @Test func specAndOpenWithHostServices() throws {
        let api = try Self.loaded().api.pointee
        var spec = ferry_buffer()
        var error = makeError()
        #expect(api.spec!(&spec, &error) == FERRY_OK)
        let specJSON = take(&spec)
        #expect(specJSON.contains("\"config\""))
        #expect(specJSON.contains("\"batch_size\""))
        #expect(spec.release == nil)

        let host = TestHost()
        host.state["runs"] = "41"
        var instance: OpaquePointer?
        let status = withFerryString(#"{"count": 5, "batch_size": 2}"#) {
            api.open!(host.table, host.context, $0, &instance, &error)
        }
        #expect(status == FERRY_OK)
        #expect(host.logs == [#"2 Opened cdemo. {"count":5}"#])
        #expect(host.state["runs"] == "42")

        var report = ferry_buffer()
        #expect(api.check!(instance, &report, &error) == FERRY_OK)
        #expect(take(&report).hasPrefix(#"{"ok":true"#))
        api.close!(instance)
    }

    @Test func openRejectsInvalidConfig() throws {
        let api = try Self.loaded().api.pointee
        let host = TestHost()
        for config in [#"{"count": "many"}"#, #"{"batch_size": 0}"#, "[1]", #"{"count": -3}"#] {
            var instance: OpaquePointer?
            var error = makeError()
            let status = withFerryString(config) { api.open!(host.table, host.context, $0, &instance, &error) }
            #expect(status == FERRY_ERR_INVALID, "\(config)")
            #expect(error.status == FERRY_ERR_INVALID)
            #expect(takeMessage(&error).hasPrefix("cdemo config"), "\(config)")
            #expect(instance == nil)
        }
        #expect(host.state["runs"] == nil)
    }

    /// Reads until FERRY_END and returns (batches, records, last checkpoint, all lines).
    static func readAll(
        _ api: ferry_plugin_api, instance: OpaquePointer?, request: String
    ) throws -> (batches: Int, records: Int, checkpoint: String, lines: [Substring]) {
        var reader: OpaquePointer?
        var error = makeError()
        let opened = withFerryString(request) { api.read_open!(instance, $0, &reader, &error) }
        #expect(opened == FERRY_OK, "\(takeMessage(&error))")
        defer { api.read_close!(reader) }
        var batches = 0, records = 0, checkpoint = "", lines: [Substring] = []
        while true {
            var batch = ferry_batch()
            let status = api.read_next!(reader, &batch, &error)
            if status == FERRY_END { break }
            try #require(status == FERRY_OK)
            batches += 1
            records += Int(batch.record_count)
            checkpoint = text(batch.checkpoint)
            let body = text(batch.records)
            #expect(body.hasSuffix("\n"))
            lines += body.split(separator: "\n")
            batch.release!(&batch)
            #expect(batch.release == nil)
        }
        return (batches, records, checkpoint, lines)
    }

    @Test func discoverAndRead() throws {
        let api = try Self.loaded().api.pointee
        let host = TestHost()
        var instance: OpaquePointer?
        var error = makeError()
        _ = withFerryString(#"{"count": 5, "batch_size": 2}"#) {
            api.open!(host.table, host.context, $0, &instance, &error)
        }
        defer { api.close!(instance) }

        var catalog = ferry_buffer()
        #expect(api.discover!(instance, &catalog, &error) == FERRY_OK)
        let catalogJSON = take(&catalog)
        #expect(catalogJSON.contains(#""name":"numbers""#))
        #expect(catalogJSON.contains(#""primary_key":["id"]"#))
        #expect(catalogJSON.contains(#""cursor_field":"updated_at""#))

        let full = try Self.readAll(api, instance: instance, request: #"{"stream":"numbers","checkpoint":null}"#)
        #expect(full.batches == 3)
        #expect(full.records == 5)
        #expect(full.checkpoint == #"{"last_id":5}"#)
        #expect(full.lines.first == #"{"id":1,"value":2,"label":"n1","updated_at":1}"#)
        #expect(full.lines.last == #"{"id":5,"value":10,"label":"n5","updated_at":5}"#)

        let resumed = try Self.readAll(
            api, instance: instance, request: #"{"stream":"numbers","checkpoint":{"last_id":3},"batch_size":10}"#)
        #expect(resumed.batches == 1)
        #expect(resumed.records == 2)
        #expect(resumed.lines.first == #"{"id":4,"value":8,"label":"n4","updated_at":4}"#)

        let refreshed = try Self.readAll(
            api, instance: instance, request: #"{"stream":"numbers","checkpoint":{"last_id":3},"full_refresh":true}"#)
        #expect(refreshed.records == 5)

        var reader: OpaquePointer?
        let unknown = withFerryString(#"{"stream":"letters"}"#) { api.read_open!(instance, $0, &reader, &error) }
        #expect(unknown == FERRY_ERR_INVALID)
        #expect(takeMessage(&error).contains("letters"))
    }

    @Test func batchOutlivesReaderAndNextBatch() throws {
        let api = try Self.loaded().api.pointee
        let host = TestHost()
        var instance: OpaquePointer?
        var error = makeError()
        _ = withFerryString(#"{"count": 4, "batch_size": 2}"#) {
            api.open!(host.table, host.context, $0, &instance, &error)
        }
        defer { api.close!(instance) }
        var reader: OpaquePointer?
        _ = withFerryString(#"{"stream":"numbers"}"#) { api.read_open!(instance, $0, &reader, &error) }
        var first = ferry_batch(), second = ferry_batch()
        #expect(api.read_next!(reader, &first, &error) == FERRY_OK)
        #expect(api.read_next!(reader, &second, &error) == FERRY_OK)
        api.read_close!(reader)
        #expect(text(first.records).hasPrefix(#"{"id":1,"#))
        #expect(text(second.records).hasPrefix(#"{"id":3,"#))
        #expect(text(first.checkpoint) == #"{"last_id":2}"#)
        first.release!(&first)
        second.release!(&second)
    }

    @Test func writeRejectsAndAssignsIDs() throws {
        let api = try Self.loaded().api.pointee
        let host = TestHost()
        var instance: OpaquePointer?
        var error = makeError()
        _ = withFerryString("{}") { api.open!(host.table, host.context, $0, &instance, &error) }
        defer { api.close!(instance) }
        let records = """
            {"id":1}
            {"id":2,"reject": true}
            {"id":3,"want_id":true}
            {"id":4,"want_id":false}

            """
        var result = ferry_write_result()
        let status = withFerryString(#"{"stream":"numbers","mode":"upsert","batch_id":"b1"}"#) { request in
            withFerryString(records) { api.write!(instance, request, $0, &result, &error) }
        }
        #expect(status == FERRY_OK)
        #expect(result.accepted_count == 3)
        #expect(result.rejected_count == 1)
        #expect(text(result.rejects) == #"{"index":1,"error":"The record asked to be rejected."}"# + "\n")
        #expect(text(result.id_mappings) == #"{"index":2,"destination_id":"c-2"}"# + "\n")
        result.release!(&result)
        #expect(result.release == nil)

        let badMode = withFerryString(#"{"mode":"mirror"}"#) { request in
            withFerryString(records) { api.write!(instance, request, $0, &result, &error) }
        }
        #expect(badMode == FERRY_ERR_INVALID)
        #expect(takeMessage(&error).contains("mode"))
    }

    @Test func transformDropsMarkedRecords() throws {
        let api = try Self.loaded().api.pointee
        let host = TestHost()
        var instance: OpaquePointer?
        var error = makeError()
        _ = withFerryString("{}") { api.open!(host.table, host.context, $0, &instance, &error) }
        defer { api.close!(instance) }
        var result = ferry_transform_result()
        let status = withFerryString(#"{"stream":"numbers"}"#) { request in
            withFerryString("{\"a\":1}\n{\"drop\":true}\n{\"b\":2}\n") {
                api.transform!(instance, request, $0, &result, &error)
            }
        }
        #expect(status == FERRY_OK)
        #expect(result.record_count == 2)
        #expect(result.rejected_count == 0)
        #expect(text(result.records) == "{\"a\":1}\n{\"b\":2}\n")
        result.release!(&result)
    }

    @Test func cancelStopsReading() throws {
        let api = try Self.loaded().api.pointee
        let host = TestHost()
        var instance: OpaquePointer?
        var error = makeError()
        _ = withFerryString(#"{"count":100,"batch_size":10}"#) {
            api.open!(host.table, host.context, $0, &instance, &error)
        }
        defer { api.close!(instance) }
        var reader: OpaquePointer?
        _ = withFerryString(#"{"stream":"numbers"}"#) { api.read_open!(instance, $0, &reader, &error) }
        defer { api.read_close!(reader) }
        var batch = ferry_batch()
        #expect(api.read_next!(reader, &batch, &error) == FERRY_OK)
        batch.release!(&batch)
        api.cancel!(instance)
        #expect(api.read_next!(reader, &batch, &error) == FERRY_ERR_CANCELLED)
        #expect(error.status == FERRY_ERR_CANCELLED)
        #expect(takeMessage(&error).contains("cancelled"))
        #expect(batch.release == nil)
    }
}
