import FerryJSON
import FerryTesting
import Foundation
import Testing

/// Equipment VCOM no longer has (`examples/vysync/`, `replace_children` on the `inverters`
/// and `strings` outputs, `delete: true, on_delete: forget` on their writes), on the real
/// `ferry` against the simulators: a PV string its MPPT inputs no longer produce and an
/// inverter gone from the system's list stay in Yuman, as the seed keeps them, and leave the ID
/// map once (their mapping rows are flagged obsolete: `VysyncMappingColumnsTests`), even when the
/// run is killed.
@Suite struct VysyncDroppedEquipmentTests {
    /// PV002's last string: its third configuration's MPPT input "10" goes from two strings to one.
    static let droppedString = "STRING-12-WR3-MPPT-10.2-PV002"
    /// PV002's second inverter (serial SNPV0022), removed from its inverter list.
    static let droppedInverter = "SNPV0022"

    @Test func aStringAndAnInverterVCOMNoLongerHasStayInYumanAndLeaveTheIDMapOnce() throws {
        let example = try Self.syncedExample()
        let before = example.yuman.requests.count
        try Self.dropEquipment(example)

        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        // PV002's site updated (its technical data, read with the system, changed); nothing deleted.
        let site = try VysyncPoliciesTests.site(example, "PV002").id
        let writes = example.yuman.requests.dropFirst(before).filter { !$0.hasPrefix("GET") }
        #expect(writes == ["PATCH /sites/\(site)"], "\(writes)")
        try Self.expectForgotten(example)

        // A rerun finds nothing more to forget or write.
        let settled = example.yuman.requests.count
        let rerun = try example.ferry()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        let again = example.yuman.requests.dropFirst(settled).filter { !$0.hasPrefix("GET") }
        #expect(again.isEmpty, "\(again)")
    }

    /// Killed before the answer of its only write (PV002's site) left Yuman: the equipment
    /// pipeline never ran, so the rerun forgets the two, once; Yuman keeps every material.
    @Test func aKillBeforeTheEquipmentIsForgottenForgetsItOnce() throws {
        let example = try Self.syncedExample()
        try Self.dropEquipment(example)
        #expect(try example.runKilled(afterWrite: 1), "the run ended before write 1")
        var rerun = try example.ferry()
        for _ in 0..<3 where rerun.status != 0 { rerun = try example.ferry() }
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        try Self.expectForgotten(example)
        #expect(example.yuman.requests.filter { $0.hasPrefix("DELETE") }.isEmpty, "\(example.yuman.requests)")
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

    /// The two objects are still in Yuman (each once) and gone from the ID map; everything else is as it was.
    static func expectForgotten(_ example: VysyncExample) throws {
        let serials = example.yuman.objects("materials").compactMap { $0.fields["serial_number"]?.stringValue }
        #expect(serials.contains(droppedString))
        #expect(serials.contains(droppedInverter))
        let plant = try #require(example.vcom.plants.first { $0.key == "PV002" })
        let expected = Set(VysyncExample.materials(of: plant).keys).union([droppedString, droppedInverter])
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
}
