import Testing

@testable import FerryJSON

@Suite struct ContentHashTests {
    @Test func xxHash64MatchesReferenceVectors() {
        #expect(XXHash64.hash(Array("".utf8)) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(XXHash64.hash(Array("Nobody inspects the spammish repetition".utf8)) == 0xFBCE_A83C_8A37_8BF1)
    }

    @Test func independentOfKeyOrder() throws {
        let a = try JSONValue(parsing: #"{"id":1,"name":"x","meta":{"a":[1,{"p":1,"q":2}],"b":null}}"#)
        let b = try JSONValue(parsing: #"{"meta":{"b":null,"a":[1,{"q":2,"p":1}]},"name":"x","id":1}"#)
        #expect(a.contentHash == b.contentHash)
        #expect(a.objectValue?.contentHash == a.contentHash)
    }

    @Test func sensitiveToContent() throws {
        let base = try JSONValue(parsing: #"{"id":1,"tags":["a","b"],"v":null}"#)
        let variants = [
            #"{"id":2,"tags":["a","b"],"v":null}"#,
            #"{"id":1.0,"tags":["a","b"],"v":null}"#,
            #"{"id":"1","tags":["a","b"],"v":null}"#,
            #"{"id":1,"tags":["b","a"],"v":null}"#,
            #"{"id":1,"tags":["a","b"]}"#,
            #"{"id":1,"tags":["a","b"],"v":false}"#,
            #"{"id":1,"tags":["a","b"],"w":null}"#,
            #"{"id":1,"tags":["ab"],"v":null}"#,
        ]
        var hashes: Set<UInt64> = [base.contentHash]
        for text in variants { hashes.insert(try JSONValue(parsing: text).contentHash) }
        #expect(hashes.count == variants.count + 1)
    }

    @Test func keyStringForSingleAndCompoundKeys() {
        let record: JSONValue = ["id": "A-17", "n": 42, "flag": true, "d": 1.5, "nothing": nil, "o": ["b": 1, "a": 2]]
        #expect(record.keyString(for: ["id"]) == "A-17")
        #expect(record.keyString(for: ["n"]) == "42")
        #expect(record.keyString(for: ["flag"]) == "true")
        #expect(record.keyString(for: ["d"]) == "1.5")
        #expect(record.keyString(for: ["o"]) == #"{"a":2,"b":1}"#)
        #expect(record.keyString(for: ["id", "n"]) == #"["A-17",42]"#)
        #expect(record.keyString(for: ["nothing"]) == nil)
        #expect(record.keyString(for: ["missing"]) == nil)
        #expect(record.keyString(for: ["id", "missing"]) == nil)
        #expect(record.keyString(for: []) == nil)
        #expect(JSONValue.int(1).keyString(for: ["id"]) == nil)
    }
}
