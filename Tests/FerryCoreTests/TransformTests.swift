import FerryJSON
import Testing

@testable import FerryCore

/// Compiles `steps` (JSON text of the list) or fails the test.
func chain(_ steps: String) throws -> TransformChain {
    guard case .array(let list) = try JSONValue(parsing: steps) else { throw TransformTestError.notAList }
    return try TransformChain(steps: list)
}

func record(_ text: String) throws -> JSONObject {
    guard case .object(let object) = try JSONValue(parsing: text) else { throw TransformTestError.notAnObject }
    return object
}

/// The compile error's description for `steps`, or nil when they compile.
func compileError(_ steps: String) -> String? {
    do {
        _ = try chain(steps)
        return nil
    } catch {
        return "\(error)"
    }
}

/// Applies `steps` to `input` and returns the kept record's JSON, "dropped", "rejected: reason",
/// "deferred (limit): reason" or "failed: reason".
func run(_ steps: String, _ input: String, lookup: TransformChain.Lookup? = nil) throws -> String {
    switch try chain(steps).apply(to: record(input), lookup: lookup) {
    case .kept(let output): return output.encodedString()
    case .dropped: return "dropped"
    case .rejected(let reason): return "rejected: \(reason)"
    case .deferred(let reason, let limit): return "deferred (\(limit)): \(reason)"
    case .failed(let reason): return "failed: \(reason)"
    }
}

enum TransformTestError: Error { case notAList, notAnObject }

@Suite struct TransformTests {
    @Test func emptyChainKeepsTheRecord() throws {
        #expect(try run("[]", #"{"a":1}"#) == #"{"a":1}"#)
        #expect(try chain("[]").count == 0)
    }

    @Test func selectKeepsListedFieldsIncludingNested() throws {
        let steps = #"[{"op":"select","fields":["id","customer.address.city","missing"]}]"#
        let input = #"{"id":1,"name":"x","customer":{"name":"A","address":{"city":"Oulu","zip":"90100"}}}"#
        #expect(try run(steps, input) == #"{"id":1,"customer":{"address":{"city":"Oulu"}}}"#)
    }

    @Test func dropRemovesFieldsAndIgnoresMissingOnes() throws {
        let steps = #"[{"op":"drop","fields":["secret","customer.ssn","nope.deeper"]}]"#
        #expect(
            try run(steps, #"{"id":1,"secret":"s","customer":{"ssn":"x","n":2}}"#) == #"{"id":1,"customer":{"n":2}}"#)
        #expect(try run(#"[{"op":"drop","fields":"a"}]"#, #"{"a":1,"b":2}"#) == #"{"b":2}"#)
    }

    @Test func dropIfEmptyRemovesOnlyBlankValues() throws {
        let steps = #"[{"op":"drop","fields":["title","description","tags","n","z"],"if_empty":true}]"#
        #expect(try run(steps, #"{"title":"","description":null,"tags":[],"n":0,"z":" "}"#) == #"{"n":0,"z":" "}"#)
        #expect(try run(steps, #"{"title":"Tuning","tags":["a"]}"#) == #"{"title":"Tuning","tags":["a"]}"#)
        #expect(compileError(#"[{"op":"drop","fields":["a"],"if_empty":"yes"}]"#)?.contains("if_empty") == true)
    }

    @Test func renameMovesValuesAcrossLevels() throws {
        #expect(try run(#"[{"op":"rename","from":"a","to":"b"}]"#, #"{"a":1,"c":2}"#) == #"{"c":2,"b":1}"#)
        #expect(
            try run(#"[{"op":"rename","from":"loc.city","to":"city"}]"#, #"{"loc":{"city":"Turku"}}"#)
                == #"{"loc":{},"city":"Turku"}"#)
        #expect(
            try run(#"[{"op":"rename","fields":{"x":"meta.x","y":"z"}}]"#, #"{"x":1,"y":2}"#)
                == #"{"meta":{"x":1},"z":2}"#)
        #expect(try run(#"[{"op":"rename","from":"missing","to":"b"}]"#, #"{"a":1}"#) == #"{"a":1}"#)
    }

    @Test func setWritesConstantsCreatingIntermediateObjects() throws {
        #expect(try run(#"[{"op":"set","field":"source","value":"vcom"}]"#, #"{"a":1}"#) == #"{"a":1,"source":"vcom"}"#)
        #expect(
            try run(#"[{"op":"set","fields":{"meta.origin.system":"vcom","meta.v":2}}]"#, #"{"meta":{"k":0}}"#)
                == #"{"meta":{"k":0,"origin":{"system":"vcom"},"v":2}}"#)
        #expect(try run(#"[{"op":"set","field":"a","value":null}]"#, #"{"a":1}"#) == #"{"a":null}"#)
    }

    @Test func writingThroughAScalarRejects() throws {
        #expect(
            try run(#"[{"op":"set","field":"a.b.c","value":1}]"#, #"{"a":{"b":5}}"#)
                == "rejected: transform 1 (set): cannot write 'a.b.c': 'a.b' is not an object")
        #expect(
            try run(#"[{"op":"rename","from":"x","to":"a.b"}]"#, #"{"x":1,"a":[1]}"#)
                == "rejected: transform 1 (rename): cannot write 'a.b': 'a' is not an object")
    }

    @Test func templateRendersPlaceholders() throws {
        let steps = #"[{"op":"template","field":"full_name","template":"{first} {last} ({customer.id}) {{x}}"}]"#
        #expect(
            try run(steps, #"{"first":"Anna","last":"Virtanen","customer":{"id":42}}"#)
                == #"{"first":"Anna","last":"Virtanen","customer":{"id":42},"full_name":"Anna Virtanen (42) {x}"}"#)
        #expect(
            try run(steps, #"{"first":"Anna","customer":{"id":1}}"#)
                == "rejected: transform 1 (template): field 'last' used by the template is missing (set 'default' to allow this)"
        )
        #expect(
            try run(#"[{"op":"template","field":"t","template":"{a}-{b}","default":"?"}]"#, #"{"a":true,"b":null}"#)
                == #"{"a":true,"b":null,"t":"true-?"}"#)
    }

    @Test func defaultFillsMissingOrNull() throws {
        let steps = #"[{"op":"default","fields":{"status":"new","count":0,"meta.tag":"x"}}]"#
        #expect(try run(steps, #"{"status":null,"count":5}"#) == #"{"status":"new","count":5,"meta":{"tag":"x"}}"#)
        #expect(try run(#"[{"op":"default","field":"s","value":"y"}]"#, #"{"s":""}"#) == #"{"s":""}"#)
    }

    @Test func filterConditions() throws {
        func keeps(_ condition: String, _ input: String) throws -> Bool {
            try run("[{\"op\":\"filter\",\"where\":\(condition)}]", input) != "dropped"
        }
        #expect(try keeps(#"{"field":"status","equals":"active"}"#, #"{"status":"active"}"#))
        #expect(try !keeps(#"{"field":"status","equals":"active"}"#, #"{"status":"closed"}"#))
        #expect(try !keeps(#"{"field":"status","equals":"active"}"#, #"{}"#))
        #expect(try keeps(#"{"field":"n","equals":1}"#, #"{"n":1.0}"#))
        #expect(try keeps(#"{"field":"status","not_equals":"deleted"}"#, #"{}"#))
        #expect(try !keeps(#"{"field":"status","not_equals":"deleted"}"#, #"{"status":"deleted"}"#))
        #expect(try keeps(#"{"field":"kind","in":["a","b"]}"#, #"{"kind":"b"}"#))
        #expect(try !keeps(#"{"field":"kind","in":["a","b"]}"#, #"{"kind":"c"}"#))
        #expect(try keeps(#"{"field":"x.y","exists":true}"#, #"{"x":{"y":0}}"#))
        #expect(try !keeps(#"{"field":"x.y","exists":true}"#, #"{"x":{"y":null}}"#))
        #expect(try keeps(#"{"field":"x","exists":false}"#, #"{}"#))
        #expect(try keeps(#"{"field":"kw","greater_than":10}"#, #"{"kw":10.5}"#))
        #expect(try !keeps(#"{"field":"kw","greater_than":10}"#, #"{"kw":10}"#))
        #expect(try !keeps(#"{"field":"kw","greater_than":10}"#, #"{"kw":"11"}"#))
        #expect(try keeps(#"{"field":"kw","less_than":10}"#, #"{"kw":-3}"#))
        #expect(try keeps(#"{"field":"day","greater_than":"2025-01-01"}"#, #"{"day":"2025-02-01"}"#))
        #expect(try !keeps(#"{"field":"day","less_than":"2025-01-01"}"#, #"{"day":"2025-02-01"}"#))
        #expect(try keeps(#"{"field":"n","greater_than":1,"less_than":5}"#, #"{"n":3}"#))
        #expect(try !keeps(#"{"field":"n","greater_than":1,"less_than":5}"#, #"{"n":7}"#))
        #expect(try keeps(#"{"any":[{"field":"a","equals":1},{"field":"b","equals":2}]}"#, #"{"b":2}"#))
        #expect(try !keeps(#"{"all":[{"field":"a","equals":1},{"field":"b","equals":2}]}"#, #"{"b":2}"#))
    }

    @Test func filterStopsTheChain() throws {
        let steps = #"[{"op":"filter","where":{"field":"ok","equals":true}},{"op":"cast","field":"n","to":"integer"}]"#
        #expect(try run(steps, #"{"ok":false,"n":"bad"}"#) == "dropped")
        #expect(
            try run(steps, #"{"ok":true,"n":"bad"}"#)
                == #"rejected: transform 2 (cast): field 'n' value "bad" is not an integer"#)
    }

    @Test func cleanNumbersReplacesNonFiniteDoubles() throws {
        let input = try JSONParser(options: .init(allowNonFiniteNumbers: true))
            .parse(#"{"a":NaN,"b":1.5,"c":{"d":[Infinity,2]},"e":-Infinity}"#).objectValue!
        guard case .kept(let all) = try chain(#"[{"op":"clean_numbers"}]"#).apply(to: input) else {
            Issue.record(); return
        }
        #expect(all.encodedString() == #"{"a":null,"b":1.5,"c":{"d":[null,2]},"e":null}"#)
        #expect(all["a"] == .null)
        guard case .kept(let some) = try chain(#"[{"op":"clean_numbers","fields":["c.d","missing"]}]"#).apply(to: input)
        else {
            Issue.record(); return
        }
        #expect(some["a"]?.doubleValue?.isNaN == true)
        #expect(some["c"] == ["d": [nil, 2]])
        #expect(some["e"] == .double(-.infinity))
    }

    @Test func lookupMapsIDsThroughTheStore() throws {
        let mappings = ["vcom_sites": ["VC1": "site-9"]]
        let lookup: TransformChain.Lookup = { scope, id in mappings[scope]?[id] }
        let required = #"[{"op":"lookup","field":"system_key","scope":"vcom_sites","to":"site_id","required":true}]"#
        #expect(
            try run(required, #"{"system_key":"VC1"}"#, lookup: lookup) == #"{"system_key":"VC1","site_id":"site-9"}"#)
        #expect(
            try run(required, #"{"system_key":"VC2"}"#, lookup: lookup)
                == #"rejected: transform 1 (lookup): no 'vcom_sites' mapping for field 'system_key' value "VC2""#)
        #expect(
            try run(required, #"{"other":1}"#, lookup: lookup)
                == "rejected: transform 1 (lookup): field 'system_key' is missing, so no 'vcom_sites' mapping can be found"
        )
        #expect(
            try run(required, #"{"system_key":[1]}"#, lookup: lookup)
                == "rejected: transform 1 (lookup): field 'system_key' value [1] is not a string or integer id")
        #expect(
            try run(required, #"{"system_key":"VC1"}"#)
                == "rejected: transform 1 (lookup): no ID-mapping store is available to look up 'vcom_sites'")
        let optional = #"[{"op":"lookup","field":"k","scope":"vcom_sites","to":"ids.site"}]"#
        #expect(try run(optional, #"{"k":"VC2"}"#, lookup: lookup) == #"{"k":"VC2"}"#)
        #expect(try run(optional, #"{}"#, lookup: lookup) == #"{}"#)
        #expect(try run(optional, #"{"k":"VC1"}"#, lookup: lookup) == #"{"k":"VC1","ids":{"site":"site-9"}}"#)
        var seen: [String] = []
        _ = try chain(optional).apply(to: record(#"{"k":17}"#)) {
            seen.append("\($0)/\($1)"); return nil
        }
        #expect(seen == ["vcom_sites/17"])
        struct StoreDown: Error, CustomStringConvertible { var description: String { "database is locked" } }
        #expect(
            try run(optional, #"{"k":"VC1"}"#, lookup: { _, _ in throw StoreDown() })
                == #"rejected: transform 1 (lookup): looking up "VC1" in 'vcom_sites' failed: database is locked"#)
        #expect(try chain(optional + "").lookupScopes == ["vcom_sites"])
    }

    @Test func stepsRunInOrder() throws {
        let steps = #"""
            [{"op":"rename","from":"price","to":"amount"},
             {"op":"cast","field":"amount","to":"money_cents"},
             {"op":"set","field":"currency","value":"EUR"},
             {"op":"drop","fields":["internal"]}]
            """#
        #expect(try run(steps, #"{"price":"€1,234.50","internal":true}"#) == #"{"amount":123450,"currency":"EUR"}"#)
    }
}
