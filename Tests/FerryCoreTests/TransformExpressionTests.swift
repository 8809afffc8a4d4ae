import FerryJSON
import Foundation
import Testing

@testable import FerryCore

/// The value `expr` computes for `input`, as JSON text, or "rejected: reason".
private func compute(_ expr: String, _ input: String = "{}", now: Date = Date(timeIntervalSince1970: 0)) throws
    -> String
{
    let step: JSONValue = ["op": "compute", "field": "out", "expr": .string(expr)]
    switch try TransformChain(steps: [step], now: now).apply(to: record(input)) {
    case .kept(let output): return output["out"]?.encodedString() ?? "missing"
    case .rejected(let reason): return "rejected: \(reason)"
    case let other: return "\(other)"
    }
}

/// Expressions: every function and operator, on the values sources send.
@Suite struct TransformExpressionTests {
    @Test func textFunctions() throws {
        #expect(try compute("trim(name)", #"{"name":"  Acme Oy \n"}"#) == #""Acme Oy""#)
        #expect(try compute("lower(name) & '/' & upper(name)", #"{"name":"ÄbC"}"#) == #""äbc/ÄBC""#)
        #expect(try compute("length(name)", #"{"name":"Åsa"}"#) == "3")
        #expect(try compute("length(tags)", #"{"tags":[1,2]}"#) == "2")
        #expect(try compute("trim(missing)") == "null", "null passes through text functions")
        #expect(try compute("contains(name, 'cme')", #"{"name":"Acme"}"#) == "true")
        #expect(try compute("contains(tags, 2)", #"{"tags":[1,2]}"#) == "true")
    }

    @Test func splitAndJoin() throws {
        #expect(try compute("split(tags, ',')", #"{"tags":"a,b,,c"}"#) == #"["a","b","","c"]"#)
        #expect(try compute("join(split(tags, ','), ' | ')", #"{"tags":"a,b"}"#) == #""a | b""#)
        #expect(try compute("join(list, '-')", #"{"list":["x",1,null,true]}"#) == #""x-1-true""#)
    }

    @Test func regexReplaceAndMatch() throws {
        #expect(try compute(#"replace(phone, '[^0-9+]', '')"#, #"{"phone":"+358 (40) 123-45"}"#) == #""+3584012345""#)
        #expect(try compute(#"replace(d, '(\\d+)/(\\d+)', '$2.$1')"#, #"{"d":"5/12"}"#) == #""12.5""#)
        #expect(try compute(#"matches(zip, '^[0-9]{5}$')"#, #"{"zip":"90100"}"#) == "true")
        #expect(try compute(#"matches(zip, '^[0-9]{5}$')"#, #"{"zip":"9010"}"#) == "false")
    }

    @Test func switchMapsValuesWithADefault() throws {
        let expr = "switch(status, 'A', 'active', 'I', 'inactive', 'unknown')"
        #expect(try compute(expr, #"{"status":"I"}"#) == #""inactive""#)
        #expect(try compute(expr, #"{"status":"X"}"#) == #""unknown""#)
        #expect(try compute("switch(code, 1, 'one', 2, 'two')", #"{"code":2.0}"#) == #""two""#)
        #expect(try compute("switch(code, 1, 'one')", #"{"code":3}"#) == "null", "no default gives null")
    }

    @Test func pickTakesOneMemberOfTheObjectWhoseKeyMatches() throws {
        let prices = #"{"Coll":[{"Art":"Laden","Preis":129.9},{"Art":"Handel","Preis":"64,95"},{"Art":7,"Preis":1}]}"#
        #expect(try compute("pick(Coll, 'Art', 'Laden', 'Preis')", prices) == "129.9")
        #expect(try compute("pick(Coll, 'Art', 'Handel', 'Preis')", prices) == #""64,95""#, "the value as it is")
        #expect(try compute("pick(Coll, 'Art', 7.0, 'Preis')", prices) == "1", "keys compare as values do")
        #expect(try compute("pick(Coll, 'Art', 'Empf', 'Preis')", prices) == "null", "no such element")
        #expect(try compute("pick(Coll, 'Art', 'Laden', 'Rabatt')", prices) == "null", "no such member")
        #expect(try compute("pick(missing, 'Art', 'Laden', 'Preis')") == "null")
        #expect(
            try compute("pick(Coll, 'Art', 'x', 'Preis')", #"{"Coll":[1,"a",null]}"#) == "null",
            "non-objects are skipped")
        #expect(
            try compute("pick(Coll, 'Art', 'x', 'Preis')", #"{"Coll":"x"}"#)
                == "rejected: transform 1 (compute): field 'out': column 1: pick() expects an array of objects, got text \"x\""
        )
    }

    @Test func atTakesTheElementAtAPosition() throws {
        let configurations = #"{"c":[{"model":"A"},{"model":"B"}],"i":1}"#
        #expect(try compute("at(c, i)", configurations) == #"{"model":"B"}"#)
        #expect(try compute("at(c, 0)", configurations) == #"{"model":"A"}"#)
        #expect(try compute("at(c, 2)", configurations) == "null", "past the end")
        #expect(try compute("at(c, -1)", configurations) == "null", "before the start")
        #expect(try compute("at(missing, 0)") == "null")
        #expect(try compute("at(c, missing)", configurations) == "null")
        #expect(
            try compute("at(c, 'one')", configurations)
                == "rejected: transform 1 (compute): field 'out': column 1: at() expects a whole-number position, got text \"one\""
        )
        #expect(
            try compute("at(i, 0)", configurations)
                == "rejected: transform 1 (compute): field 'out': column 1: at() expects an array, got a number 1"
        )
    }

    @Test func coalesceSkipsNullMissingAndEmptyText() throws {
        #expect(try compute("coalesce(a, b, c, 'none')", #"{"a":null,"b":"","c":"x"}"#) == #""x""#)
        #expect(try compute("coalesce(a, b)", #"{"b":""}"#) == "null")
        #expect(try compute("if_empty(notes, title)", #"{"notes":"","title":"Tuning"}"#) == #""Tuning""#)
        #expect(try compute("if_empty(notes, title)", #"{"notes":"Call first","title":"T"}"#) == #""Call first""#)
        #expect(try compute("coalesce(n, 1)", #"{"n":0}"#) == "0", "zero is a value")
        #expect(try compute("is_empty(a) & is_empty(b) & is_empty(c)", #"{"b":" ","c":[]}"#) == #""truefalsetrue""#)
    }

    @Test func arithmeticIsExactOnDecimals() throws {
        #expect(try compute("price * 100", #"{"price":12.34}"#) == "1234")
        #expect(try compute("price * 100", #"{"price":"19.99"}"#) == "1999", "numeric text counts as a number")
        #expect(try compute("a + b", #"{"a":0.1,"b":0.2}"#) == "0.3")
        #expect(try compute("a - b * 2", #"{"a":10,"b":3}"#) == "4")
        #expect(try compute("(a - b) * 2", #"{"a":10,"b":3}"#) == "14")
        #expect(try compute("7 / 2") == "3.5")
        #expect(try compute("6 / 3") == "2")
        #expect(try compute("1 / 0") == "null", "division by zero gives null")
        #expect(try compute("-a", #"{"a":5}"#) == "-5")
        #expect(try compute("a + 1", "{}") == "null", "null in, null out")
        #expect(try compute("a * 2", #"{"a":"NaN"}"#) == "null", "NaN is no value")
        #expect(
            try compute("string(9223372036854775807 + 1)") == #""9223372036854775808""#, "overflow moves to decimals")
    }

    @Test func aggregatesOverArrayPaths() throws {
        let order = #"""
            {"jobs":[{"total":1250,"labor":[{"hours":1.5,"rate":8000},{"hours":"0.25","rate":8000}]},
                     {"total":"3000.50"},{"total":null},{"name":"no total"}]}
            """#
        #expect(try compute("sum(jobs[*].total)", order) == "4250.5")
        #expect(try compute("count(jobs[*].total)", order) == "2", "count skips null and missing")
        #expect(try compute("min(jobs[*].total)", order) == "1250")
        #expect(try compute("max(jobs[*].total)", order) == "3000.5")
        #expect(try compute("sum(jobs[*].labor[*].hours)", order) == "1.75", "nested [*] flattens")
        #expect(try compute("sum(jobs[0].labor[*].hours) * jobs[0].labor[0].rate", order) == "14000")
        #expect(try compute("sum(nothing[*].x)", order) == "0")
        #expect(try compute("max(nothing[*].x)", order) == "null")
        #expect(try compute("sum(m[*])", #"{"m":[0.1,"NaN",0.2]}"#) == "0.3", "NaN is skipped")
    }

    /// `[?flag]` keeps the elements whose `flag` is true (Tekmetric's authorized jobs),
    /// `[?!flag]` the others; a missing or non-boolean flag counts as not true.
    @Test func flaggedElements() throws {
        let estimate = #"""
            {"jobs":[{"authorized":true,"total":28600,"parts":[{"retail":4550}]},{"authorized":false,"total":69000},
                     {"authorized":true,"total":15400,"parts":[{"retail":100},{"retail":1}]},{"total":5},{"authorized":"yes","total":7}]}
            """#
        #expect(try compute("sum(jobs[?authorized].total)", estimate) == "44000")
        #expect(try compute("sum(jobs[?!authorized].total)", estimate) == "69012")
        #expect(try compute("count(jobs[?authorized].parts[*].retail)", estimate) == "3", "levels after a filter")
        #expect(try compute("sum(jobs[?declined].total)", estimate) == "0", "nothing flagged: sum of nothing")
        #expect(try compute("sum(jobs[?`authorized`].total)", estimate) == "44000", "a quoted flag name")
    }

    @Test func roundHalfAwayFromZero() throws {
        #expect(try compute("round(m * 100, 2)", #"{"m":0.123456}"#) == "12.35")
        #expect(try compute("round(x, 2)", #"{"x":2.675}"#) == "2.68", "exact: 2.675 is not 2.67499… here")
        #expect(try compute("round(x)", #"{"x":"-2.5"}"#) == "-3")
        #expect(try compute("round(x, 1)", #"{"x":7}"#) == "7")
        #expect(try compute("round(x, 2)", #"{"x":"NaN"}"#) == "null")
    }

    @Test func comparisonsAndLogic() throws {
        #expect(try compute("a > 10 and b == 'x'", #"{"a":11,"b":"x"}"#) == "true")
        #expect(try compute("a > 10 && not (b == 'x')", #"{"a":11,"b":"x"}"#) == "false")
        #expect(try compute("a < 1 or b != null", #"{"a":5,"b":1}"#) == "true")
        #expect(try compute("a == 1", #"{"a":1.0}"#) == "true")
        #expect(try compute("a >= '2025-01-01'", #"{"a":"2025-03-01T00:00:00Z"}"#) == "true")
        #expect(try compute("a > 5", #"{"a":"10"}"#) == "true", "numeric text against a number")
        #expect(try compute("a > 5", "{}") == "false", "null orders against nothing")
        #expect(try compute("missing == null") == "true")
        #expect(try compute("if(a > 0, 'pos', 'neg')", #"{"a":-1}"#) == #""neg""#)
        #expect(try compute("!flag || false", #"{"flag":true}"#) == "false")
    }

    @Test func concatenationTurnsValuesIntoText() throws {
        #expect(try compute("first & ' ' & last", #"{"first":"Ann","last":"Lee"}"#) == #""Ann Lee""#)
        #expect(try compute("'#' & n & '/' & missing", #"{"n":12}"#) == ##""#12/""##)
        #expect(try compute("string(n)", #"{"n":12.5}"#) == #""12.5""#)
        #expect(try compute("number(n) + 1", #"{"n":" 41 "}"#) == "42")
    }

    @Test func nowIsTheRunsClock() throws {
        let now = Date(timeIntervalSince1970: 1_740_825_000.9) // 2025-03-01T10:30:00.9Z
        #expect(try compute("now()", now: now) == #""2025-03-01T10:30:00Z""#)
        #expect(try compute("date(now())", now: now) == #""2025-03-01""#)
    }

    @Test func recordIsTheWholeRecordAsTheEarlierStepsLeftIt() throws {
        #expect(try compute("record()", #"{"id":7,"jobs":[{"t":1}]}"#) == #"{"id":7,"jobs":[{"t":1}]}"#)
        #expect(throws: (any Error).self) { try compute("record(1)") }
    }

    @Test func dateAndTimePartsKeepTheWrittenDay() throws {
        #expect(try compute("date(start)", #"{"start":"2025-03-01T23:30:00Z"}"#) == #""2025-03-01""#)
        #expect(try compute("time(start)", #"{"start":"2025-03-01T23:30:00Z"}"#) == #""23:30:00""#)
        #expect(try compute("time(start)", #"{"start":"2025-03-01 08:05"}"#) == #""08:05:00""#)
        #expect(try compute("time(start)", #"{"start":"2025-03-01T08:05:09.123+02:00"}"#) == #""08:05:09""#)
        #expect(try compute("date(start)", #"{"start":"2024-02-29 23:59:59"}"#) == #""2024-02-29""#)
        #expect(try compute("sum(h[*])", #"{"h":[0.1,0.7,1e-7,123456.789]}"#) == "123457.5890001")
        #expect(try compute("date(day)", #"{"day":"2025-03-30"}"#) == #""2025-03-30""#, "no zone shift")
        #expect(try compute("time(day)", #"{"day":"2025-03-30"}"#) == "null", "a date has no time")
        #expect(
            try compute(
                "date(start, 'Europe/Helsinki') & ' ' & time(start, 'Europe/Helsinki')",
                #"{"start":"2025-03-01T23:30:00Z"}"#) == #""2025-03-02 01:30:00""#)
        #expect(
            try compute("time(start, 'America/New_York')", #"{"start":"2025-07-01T12:00:00+02:00"}"#)
                == #""06:00:00""#)
    }

    @Test func arrayIndexesAndQuotedKeys() throws {
        let event = #"{"allEventPianos":{"nodes":[{"piano":{"id":"pno_1"}},{"piano":{"id":"pno_2"}}]}}"#
        #expect(try compute("allEventPianos.nodes[0].piano.id", event) == #""pno_1""#)
        #expect(try compute("allEventPianos.nodes[5].piano.id", event) == "null")
        #expect(try compute("`first name` & '!'", #"{"first name":"Ann"}"#) == #""Ann!""#)
        #expect(try compute("grid[1][0]", #"{"grid":[[1],[2,3]]}"#) == "2")
    }

    @Test func computeWritesSeveralFieldsInOrder() throws {
        let steps =
            #"[{"op":"compute","fields":{"total":"a + b","double":"total * 2","tags.first":"split(t, ',')[0]"}}]"#
        #expect(
            compileError(steps)?.contains("column") == true, "a call cannot be indexed: \(compileError(steps) ?? "")")
        let ok = #"[{"op":"compute","fields":{"total":"a + b","double":"total * 2"}}]"#
        #expect(try run(ok, #"{"a":1,"b":2}"#) == #"{"a":1,"b":2,"total":3,"double":6}"#)
    }

    @Test func validateDeadLettersWithTheRulesReason() throws {
        let steps = #"""
            [{"op":"validate","rules":[
                {"expr":"not is_empty(company)","reason":"company name missing"},
                {"expr":"total >= 0","reason":"negative total"}]}]
            """#
        #expect(try run(steps, #"{"company":"Acme","total":5}"#) == #"{"company":"Acme","total":5}"#)
        #expect(try run(steps, #"{"company":" ","total":5}"#) == #"{"company":" ","total":5}"#)
        #expect(
            try run(steps, #"{"company":"","total":5}"#) == "rejected: transform 1 (validate): company name missing")
        #expect(try run(steps, #"{"company":"A","total":-1}"#) == "rejected: transform 1 (validate): negative total")
        #expect(
            try run(#"[{"op":"validate","expr":"x > 0","reason":"x must be positive"}]"#, "{}")
                == "rejected: transform 1 (validate): x must be positive", "null fails a rule")
    }

    @Test func filterTakesAnExpression() throws {
        let steps = #"[{"op":"filter","where":"status == 'active' and sum(jobs[*].total) > 0"}]"#
        #expect(try run(steps, #"{"status":"active","jobs":[{"total":1}]}"#) != "dropped")
        #expect(try run(steps, #"{"status":"active","jobs":[]}"#) == "dropped")
    }

    @Test func existingOpsUseArrayIndexes() throws {
        let input = #"{"nodes":[{"id":"a","x":1},{"id":"b"}]}"#
        #expect(
            try run(#"[{"op":"rename","from":"nodes[0].id","to":"first_id"}]"#, input)
                == #"{"nodes":[{"x":1},{"id":"b"}],"first_id":"a"}"#)
        #expect(
            try run(#"[{"op":"set","field":"nodes[1].seen","value":true}]"#, input)
                == #"{"nodes":[{"id":"a","x":1},{"id":"b","seen":true}]}"#)
        #expect(
            compileError(#"[{"op":"select","fields":["nodes[1].id"]}]"#)
                == "transform 1 (select): 'fields': 'nodes[1].id': select cannot keep part of an array; use compute")
        #expect(try run(#"[{"op":"drop","fields":["nodes[0]"]}]"#, input) == #"{"nodes":[{"id":"b"}]}"#)
        #expect(
            try run(#"[{"op":"cast","field":"nodes[0].x","to":"string"}]"#, input)
                == #"{"nodes":[{"id":"a","x":"1"},{"id":"b"}]}"#)
        #expect(try run(#"[{"op":"filter","where":{"field":"nodes[1].id","equals":"b"}}]"#, input) != "dropped")
        #expect(
            try run(#"[{"op":"set","field":"nodes[2].id","value":"c"}]"#, input)
                == "rejected: transform 1 (set): cannot write 'nodes[2].id': 'nodes' has no element 2")
        #expect(try run(#"[{"op":"template","field":"t","template":"{nodes[1].id}!"}]"#, input).contains(#""t":"b!""#))
    }
}
