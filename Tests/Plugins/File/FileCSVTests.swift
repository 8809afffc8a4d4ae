import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

@Suite struct FileCSVTests {
    @Test func readsQuotesEscapedQuotesEmbeddedNewlinesAndCRLF() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("people.csv")
        FileTest.write(
            path,
            "id,name,note,score,active,code,empty\r\n"
                + "1,\"Smith, Jo\",\"said \"\"hi\"\"\r\nthen left\",4.5,true,\"007\",\r\n"
                + "2,Zoë 名前,plain,-3,FALSE,007,\"\"\r\n"
                + "\r\n"
                + "3,short\r\n")
        let instance = try FileTest.open(["path": .string(path)])
        let records = try instance.read(ReadRequest(stream: "people")).flatMap(\.records)
        #expect(records.count == 3)
        #expect(
            records[0] == [
                "id": 1, "name": "Smith, Jo", "note": "said \"hi\"\r\nthen left", "score": 4.5,
                "active": true, "code": "007", "empty": nil,
            ])
        #expect(
            records[1] == [
                "id": 2, "name": "Zoë 名前", "note": "plain", "score": -3, "active": false,
                "code": "007", "empty": "",
            ])
        #expect(
            records[2] == [
                "id": 3, "name": "short", "note": nil, "score": nil, "active": nil, "code": nil, "empty": nil,
            ])
        let raw = try FileTest.open(["path": .string(path), "infer_types": false])
        let strings = try raw.read(ReadRequest(stream: "people")).flatMap(\.records)
        #expect(strings[0]["id"] == "1")
        #expect(strings[0]["empty"] == "")
    }

    @Test func roundTripsThroughTheDestination() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("out.csv")
        let records: [JSONValue] = [
            ["id": 1, "text": "comma, \"quote\" and\nnewline", "n": 2.5, "flag": true, "maybe": nil, "digits": "42"],
            ["id": 2, "text": "ünïcödé ✓", "n": -1, "flag": false, "maybe": "", "digits": "0042"],
            ["id": 3, "text": " padded ", "n": 1e20, "flag": "true", "maybe": "x", "digits": "-7"],
        ]
        let destination = try FileTest.open(["path": .string(path)])
        let result = try destination.write(
            WriteRequest(stream: "out", operation: .append, batchID: "b1"), records: records)
        #expect(result.accepted == 3)
        #expect(FileTest.contents(path).hasPrefix("id,text,n,flag,maybe,digits\r\n"))
        let source = try FileTest.open(["path": .string(path)])
        let read = try source.read(ReadRequest(stream: "out")).flatMap(\.records)
        #expect(read.map { JSONValue.object($0) } == records)
    }

    @Test func laterUnknownFieldsAreRejectedAndTheHeaderIsKept() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("strict.csv")
        let destination = try FileTest.open(["path": .string(path), "delimiter": ";"])
        _ = try destination.write(
            WriteRequest(stream: "s", operation: .append, batchID: "1"), records: [["a": 1, "b": "x;y"]])
        let reopened = try FileTest.open(["path": .string(path), "delimiter": ";"])
        let result = try reopened.write(
            WriteRequest(stream: "s", operation: .append, batchID: "2"),
            records: [["a": 2], ["a": 3, "c": true], ["b": "only b"]])
        #expect(result.accepted == 2)
        #expect(result.rejectedIndexes == [1])
        #expect(result.rejects.first?["error"]?.stringValue?.contains("'c'") == true)
        #expect(FileTest.contents(path) == "a;b\r\n1;\"x;y\"\r\n2;\r\n;only b\r\n")
    }
}
