import Testing

@testable import FerryJSON

@Suite struct JSONSplitDocumentTests {
    private func split(_ text: String, _ path: [String]) throws -> (envelope: JSONValue, elements: [String])? {
        let bytes = Array(text.utf8)
        let result = try bytes.withUnsafeBytes { try JSONSplitDocument.split($0, arrayAt: path) }
        guard case .success(let document) = result else { return nil }
        return (document.envelope, document.elements.map { String(decoding: bytes[$0], as: UTF8.self) })
    }

    @Test func elementsKeepTheirBytesAndTheEnvelopeTheRest() throws {
        let parts = try #require(
            try split(
                #"{"meta": {"next": "b"}, "page": {"data": [ {"id": 1.50} ,"x",[2] ], "n": 3}}"#, ["page", "data"]))
        #expect(parts.elements == [#"{"id": 1.50}"#, #""x""#, "[2]"])
        #expect(parts.envelope == ["meta": ["next": "b"], "page": ["data": [], "n": 3]])
    }

    @Test func theDocumentItselfAByteOrderMarkAndARepeatedKey() throws {
        #expect(try split(" [1, {}] ", [])?.elements == ["1", "{}"])
        #expect(try split("\u{FEFF}{\"d\":[true]}", ["d"])?.elements == ["true"])
        // A parse keeps a repeated key's last value, and so does the split.
        #expect(try split(#"{"d":[1],"d":[2,3]}"#, ["d"])?.elements == ["2", "3"])
        #expect(try split(#"{"d":{"x":1},"d":[2]}"#, ["d"])?.elements == ["2"])
        #expect(try split(#"{"d":[1],"d":{"x":1}}"#, ["d"]) == nil, "the last 'd' is not a list")
        let nested = try #require(try split(#"{"a":[1],"b":0,"a":{"d":[[5],{"e":[6]}]}}"#, ["a", "d"]))
        #expect(nested.elements == ["[5]", #"{"e":[6]}"#])
        #expect(nested.envelope == ["a": ["d": []], "b": 0])
        #expect(try split("[]", [])?.elements == [])
    }

    @Test func whatIsNotThereOrNotAList() throws {
        let bytes = Array(#"{"d":{"e":1},"f":"x"}"#.utf8)
        for (path, missing) in [(["g"], "g"), (["f", "e"], "e"), (["d", "x"], "x")] as [([String], String?)] {
            let result = try bytes.withUnsafeBytes { try JSONSplitDocument.split($0, arrayAt: path) }
            guard case .failure(let notFound) = result else { Issue.record("\(path) found"); continue }
            #expect(notFound.missing == missing)
        }
        let notAList = try bytes.withUnsafeBytes { try JSONSplitDocument.split($0, arrayAt: ["d"]) }
        guard case .failure(let notFound) = notAList else { Issue.record("an object split"); return }
        #expect(notFound.missing == nil)
    }

    @Test func malformedJSONThrowsTheParsesError() {
        for text in [#"{"d":[1,]}"#, #"{"d":[1]"#, #"{"d":["\q"]}"#, #"{"d":[01]}"#] {
            let bytes = Array(text.utf8)
            var parseMessage = ""
            do { _ = try JSONParser().parse(bytes) } catch { parseMessage = error.description }
            #expect(throws: JSONParseError.self) {
                _ = try bytes.withUnsafeBytes { try JSONSplitDocument.split($0, arrayAt: ["d"]) }
            }
            do { _ = try bytes.withUnsafeBytes { try JSONSplitDocument.split($0, arrayAt: ["d"]) } } catch {
                #expect("\(error)" == parseMessage)
            }
        }
    }
}
