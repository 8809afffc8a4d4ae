import Foundation
import Testing

@testable import FerryCore

/// `outputs:` (fan-out): what parses, and what is refused with file, line and reason.
@Suite struct FanOutConfigTests {
    static let header = """
        connections:
          orders_file: { plugin: file, config: { path: data/orders.jsonl } }
          warehouse: { plugin: sqlite }
        pipelines:
          orders:
            source: { connection: orders_file, stream: orders }
            primary_key: [id]

        """

    static func config(_ pipelineLines: String) throws -> FerryConfig {
        try FerryConfig.parse(yaml: header + pipelineLines, file: "ferry.yaml", environment: [:], dotEnv: [:])
    }

    static func error(_ pipelineLines: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws
        -> ConfigError
    {
        try #require(throws: ConfigError.self, sourceLocation: sourceLocation) { try config(pipelineLines) }
    }

    @Test func outputsParseWithNestedExplodesAndParentKeys() throws {
        let config = try Self.config(
            """
                write: upsert
                outputs:
                  - { name: orders, destination: { connection: warehouse, stream: repair_orders } }
                  - name: parts
                    destination: { connection: warehouse, stream: job_parts }
                    explode: jobs[*].parts
                    primary_key: [job_id, position]
                    parent_key: [{ from: id, as: repair_order_id }, { from: "jobs[*].id", as: job_id }]
                    index_as: position
                    replace_children: true
                    transforms: [{ op: drop, fields: [internal] }]
            """)
        let pipeline = try #require(config.pipelines.first)
        #expect(pipeline.outputs.map(\.name) == ["orders", "parts"])
        #expect(pipeline.destination.stream == "repair_orders")
        let parts = pipeline.outputs[1]
        #expect(parts.explode?.description == "jobs[*].parts[*]")
        #expect(parts.parentKeys.map(\.level) == [0, 1])
        #expect(parts.parentKeys.map(\.name) == ["repair_order_id", "job_id"])
        #expect(parts.indexAs == "position" && parts.replaceChildren && parts.transforms.count == 1)
        #expect(pipeline.connectionNames == ["orders_file", "warehouse"])
    }

    @Test func appendIsRefusedBecauseACrashBetweenOutputsWouldDuplicateRows() throws {
        let error = try Self.error(
            """
                outputs:
                  - { name: orders, destination: { connection: warehouse } }
            """)
        #expect(error.description.hasPrefix("ferry.yaml:9:"), "\(error)")
        #expect(error.description.contains("output 'orders' needs write: upsert"))
        #expect(error.description.contains("only upserts by key make that harmless"))
    }

    @Test func mirrorConflictsAndAPlainDestinationBesideOutputsAreRefused() throws {
        let mirror = try Self.error(
            """
                write: mirror
                outputs: [{ name: orders, destination: { connection: warehouse } }]
            """)
        #expect(mirror.description.contains("pipelines.orders.outputs: cannot be used with write: mirror"))
        let both = try Self.error(
            """
                write: upsert
                destination: { connection: warehouse }
                outputs: [{ name: orders, destination: { connection: warehouse } }]
            """)
        #expect(both.description.contains("give either destination (one table) or outputs"), "\(both)")
    }

    @Test func explodedOutputsNeedTheirOwnKeyAndParentKeysMustFollowTheExplodePath() throws {
        let noKey = try Self.error(
            """
                write: upsert
                outputs:
                  - { name: jobs, destination: { connection: warehouse }, explode: jobs }
            """)
        #expect(noKey.description.contains("output 'jobs' explodes jobs[*] and needs its own primary_key"))
        let wrongLevel = try Self.error(
            """
                write: upsert
                outputs:
                  - name: parts
                    destination: { connection: warehouse }
                    explode: jobs[*].parts
                    primary_key: [sku]
                    parent_key: { from: "lines[*].id", as: job_id }
            """)
        #expect(wrongLevel.description.hasPrefix("ferry.yaml:14:"), "\(wrongLevel)")
        #expect(wrongLevel.description.contains("does not follow explode: jobs[*].parts[*]"))
        let badPath = try Self.error(
            """
                write: upsert
                outputs: [{ name: jobs, destination: { connection: warehouse }, explode: "jobs[0]", primary_key: [id] }]
            """)
        #expect(badPath.description.contains("'jobs[0]' is not an array path"))
    }

    @Test func replaceChildrenNeedsExplodeAndChangeDetection() throws {
        let top = try Self.error(
            """
                write: upsert
                outputs: [{ name: orders, destination: { connection: warehouse }, replace_children: true }]
            """)
        #expect(top.description.contains("needs explode: only exploded rows are a record's children"))
        let noHashes = try Self.error(
            """
                write: upsert
                change_detection: false
                outputs:
                  - { name: jobs, destination: { connection: warehouse }, explode: jobs, primary_key: [id], replace_children: true }
            """)
        #expect(noHashes.description.contains("needs change_detection: true"))
    }

    @Test func outputNamesAndStreamsMustDiffer() throws {
        let names = try Self.error(
            """
                write: upsert
                outputs:
                  - { name: orders, destination: { connection: warehouse, stream: a } }
                  - { name: orders, destination: { connection: warehouse, stream: b } }
            """)
        #expect(names.description.contains("a second output named 'orders'"))
        let streams = try Self.error(
            """
                write: upsert
                outputs:
                  - { name: a, destination: { connection: warehouse, stream: same } }
                  - { name: b, destination: { connection: warehouse, stream: same } }
            """)
        #expect(streams.description.contains("give each output its own stream"))
        let invalid = try Self.error(
            """
                write: upsert
                outputs: [{ name: "bad name", destination: { connection: warehouse } }]
            """)
        #expect(invalid.description.contains("is not a valid output name"))
    }

    @Test func aBadTransformStepOfAnOutputPointsAtTheStep() throws {
        let error = try Self.error(
            """
                write: upsert
                outputs:
                  - name: orders
                    destination: { connection: warehouse }
                    transforms:
                      - { op: renam, from: a, to: b }
            """)
        #expect(error.description.hasPrefix("ferry.yaml:13:"), "\(error)")
        #expect(error.description.contains("pipelines.orders.outputs[0].transforms[0]"), "\(error)")
    }

    @Test func objectEntriesRepeatsAndNumbersParse() throws {
        let config = try Self.config(
            """
                write: upsert
                outputs:
                  - name: strings
                    destination: { connection: warehouse, stream: strings }
                    explode: technical.systemConfigurations[*].mpptInputs{}
                    primary_key: [name]
                    parent_key: { from: key, as: system_key }
                    index_as: [inverter, mppt_position]
                    key_as: mppt
                    repeat: { count: stringCount, as: string }
                    number_as: slot
            """)
        let strings = try #require(config.pipelines.first?.outputs.first)
        #expect(strings.explode?.kinds == [.array, .entries])
        #expect(strings.outerIndexesAs == ["inverter"] && strings.indexAs == "mppt_position")
        #expect(strings.keyAs == "mppt" && strings.numberAs == "slot")
        #expect(strings.repetition == ExplodeRepetition(count: try #require(FieldPath("stringCount")), name: "string"))
    }

    @Test func entryKeysRepeatsAndPositionListsThatCannotApplyAreRefused() throws {
        let output = """
                write: upsert
                outputs:
                  - name: rows
                    destination: { connection: warehouse }
                    primary_key: [id]

            """
        let cases = [
            "    explode: jobs\n    key_as: k": "needs an explode path ending in an object's entries",
            "    explode: jobs\n    index_as: [a, b]": "lists 2 field(s) for explode jobs[*], which has 1 level(s)",
            "    repeat: { count: n, as: i }": "needs explode: it repeats each exploded element",
            "    explode: jobs\n    repeat: { count: n }": "as",
            "    explode: jobs\n    repeat: { count: \"a..b\", as: i }": "'a..b' is not a field path of the element",
            "    number_as: n": "needs explode: it numbers a record's exploded rows",
            "    explode: \"jobs{}x\"": "is not an array path",
        ]
        for (lines, expected) in cases {
            let error = try Self.error(output + "    " + lines.replacingOccurrences(of: "\n", with: "\n    "))
            #expect(error.description.contains(expected), "\(lines): \(error)")
            #expect(error.description.hasPrefix("ferry.yaml:1"), "\(error)")
        }
    }
}
