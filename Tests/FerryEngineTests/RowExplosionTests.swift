import FerryCore
import FerryJSON
import Testing

@testable import FerryEngine

/// The rules that cut a record into an output's rows: nested arrays, parent keys from each
/// level, positions, and the record shapes that must reject it rather than lose children.
@Suite struct RowExplosionTests {
    static let order: JSONObject = try! JSONParser().parse(
        Array(
            #"""
            {"id": "RO-1", "shop": 7, "jobs": [
              {"id": 11, "name": "Brakes", "parts": [{"sku": "P1", "qty": 2}, {"sku": "P2", "qty": 1}]},
              {"id": 12, "name": "Oil", "parts": []},
              {"id": 13, "name": "Wipers", "parts": [{"sku": "P3", "qty": 1}], "tags": ["rush", "warranty"]}
            ]}
            """#.utf8)
    ).objectValue!

    static func explosion(_ explode: String, parents: [(String, String)] = [], indexAs: String? = nil) throws
        -> RowExplosion
    {
        let path = try #require(ExplodePath(explode))
        return RowExplosion(
            explode: path,
            parentKeys: try parents.map { try ParentKeyField.resolving(from: $0.0, as: $0.1, in: path) },
            indexAs: indexAs)
    }

    static func record(_ text: String) throws -> JSONObject {
        try #require(try JSONParser().parse(Array(text.utf8)).objectValue)
    }

    static func text(_ rows: [JSONObject]) -> [String] { rows.map { JSONWriter().encodeString(.object($0)) } }

    @Test func withoutExplodeTheRecordIsTheOnlyRow() throws {
        #expect(try RowExplosion().rows(of: Self.order) == [Self.order])
    }

    @Test func eachElementOfAnArrayIsARowCarryingTheParentKeyAndItsPosition() throws {
        let rows = try Self.explosion("jobs", parents: [("id", "repair_order_id")], indexAs: "position")
            .rows(of: Self.order)
        #expect(rows.count == 3)
        #expect(rows.map { $0["repair_order_id"] } == Array(repeating: .string("RO-1"), count: 3))
        #expect(rows.map { $0["position"] } == [.int(0), .int(1), .int(2)])
        #expect(rows.map(\.keys.first) == ["repair_order_id", "repair_order_id", "repair_order_id"])
        #expect(rows[1]["name"] == .string("Oil"))
    }

    @Test func nestedArraysGiveOneRowPerInnerElementWithTheKeysOfEveryLevel() throws {
        let explosion = try Self.explosion(
            "jobs[*].parts", parents: [("id", "repair_order_id"), ("jobs[*].id", "job_id")], indexAs: "position")
        #expect(
            Self.text(try explosion.rows(of: Self.order)) == [
                #"{"repair_order_id":"RO-1","job_id":11,"position":0,"sku":"P1","qty":2}"#,
                #"{"repair_order_id":"RO-1","job_id":11,"position":1,"sku":"P2","qty":1}"#,
                #"{"repair_order_id":"RO-1","job_id":13,"position":0,"sku":"P3","qty":1}"#,
            ])
    }

    @Test func scalarElementsBecomeAValueField() throws {
        let rows = try Self.explosion("jobs[*].tags", parents: [("jobs[*].id", "job_id")]).rows(of: Self.order)
        #expect(Self.text(rows) == [#"{"job_id":13,"value":"rush"}"#, #"{"job_id":13,"value":"warranty"}"#])
    }

    @Test func parentKeysReplaceAFieldOfTheSameNameInTheElement() throws {
        let record = try JSONParser().parse(Array(#"{"id":1,"items":[{"id":9,"order_id":"stale"}]}"#.utf8))
        let rows = try Self.explosion("items", parents: [("id", "order_id")]).rows(of: record.objectValue!)
        #expect(Self.text(rows) == [#"{"order_id":1,"id":9}"#])
    }

    @Test func aMissingOrNullArrayGivesNoRows() throws {
        let explosion = try Self.explosion("jobs[*].parts", parents: [("id", "repair_order_id")])
        for text in [#"{"id":1}"#, #"{"id":1,"jobs":null}"#, #"{"id":1,"jobs":[{"id":2}]}"#] {
            let record = try JSONParser().parse(Array(text.utf8)).objectValue!
            #expect(try explosion.rows(of: record).isEmpty, "\(text)")
        }
    }

    /// A one-to-one part of the record (a customer fetched with a repair order) is one row;
    /// an object where an outer array belongs is still refused.
    @Test func anObjectAtTheLastLevelIsOneRow() throws {
        let record = try JSONParser().parse(Array(#"{"id":1,"customer":{"id":601,"name":"Ann"}}"#.utf8)).objectValue!
        let rows = try Self.explosion("customer", parents: [("id", "ro_id")]).rows(of: record)
        #expect(Self.text(rows) == [#"{"ro_id":1,"id":601,"name":"Ann"}"#])
        let outer = try JSONParser().parse(Array(#"{"jobs":{"parts":[{"sku":"A"}]}}"#.utf8)).objectValue!
        let error = try #require(throws: RowExplosionError.self) {
            try Self.explosion("jobs[*].parts").rows(of: outer)
        }
        #expect(error.description.contains("'jobs' is an object, not an array"), "\(error)")
    }

    @Test func aValueThatIsNotAnArrayRejectsTheRecordNamingWhere() throws {
        let record = try JSONParser().parse(Array(#"{"id":1,"jobs":[{"id":2,"parts":"none"}]}"#.utf8)).objectValue!
        let error = try #require(throws: RowExplosionError.self) {
            try Self.explosion("jobs[*].parts").rows(of: record)
        }
        #expect(error.description == "explode jobs[*].parts[*]: 'jobs[0].parts' is a string, not an array")
        let outer = try JSONParser().parse(Array(#"{"jobs":[7]}"#.utf8)).objectValue!
        let second = try #require(throws: RowExplosionError.self) {
            try Self.explosion("jobs[*].parts").rows(of: outer)
        }
        #expect(second.description.contains("'jobs[0]' is a number, not an object holding 'parts'"))
    }

    @Test func aMissingParentKeyRejectsTheRecord() throws {
        let record = try JSONParser().parse(Array(#"{"id":1,"jobs":[{"parts":[{"sku":"A"}]}]}"#.utf8)).objectValue!
        let error = try #require(throws: RowExplosionError.self) {
            try Self.explosion("jobs[*].parts", parents: [("jobs[*].id", "job_id")]).rows(of: record)
        }
        #expect(error.description.contains("parent key 'id' (as job_id) is missing or null"), "\(error)")
    }

    @Test func explodePathsAndParentKeysAreCheckedAgainstEachOther() throws {
        #expect(ExplodePath("jobs")?.description == "jobs[*]")
        #expect(ExplodePath("detail.jobs[*].parts[*]")?.levels.map(\.description) == ["detail.jobs", "parts"])
        for bad in ["", "jobs[*]parts", "jobs[0]", "jobs..parts", "[*]"] { #expect(ExplodePath(bad) == nil, "\(bad)") }
        let path = try #require(ExplodePath("jobs[*].parts"))
        #expect(try ParentKeyField.resolving(from: "jobs[*].id", as: "job_id", in: path).level == 1)
        #expect(throws: ParentKeyError.self) { try ParentKeyField.resolving(from: "lines[*].id", as: "x", in: path) }
        #expect(throws: ParentKeyError.self) {
            try ParentKeyField.resolving(from: "jobs[*].parts[*].sku", as: "x", in: path)
        }
    }

    @Test func hashKeysSplitBackExactlyWhateverTheKeysHold() throws {
        let root = JSONWriter().encodeString(.string("RO\t1|\"x\""))
        let text = FanOutHashKey.make(output: "jobs", root: root, row: "[7,\"a\tb\"]")
        let parts = try #require(FanOutHashKey.parse(text))
        #expect(parts.output == "jobs" && parts.root == root)
        #expect(!root.contains("\t"), "JSON escapes the tab, so it separates safely")
    }

    // MARK: object entries, repeat counts and running numbers (PV strings from MPPT inputs)

    static let plant = #"""
        {"key": "PV1", "technical": {"systemConfigurations": [
          {"mpptInputs": {"10": {"stringCount": 1}, "9": {"stringCount": 2}}},
          {"mpptInputs": {"2": {"stringCount": 1}}}
        ]}}
        """#

    /// The seed's PV strings: per configuration, MPPT inputs in numeric key order ("9" before
    /// "10"), `stringCount` strings each, numbered over the whole system.
    @Test func objectEntriesInNumericKeyOrderRepeatedByTheirCountAndNumberedOverTheRecord() throws {
        var explosion = try Self.explosion(
            "technical.systemConfigurations[*].mpptInputs{}", parents: [("key", "system")])
        explosion.outerIndexesAs = ["inverter"]
        explosion.keyAs = "mppt"
        explosion.repetition = ExplodeRepetition(count: try #require(FieldPath("stringCount")), name: "string")
        explosion.numberAs = "slot"
        #expect(
            Self.text(try explosion.rows(of: Self.record(Self.plant))) == [
                #"{"slot":1,"system":"PV1","inverter":0,"mppt":"9","string":1,"stringCount":2}"#,
                #"{"slot":2,"system":"PV1","inverter":0,"mppt":"9","string":2,"stringCount":2}"#,
                #"{"slot":3,"system":"PV1","inverter":0,"mppt":"10","string":1,"stringCount":1}"#,
                #"{"slot":4,"system":"PV1","inverter":1,"mppt":"2","string":1,"stringCount":1}"#,
            ])
    }

    @Test func keysThatAreNotAllIntegersKeepTheirWrittenOrderAndIndexAsCountsEntries() throws {
        var explosion = try Self.explosion("inputs{}", indexAs: "position")
        explosion.keyAs = "name"
        let rows = try explosion.rows(of: Self.record(#"{"inputs":{"b":{"x":1},"10":{"x":2},"a":3}}"#))
        #expect(
            Self.text(rows) == [
                #"{"position":0,"name":"b","x":1}"#, #"{"position":1,"name":"10","x":2}"#,
                #"{"position":2,"name":"a","value":3}"#,
            ])
    }

    @Test func anEmptyMissingOrNullObjectGivesNoRowsAndAnArrayThereRejectsTheRecord() throws {
        let explosion = try Self.explosion("configs[*].inputs{}")
        for text in [#"{"configs":[{"inputs":{}}]}"#, #"{"configs":[{}]}"#, #"{"configs":[{"inputs":null}]}"#] {
            #expect(try explosion.rows(of: Self.record(text)).isEmpty, "\(text)")
        }
        let error = try #require(throws: RowExplosionError.self) {
            try explosion.rows(of: Self.record(#"{"configs":[{"inputs":[{"x":1}]}]}"#))
        }
        #expect(error.description == "explode configs[*].inputs{}: 'configs[0].inputs' is an array, not an object")
    }

    @Test func aRepeatCountOfZeroGivesNoRowsAndABadOneRejectsTheRecordNamingThePath() throws {
        var explosion = try Self.explosion("inputs{}")
        explosion.repetition = ExplodeRepetition(count: try #require(FieldPath("strings.count")), name: "n")
        #expect(try explosion.rows(of: Self.record(#"{"inputs":{"1":{"strings":{"count":0}}}}"#)).isEmpty)
        #expect(try explosion.rows(of: Self.record(#"{"inputs":{"1":{"strings":{"count":2.0}}}}"#)).count == 2)
        let cases = [
            #"{"inputs":{"1":{"strings":{}}}}"#: "'strings.count' of 'inputs.1' is missing",
            #"{"inputs":{"1":{"strings":{"count":null}}}}"#: "'strings.count' of 'inputs.1' is null",
            #"{"inputs":{"7":{"strings":{"count":"2"}}}}"#: "'strings.count' of 'inputs.7' is a string (\"2\")",
            #"{"inputs":{"1":{"strings":{"count":-1}}}}"#: "'strings.count' of 'inputs.1' is a number (-1)",
            #"{"inputs":{"1":{"strings":{"count":1.5}}}}"#: "'strings.count' of 'inputs.1' is a number (1.5)",
        ]
        for (text, expected) in cases {
            let error = try #require(throws: RowExplosionError.self) { try explosion.rows(of: Self.record(text)) }
            #expect(error.description == "repeat: count \(expected), not a whole number of 0 or more", "\(text)")
        }
    }

    @Test func objectLevelsParseAndParentKeysFollowThem() throws {
        let path = try #require(ExplodePath("a.configs[*].inputs{}"))
        #expect(path.description == "a.configs[*].inputs{}")
        #expect(path.kinds == [.array, .entries])
        #expect(ExplodePath("inputs{}.strings")?.description == "inputs{}.strings[*]")
        for bad in ["inputs{}x", "inputs{}.", "{}", "in{puts", "inputs{}{}"] {
            #expect(ExplodePath(bad) == nil, "\(bad)")
        }
        let nested = try #require(ExplodePath("inputs{}.strings"))
        #expect(try ParentKeyField.resolving(from: "inputs{}.id", as: "input_id", in: nested).level == 1)
    }
}
