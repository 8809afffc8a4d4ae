import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// `also: [{each: …}]` in the rest `.so`: one request per element of a list the record holds
/// (each inverter of a VCOM system), its path filled from the element's fields and then the
/// record's, each answer under `into` in its own element; a 404 leaves the element without it
/// when `optional`, else rejects the record naming the element; a list that is not one fails.
@Suite struct RESTDetailEachTests {
    static func source(
        optional: Bool = true, listed: String = #"{"data":[{"id":"A"},{"id":"B"},{"id":"C"}]}"#,
        calls: RESTDetailAlsoTests.Calls
    ) throws -> PluginInstance {
        // The vysync example's shape: the inverter list, then each inverter's own detail.
        let config = """
            {"streams": [{"name": "systems", "path": "systems", "primary_key": "key",
              "detail": {"path": "systems/{key}/inverters", "into": "inverters", "concurrency": 1, "also": [
                {"path": "systems/{key}/inverters/{id}", "each": "inverters.data", "records_path": "data",
                 "into": "detail", "optional": \(optional)}]}}]}
            """
        let instance = try PluginInstance("rest", config: try JSONParser().parse(Array(config.utf8)))
        instance.host.http = { request in
            calls.append(request.url)
            switch request.url {
            case "systems": return HTTPResponse(status: 200, body: Array(#"[{"key":"S1"},{"key":"S2"}]"#.utf8))
            case "systems/S1/inverters": return HTTPResponse(status: 200, body: Array(listed.utf8))
            case "systems/S2/inverters": return HTTPResponse(status: 200, body: Array(#"{"data":[]}"#.utf8))
            case "systems/S1/inverters/A", "systems/S1/inverters/C":
                let id = request.url.suffix(1)
                return HTTPResponse(
                    status: 200, body: Array(#"{"data":{"id":"\#(id)","vendor":"SMA","model":"STP \#(id)"}}"#.utf8))
            case "systems/S1/inverters/B": return HTTPResponse(status: 404, body: Array(#"{"error":"none"}"#.utf8))
            default: return HTTPResponse(status: 500, body: [])
            }
        }
        return instance
    }

    @Test func eachElementGetsItsOwnAnswerUnderInto() throws {
        let calls = RESTDetailAlsoTests.Calls()
        let records = try Self.source(calls: calls).read(ReadRequest(stream: "systems")).flatMap(\.records)
        #expect(
            records == [
                [
                    "key": "S1",
                    "inverters": [
                        "data": [
                            ["id": "A", "detail": ["id": "A", "vendor": "SMA", "model": "STP A"]],
                            // 404 and optional: the element goes on without its detail.
                            ["id": "B"],
                            ["id": "C", "detail": ["id": "C", "vendor": "SMA", "model": "STP C"]],
                        ]
                    ],
                ],
                ["key": "S2", "inverters": ["data": []]],
            ])
        #expect(
            calls.all == [
                "systems", "systems/S1/inverters", "systems/S1/inverters/A", "systems/S1/inverters/B",
                "systems/S1/inverters/C", "systems/S2/inverters",
            ])
    }

    @Test func aGoneElementRejectsTheRecordNamingItUnlessOptional() throws {
        let records = try Self.source(optional: false, calls: RESTDetailAlsoTests.Calls())
            .read(ReadRequest(stream: "systems")).flatMap(\.records)
        let error = try #require(SourceRejection.error(in: records[0]))
        #expect(error.contains("detail GET systems/S1/inverters/B answered HTTP 404"), "\(error)")
        #expect(error.hasSuffix("(inverters.data[1])"), "\(error)")
        #expect(SourceRejection.error(in: records[1]) == nil)
    }

    @Test func aListThatIsNotOneOrAnElementThatIsNotAnObjectFailsTheRead() throws {
        for (listed, expected) in [
            (#"{"data":{"id":"A"}}"#, "also each 'inverters.data' of a record is not a list"),
            (#"{"data":["A"]}"#, "also each 'inverters.data[0]' is not an object"),
        ] {
            let error = try #require(throws: PluginError.self) {
                _ = try Self.source(listed: listed, calls: RESTDetailAlsoTests.Calls())
                    .read(ReadRequest(stream: "systems"))
            }
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func eachIsOnlyForFurtherRequests() throws {
        let error = try #require(throws: PluginError.self) {
            _ = try PluginInstance(
                "rest",
                config: [
                    "streams": [
                        [
                            "name": "systems", "path": "systems",
                            "detail": ["path": "systems/{key}", "each": "inverters"],
                        ]
                    ]
                ])
        }
        #expect(error.message.contains("each"), "\(error.message)")
    }
}
