import FerryJSON
import FerryTesting
import Foundation
import Testing

/// Equipment VCOM no longer has (`examples/vysync/`, `replace_children` on the `inverters`
/// and `strings` outputs, `delete: true` on their writes), on the real `ferry` against the
/// simulators: a PV string its MPPT inputs no longer produce and an inverter gone from the
/// system's list are deleted from Yuman once, their ID-map pairs removed, even when the run
/// is killed right after Yuman applied the delete.
@Suite struct VysyncDroppedEquipmentTests {
    /// PV002's last string: its third configuration's MPPT input "10" goes from two strings to one.
    static let droppedString = "STRING-12-WR3-MPPT-10.2-PV002"
    /// PV002's second inverter (serial SNPV0022), removed from its inverter list.
    static let droppedInverter = "SNPV0022"

    @Test func aStringAndAnInverterVCOMNoLongerHasAreDeletedFromYumanOnceWithTheirPairs() throws {
        let example = try Self.syncedExample()
        let stringID = try Self.materialID(example, Self.droppedString)
        let inverterID = try Self.materialID(example, Self.droppedInverter)
        let before = example.yuman.requests.count
        try Self.dropEquipment(example)

        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        // The two deletes, and PV002's site updated (its technical data, read with the system, changed).
        let site = try VysyncPoliciesTests.site(example, "PV002").id
        let writes = example.yuman.requests.dropFirst(before).filter { !$0.hasPrefix("GET") }
        #expect(
            writes.sorted()
                == ["DELETE /materials/\(inverterID)", "DELETE /materials/\(stringID)", "PATCH /sites/\(site)"].sorted(),
            "\(writes)")
        try Self.expectDropped(example)

        // A rerun finds nothing more to delete or write.
        let settled = example.yuman.requests.count
        let rerun = try example.ferry()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        let again = example.yuman.requests.dropFirst(settled).filter { !$0.hasPrefix("GET") }
        #expect(again.isEmpty, "\(again)")
    }

    /// The rerun's first write is PV002's site (`sites` runs first), the second and third the deletes.
    @Test(arguments: [2, 3])
    func aKillRightAfterYumanAppliedADeleteDeletesOnce(afterWrite write: Int) throws {
        let example = try Self.syncedExample(name: "aKillRightAfterYumanAppliedADeleteDeletesOnce-\(write)")
        let ids = [
            try Self.materialID(example, Self.droppedString), try Self.materialID(example, Self.droppedInverter),
        ]
        try Self.dropEquipment(example)
        // Killed before the answer of its `write`th write (a DELETE) left Yuman: the object is
        // gone, the run's commit never happened, so the rerun sends that delete again.
        let before = example.yuman.requests.count
        #expect(try example.runKilled(afterWrite: write), "the run ended before write \(write)")
        let killedAfter = example.yuman.requests.dropFirst(before).filter { !$0.hasPrefix("GET") }.last
        #expect(killedAfter?.hasPrefix("DELETE") == true, "\(killedAfter ?? "no write")")
        var rerun = try example.ferry()
        for _ in 0..<3 where rerun.status != 0 { rerun = try example.ferry() }
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        try Self.expectDropped(example)
        // Every DELETE named one of the two objects; a repeat found it gone (404), nothing else was deleted.
        let deletes = example.yuman.requests.filter { $0.hasPrefix("DELETE") }
        #expect(Set(deletes) == Set(ids.map { "DELETE /materials/\($0)" }), "\(deletes)")
        #expect(
            example.yuman.refusals.filter { !$0.hasPrefix("429") }.allSatisfy { $0.hasPrefix("404 DELETE") },
            "\(example.yuman.refusals)")
        #expect(try example.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["0"])
    }

    /// The example after a first full run (PV002: three inverters, twelve strings), all in place.
    static func syncedExample(name: String = #function) throws -> VysyncExample {
        let example = try VysyncPoliciesTests.syncedExample(name: name)
        #expect(try example.problems().isEmpty)
        return example
    }

    /// In VCOM: PV002's third configuration's MPPT input "10" has one string, not two, and its
    /// second inverter is no longer listed.
    static func dropEquipment(_ example: VysyncExample) throws {
        let plant = try #require(example.vcom.plants.first { $0.key == "PV002" })
        var technical = try #require(VCOMSimulator.technicalData(plant).objectValue)
        var configurations = try #require(technical["systemConfigurations"]?.arrayValue)
        var third = try #require(configurations[2].objectValue)
        var inputs = try #require(third["mpptInputs"]?.objectValue)
        var input = try #require(inputs["10"]?.objectValue)
        input["stringCount"] = 1
        inputs["10"] = .object(input)
        third["mpptInputs"] = .object(inputs)
        configurations[2] = .object(third)
        technical["systemConfigurations"] = .array(configurations)
        example.vcom.change("/systems/PV002/technical-data", to: .object(technical))
        let listed = VCOMSimulator.inverters(of: plant).filter { $0["serial"]?.stringValue != droppedInverter }
            .map { inverter -> JSONValue in
                ["id": inverter["id"] ?? nil, "name": inverter["name"] ?? nil, "serial": inverter["serial"] ?? nil]
            }
        example.vcom.change("/systems/PV002/inverters", to: .array(listed))
    }

    /// The two objects are gone from Yuman and from the ID map; everything else is as it was.
    static func expectDropped(_ example: VysyncExample) throws {
        let serials = example.yuman.objects("materials").compactMap { $0.fields["serial_number"]?.stringValue }
        #expect(!serials.contains(droppedString))
        #expect(!serials.contains(droppedInverter))
        let plant = try #require(example.vcom.plants.first { $0.key == "PV002" })
        let expected = Set(VysyncExample.materials(of: plant).keys).subtracting([droppedString, droppedInverter])
        #expect(
            Set(serials.filter { $0.hasSuffix("PV002") || $0.hasPrefix("SNPV002") || $0.hasPrefix("Id10002") })
                == expected)
        // Nothing was created twice, and PV001 kept all of its materials.
        #expect(serials.count == Set(serials).count, "\(serials)")
        let pv001 = try #require(example.vcom.plants.first { $0.key == "PV001" })
        #expect(Set(VysyncExample.materials(of: pv001).keys).isSubset(of: Set(serials)))
        for (scope, key) in [("yuman/strings", droppedString), ("yuman/inverters", droppedInverter)] {
            #expect(
                try example.sandbox.sql(
                    "state.db", "SELECT count(*) FROM id_map WHERE scope = '\(scope)' AND source_id = '\(key)'") == [
                        "0"
                    ])
        }
        let strings = example.vcom.plants.reduce(0) { $0 + VysyncExample.strings(of: $1).count } - 1
        #expect(
            try example.sandbox.sql("state.db", "SELECT count(*) FROM id_map WHERE scope = 'yuman/strings'")
                == ["\(strings)"])
    }

    static func materialID(_ example: VysyncExample, _ serial: String) throws -> Int {
        try #require(example.yuman.objects("materials").first { $0.fields["serial_number"]?.stringValue == serial }).id
    }
}
