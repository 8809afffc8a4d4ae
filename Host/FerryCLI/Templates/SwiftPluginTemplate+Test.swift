extension SwiftPluginTemplate {
    /// The test's opening: a host table with no services (log, state, HTTP are absent).
    static let testCommon = """
        import CFerryPlugin
        import FerryJSON
        import FerryPluginSDK
        import Testing
        import __TYPE__

        /// A host with no services: enough for a plugin that logs nothing and asks for nothing.
        /// `ferry plugins test .build/debug/libferry-__NAME__.so` drives the built library through
        /// the real host instead.
        let bareHost: HostServices = {
            let table = UnsafeMutablePointer<ferry_host_api>.allocate(capacity: 1)
            table.initialize(to: ferry_host_api())
            table.pointee.struct_size = UInt32(MemoryLayout<ferry_host_api>.size)
            table.pointee.abi_minor = UInt32(FERRY_ABI_MINOR)
            return HostServices(table: table, context: nil)
        }()

        /// `body` with `text` as a RecordsView of `count` records.
        func withRecords<T>(_ text: String, count: Int, _ body: (RecordsView) throws -> T) rethrows -> T {
            try Array(text.utf8).withUnsafeBytes { try body(RecordsView(bytes: $0, count: count)) }
        }


        """

    static func test(_ kind: PluginKind) -> String {
        switch kind {
        case .source:
            return """
                @Test func readsEveryItemInBatchesAndResumesFromTheCheckpoint() throws {
                    let connector = try __TYPE__Plugin.open(config: ["count": 25], host: bareHost)
                    let reader = try connector.read(ReadRequest(stream: "items", batchSize: 10))
                    var counts: [Int] = []
                    var checkpoint: JSONValue?
                    while let batch = try reader.next() {
                        counts.append(batch.count)
                        checkpoint = batch.checkpoint
                    }
                    #expect(counts == [10, 10, 5])
                    #expect(checkpoint == ["last_id": 25])
                    #expect(reader.isComplete)
                    let resumed = try connector.read(ReadRequest(stream: "items", checkpoint: checkpoint, batchSize: 10))
                    #expect(try resumed.next()?.count == nil)
                }

                @Test func refusesABadConfig() {
                    #expect(throws: PluginError.self) { try __TYPE__Plugin.open(config: ["count": "many"], host: bareHost) }
                }

                """
        case .destination:
            return """
                @Test func acceptsObjectsAndRejectsTheRestByIndex() throws {
                    let connector = try __TYPE__Plugin.open(config: ["reject_field": "bad"], host: bareHost)
                    let request = WriteRequest(stream: "items", operation: .append, batchID: "b1")
                    let outcome = try withRecords("{\\"id\\":1}\\n{\\"id\\":2,\\"bad\\":true}\\n[3]\\n", count: 3) {
                        try connector.write(request, records: $0)
                    }
                    #expect(outcome.acceptedCount == 1)
                    #expect(outcome.rejections.map(\\.index) == [1, 2])
                }

                """
        case .transform:
            return """
                @Test func setsTheFieldOnEveryRecord() throws {
                    let connector = try __TYPE__Plugin.open(config: ["field": "origin", "value": "crm"], host: bareHost)
                    let outcome = try withRecords("{\\"id\\":1}\\n\\"x\\"\\n", count: 2) {
                        try connector.transform(TransformRequest(stream: "items"), records: $0)
                    }
                    #expect(outcome.records.count == 1)
                    #expect(outcome.rejections.map(\\.index) == [1])
                    #expect(String(decoding: outcome.records.bytes, as: UTF8.self).contains(#""origin":"crm""#))
                }

                """
        }
    }

    static func readme(_ kind: PluginKind) -> String {
        """
        # __NAME__

        A Ferry \(kind.rawValue) connector in Swift, made by `ferry plugins new __NAME__ --lang swift --kind \(kind.rawValue)`.
        It depends on Ferry's plugin SDK package (`PluginAPI/` in Ferry's repository) by path and on
        nothing else; build it with the Swift toolchain Ferry was built with (Swift plugins share the
        host's runtime, and Ferry refuses a plugin from another toolchain).

        ```sh
        swift build -c release     # leaves .build/release/libferry-__NAME__.so
        swift test                 # the tests in Tests/
        ferry plugins test .build/release/libferry-__NAME__.so    # Ferry's conformance kit
        ```

        Run it: put the library in a folder Ferry searches (`plugins/` beside your `ferry.yaml`, a
        folder in `plugin_paths`, or `FERRY_PLUGIN_PATH`), then name it in a connection:

        ```yaml
        connections:
          mine: { plugin: __NAME__, config: \(kind.exampleConfig) }
        ```

        and `FERRY_PLUGIN_PATH=$PWD/.build/release ferry run --config ferry.yaml`.

        | file | what it is |
        |---|---|
        | `Sources/__TYPE__/Plugin.swift` | the plugin's facts, its config schema and the one exported symbol |
        | `Sources/__TYPE__/Connector.swift` | one connection: the \(kind.rawValue) role |
        | `Tests/__TYPE__Tests/` | swift-testing tests of the connector |
        | `exports.map` | the linker version script: the library exports `ferry_plugin_v1` alone |

        The SDK is documented in Ferry's `docs/writing-a-swift-plugin.md`, the ABI in `docs/plugin-abi.md`.

        """
    }
}
