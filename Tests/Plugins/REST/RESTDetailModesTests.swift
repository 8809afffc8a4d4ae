import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// `detail:` in the rest `.so` against a VCOM-like API (external-apis.md §1: `GET /systems`,
/// then `GET /systems/{key}/technical-data` per system, each answer wrapped in `{"data": …}`):
/// merge under a key, replace, a record without the key field, statuses that fail the read,
/// and a failed page read again whole by a repeated `next()`.
@Suite struct RESTDetailModesTests {
    /// Systems A and B (and, with `keyless`, one without `key`); `status(key)` overrides a detail's status.
    static func source(
        _ detail: JSONObject, keyless: Bool = false, status: @escaping @Sendable (String) -> Int = { _ in 200 }
    ) throws -> PluginInstance {
        let instance = try PluginInstance(
            "rest",
            config: [
                "streams": [
                    [
                        "name": "systems", "path": "systems", "records_path": "data", "primary_key": "key",
                        "detail": .object(detail),
                    ]
                ]
            ])
        instance.host.http = { request in
            let path = String(request.url.split(separator: "?")[0])
            if path == "systems" {
                let extra = keyless ? #",{"name":"No key"}"# : ""
                return HTTPResponse(
                    status: 200,
                    body: Array(#"{"data":[{"key":"A","name":"Plant A"},{"key":"B","name":"Plant B"}\#(extra)]}"#.utf8))
            }
            let key = path.split(separator: "/")[1]
            let code = status(String(key))
            guard code == 200 else { return HTTPResponse(status: code, body: Array(#"{"error":"nope"}"#.utf8)) }
            return HTTPResponse(
                status: 200, body: Array(#"{"data":{"key":"\#(key)","nominalPower":\#(key == "A" ? 9.9 : 30)}}"#.utf8))
        }
        return instance
    }

    static let technicalData: JSONObject = [
        "path": "systems/{key}/technical-data", "records_path": "data", "into": "technical_data", "concurrency": 2,
    ]

    @Test func mergeUnderAKeyAndReplace() throws {
        let merged = try Self.source(Self.technicalData).read(ReadRequest(stream: "systems")).flatMap(\.records)
        #expect(merged.map { $0["name"]?.stringValue } == ["Plant A", "Plant B"])
        #expect(merged.map { $0["technical_data"]?["nominalPower"]?.doubleValue } == [9.9, 30])
        let replaced = try Self.source([
            "path": "systems/{key}/technical-data", "records_path": "data", "mode": "replace",
        ])
        .read(ReadRequest(stream: "systems")).flatMap(\.records)
        #expect(replaced == [["key": "A", "nominalPower": 9.9], ["key": "B", "nominalPower": 30.0]])
    }

    @Test func aRecordWithoutTheKeyFieldOrWhoseDetailIsGoneIsMarkedTheRestGoOn() throws {
        let records = try Self.source(Self.technicalData, keyless: true, status: { $0 == "B" ? 410 : 200 })
            .read(ReadRequest(stream: "systems")).flatMap(\.records)
        #expect(records.count == 3)
        #expect(SourceRejection.error(in: records[0]) == nil)
        #expect(
            SourceRejection.error(in: records[1])
                == #"stream 'systems': detail GET systems/B/technical-data answered HTTP 410: {"error":"nope"}"#)
        #expect(records[1]["name"] == "Plant B")
        #expect(
            SourceRejection.error(in: records[2])
                == "stream 'systems': the listed record has no usable 'key' for detail.path 'systems/{key}/technical-data'"
        )
    }

    @Test func statusesThatAreNotTheRecordsOwnFailTheRead() throws {
        let forbidden = try #require(throws: PluginError.self) {
            _ = try Self.source(Self.technicalData, status: { $0 == "B" ? 403 : 200 }).read(
                ReadRequest(stream: "systems"))
        }
        #expect(forbidden.status == FERRY_ERR_INVALID)
        #expect(forbidden.message.contains("HTTP 403") && forbidden.message.contains("detail.reject_statuses"))
        let unavailable = try #require(throws: PluginError.self) {
            _ = try Self.source(Self.technicalData, status: { _ in 503 }).read(ReadRequest(stream: "systems"))
        }
        #expect(unavailable.status == FERRY_ERR_RETRYABLE)
        let notAnObject = try #require(throws: PluginError.self) {
            _ = try Self.source(["path": "systems/{key}/technical-data", "records_path": "data.nominalPower"])
                .read(ReadRequest(stream: "systems"))
        }
        #expect(
            notAnObject.message
                == "stream 'systems': the detail response of GET systems/A/technical-data is not an object")
    }

    @Test func aDetailThatFailsOnceIsAskedForAgainWithTheWholePage() throws {
        let failures = NSLockedFlag()
        failures.value = true
        let source = try Self.source(
            Self.technicalData,
            status: { key in
                guard key == "B", failures.value else { return 200 }
                failures.value = false
                return 503
            })
        let batches = try source.read(ReadRequest(stream: "systems"), retries: 1)
        #expect(batches.flatMap(\.records).map { $0["key"]?.stringValue } == ["A", "B"])
        #expect(batches.flatMap(\.records).allSatisfy { $0["technical_data"] != nil })
    }
}
