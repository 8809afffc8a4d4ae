import FerryJSON
import FerryPluginSDK
import Foundation
import Synchronization
import Testing

/// `detail.also` in the rest `.so`: after the detail, further requests per record (Tekmetric's
/// estimate and labor profit after the repair order), each under its `into`, their paths
/// filled from the record the requests before built; a record the detail rejected is not
/// asked about again; a failing further request fails the read like the detail's own.
@Suite struct RESTDetailAlsoTests {
    /// The URLs asked for, in order.
    final class Calls: Sendable {
        private let urls = Mutex<[String]>([])
        func append(_ url: String) { urls.withLock { $0.append(url) } }
        var all: [String] { urls.withLock { $0 } }
    }

    static func source(estimateStatus: Int = 200, calls: Calls) throws -> PluginInstance {
        let instance = try PluginInstance(
            "rest",
            config: [
                "streams": [
                    [
                        "name": "orders", "path": "board", "primary_key": "id",
                        "detail": [
                            "path": "orders/{id}", "mode": "replace", "concurrency": 1,
                            "also": [
                                // `number` comes from the detail, not from the listed record.
                                ["path": "estimates/{number}", "into": "estimate"],
                                ["path": "orders/{id}/profit", "into": "profit", "query": ["kind": "labor"]],
                            ],
                        ],
                    ]
                ]
            ])
        instance.host.http = { request in
            calls.append(request.url)
            let path = String(request.url.split(separator: "?")[0])
            switch path {
            case "board": return HTTPResponse(status: 200, body: Array(#"[{"id":1},{"id":2}]"#.utf8))
            case "orders/1": return HTTPResponse(status: 200, body: Array(#"{"id":1,"number":"RO-1"}"#.utf8))
            case "orders/2": return HTTPResponse(status: 404, body: Array(#"{"message":"gone"}"#.utf8))
            case "estimates/RO-1":
                return HTTPResponse(status: estimateStatus, body: Array(#"{"jobs":[{"total":5}]}"#.utf8))
            case "orders/1/profit": return HTTPResponse(status: 200, body: Array(#"{"margin":"NaN"}"#.utf8))
            default: return HTTPResponse(status: 500, body: [])
            }
        }
        return instance
    }

    @Test func furtherRequestsAreMergedUnderTheirKeysInOrder() throws {
        let calls = Calls()
        let records = try Self.source(calls: calls).read(ReadRequest(stream: "orders")).flatMap(\.records)
        #expect(records.count == 2)
        #expect(
            records[0]
                == ["id": 1, "number": "RO-1", "estimate": ["jobs": [["total": 5]]], "profit": ["margin": "NaN"]])
        // Order 2's detail answered 404: it is rejected, and its estimate never asked for.
        #expect(SourceRejection.error(in: records[1])?.contains("orders/2 answered HTTP 404") == true)
        #expect(
            calls.all == ["board", "orders/1", "estimates/RO-1", "orders/1/profit?kind=labor", "orders/2"])
    }

    @Test func aFurtherRequestThatFailsFailsTheRead() throws {
        let calls = Calls()
        let error = try #require(throws: PluginError.self) {
            _ = try Self.source(estimateStatus: 503, calls: calls).read(ReadRequest(stream: "orders"))
        }
        #expect(error.message.contains("detail GET estimates/RO-1 answered HTTP 503"), "\(error.message)")
    }

    @Test func aGoneEstimateRejectsTheRecordAlone() throws {
        let calls = Calls()
        let records = try Self.source(estimateStatus: 404, calls: calls).read(ReadRequest(stream: "orders"))
            .flatMap(\.records)
        #expect(SourceRejection.error(in: records[0])?.contains("estimates/RO-1 answered HTTP 404") == true)
        #expect(!calls.all.contains("orders/1/profit?kind=labor"))
    }
}

/// `optional: true` on a further request, and placeholders with alternatives: a customer
/// named flat (`customerId`) or nested (`customer.id`) is fetched; one that answers 404, or a
/// record naming none, leaves the record as it is instead of rejecting it.
@Suite struct RESTDetailOptionalTests {
    @Test func anOptionalRequestThatFindsNothingLeavesTheRecordAsItIs() throws {
        let instance = try PluginInstance(
            "rest",
            config: [
                "streams": [
                    [
                        "name": "orders", "path": "board", "primary_key": "id",
                        "detail": [
                            "path": "orders/{id}", "mode": "merge", "concurrency": 1,
                            "also": [
                                [
                                    "path": "customer/{customerId|customer.id}", "into": "customer_detail",
                                    "optional": true,
                                ]
                            ],
                        ],
                    ]
                ]
            ])
        instance.host.http = { request in
            switch String(request.url.split(separator: "?")[0]) {
            case "board": return HTTPResponse(status: 200, body: Array(#"[{"id":1},{"id":2},{"id":3},{"id":4}]"#.utf8))
            case "orders/1": return HTTPResponse(status: 200, body: Array(#"{"customerId":7}"#.utf8))
            case "orders/2": return HTTPResponse(status: 200, body: Array(#"{"customer":{"id":8}}"#.utf8))
            case "orders/3": return HTTPResponse(status: 200, body: Array(#"{"customerId":9}"#.utf8))
            case "orders/4": return HTTPResponse(status: 200, body: Array(#"{"note":"walk-in"}"#.utf8))
            case "customer/7": return HTTPResponse(status: 200, body: Array(#"{"name":"Ann"}"#.utf8))
            case "customer/8": return HTTPResponse(status: 200, body: Array(#"{"name":"Bo"}"#.utf8))
            case "customer/9": return HTTPResponse(status: 404, body: Array(#"{"message":"gone"}"#.utf8))
            default: return HTTPResponse(status: 500, body: [])
            }
        }
        let records = try instance.read(ReadRequest(stream: "orders")).flatMap(\.records)
        #expect(records.map { $0["customer_detail"]?["name"]?.stringValue } == ["Ann", "Bo", nil, nil])
        #expect(records.allSatisfy { $0["__ferry_reject"] == nil }, "\(records)")

        let detailOptional = #expect(throws: PluginError.self) {
            try PluginInstance(
                "rest",
                config: [
                    "streams": [
                        [
                            "name": "o", "path": "b", "primary_key": "id",
                            "detail": ["path": "o/{id}", "optional": true],
                        ]
                    ]
                ])
        }
        #expect(detailOptional?.message.contains("optional is for also: requests") == true)
    }
}
