import FerryJSON
import FerryTesting
import Foundation
import Testing

/// An inverter whose VCOM detail answers 404 still gets a brand and model in Yuman: its
/// configuration's `inverter` (the one at its position), as the seed falls back.
@Suite struct VysyncInverterFallbackTests {
    @Test func anInverterWithoutDetailTakesItsConfigurationsBrandAndModel() throws {
        // PV002 has three inverters; VCOM no longer answers the detail of the first and the third.
        let vcom = VCOMSimulator(plants: 2, inverterDetailsGone: ["Id10002.1", "Id10002.3"])
        let example = try VysyncExample(vcom: vcom, yuman: YumanSimulator(perMinute: 1000), yumanPerMinute: 1000)
        for outcome in try example.importMappings() { #expect(outcome.status == 0, "\(outcome.stderr)") }
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            vcom.refusals.contains { $0.hasPrefix("404 GET /systems/PV002/inverters/Id10002.1") }, "\(vcom.refusals)")

        let pv002 = try #require(example.yuman.objects("sites").first { $0.fields["code"] == "PV002" })
        let inverters = example.yuman.objects("materials").filter {
            $0.fields["category_id"]?.intValue == 11102
                && $0.fields["site_id"].map(YumanSimulator.text) == String(pv002.id)
        }
        // The configuration names the vendor in full ("SMA Solar Technology"), the detail "SMA":
        // WR1 and WR3 from their configurations (WR3's model differs from its detail's), WR2 from its detail.
        #expect(
            inverters.map {
                "\($0.fields["serial_number"]?.stringValue ?? "?") | \($0.fields["brand"]?.stringValue ?? "?") | \($0.fields["model"]?.stringValue ?? "?")"
            }.sorted() == [
                "Id10002.3 | SMA Solar Technology | STP 50-40 CORE1",
                "SNPV0021 | SMA Solar Technology | STP 25000TL-30",
                "SNPV0022 | SMA | STP 110-60 CORE2",
            ], "\(inverters.map(\.fields))")
        let deadLetters = try example.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters")
        #expect(deadLetters == ["0"])

        // A rerun with the same answers sends Yuman nothing new.
        let before = example.yuman.requests.count
        #expect(try example.ferry().status == 0)
        #expect(example.yuman.requests.dropFirst(before).allSatisfy { $0.hasPrefix("GET") })
    }
}
