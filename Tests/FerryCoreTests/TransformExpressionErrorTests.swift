import FerryJSON
import Foundation
import Testing

@testable import FerryCore

/// Mistakes in expressions: found when the pipeline is planned where the text
/// shows them, per record (a dead letter with the reason) otherwise; each names
/// the step, the op, the field or rule, and the column.
@Suite struct TransformExpressionErrorTests {
    private func computeError(_ expr: String) -> String? {
        let steps: [JSONValue] = [
            ["op": "set", "field": "a", "value": 1], ["op": "compute", "field": "out", "expr": .string(expr)],
        ]
        do {
            _ = try TransformChain(steps: steps)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func unknownFunctionsAreNamedWithAHint() {
        #expect(
            computeError(#"trimm(name)"#)
                == "transform 2 (compute): 'expr': column 1: unknown function 'trimm' (did you mean 'trim'?)")
        #expect(
            computeError(#"'x' & frobnicate(1)"#)
                == "transform 2 (compute): 'expr': column 7: unknown function 'frobnicate'")
    }

    @Test func wrongArityIsACompileError() {
        #expect(
            computeError(#"trim(a, b)"#) == "transform 2 (compute): 'expr': column 1: trim() takes 1 argument, got 2")
        #expect(
            computeError(#"round()"#)
                == "transform 2 (compute): 'expr': column 1: round() takes 1 or 2 arguments, got 0")
        #expect(
            computeError(#"switch(a, 1)"#)
                == "transform 2 (compute): 'expr': column 1: switch() takes at least 3 arguments, got 2")
        #expect(computeError(#"now(1)"#) == "transform 2 (compute): 'expr': column 1: now() takes 0 arguments, got 1")
    }

    @Test func syntaxErrorsPointAtTheColumn() {
        #expect(
            computeError(#"a +"#)
                == "transform 2 (compute): 'expr': column 4: expected a value, a field or a function, found end of the expression"
        )
        #expect(
            computeError(#"(a + b"#)
                == "transform 2 (compute): 'expr': column 7: expected ')' to close the '(' at column 1, found end of the expression"
        )
        #expect(
            computeError(#"a = 1"#)
                == "transform 2 (compute): 'expr': column 3: '=' is not an operator; compare with '=='")
        #expect(
            computeError(#"1 < a < 3"#)
                == "transform 2 (compute): 'expr': column 7: comparisons do not chain; combine them with 'and'")
        #expect(
            computeError(#"'open"#) == "transform 2 (compute): 'expr': column 1: text started here is not closed with '"
        )
        #expect(
            computeError(#"a[x]"#)
                == "transform 2 (compute): 'expr': column 3: expected an array index (0, 1, …), '*' or '?flag' inside '[ ]', found 'x'"
        )
        #expect(
            computeError(#"sum(jobs[?1].total)"#)
                == "transform 2 (compute): 'expr': column 11: expected a field name after '[?', found number 1"
        )
        #expect(computeError(#"a $ b"#) == "transform 2 (compute): 'expr': column 3: unexpected character '$'")
        #expect(computeError(#"a b"#) == "transform 2 (compute): 'expr': column 3: unexpected 'b'")
    }

    @Test func constantArgumentsAreCheckedOnce() {
        #expect(
            computeError(#"replace(a, b, '')"#)
                == "transform 2 (compute): 'expr': column 12: replace(): the pattern must be quoted text, so it is compiled once"
        )
        #expect(
            computeError(#"replace(a, '(', '')"#)
                == "transform 2 (compute): 'expr': column 12: replace(): not a valid regular expression: (")
        #expect(
            computeError(#"round(a, 40)"#)
                == "transform 2 (compute): 'expr': column 10: round(): the places must be a whole number from 0 to 18")
        #expect(
            computeError(#"date(a, 'Mars/Olympus')"#)
                == "transform 2 (compute): 'expr': column 9: date(): unknown time zone \"Mars/Olympus\"; expected an IANA name like Europe/Helsinki"
        )
        #expect(
            computeError(#"first + ' ' + last"#)
                == "transform 2 (compute): 'expr': column 7: '+' adds numbers, and \" \" is text; join text with '&'")
    }

    @Test func stepOptionsAreChecked() {
        #expect(compileError(#"[{"op":"compute","field":"a"}]"#) == "transform 1 (compute): 'expr': is required")
        #expect(
            compileError(#"[{"op":"compute","fields":{"a":1}}]"#)
                == "transform 1 (compute): 'fields.a': expected an expression as text")
        #expect(
            compileError(#"[{"op":"compute","fields":{"a":"b +"}}]"#)
                == "transform 1 (compute): 'fields.a': column 4: expected a value, a field or a function, found end of the expression"
        )
        #expect(
            compileError(#"[{"op":"compute","field":"a","expr":"1","extra":1}]"#)
                == "transform 1 (compute): 'extra': unknown option for 'compute'")
        #expect(
            compileError(#"[{"op":"validate","rules":[]}]"#)
                == #"transform 1 (validate): 'rules': expected a non-empty list of {expr: "...", reason: "..."}"#)
        #expect(
            compileError(#"[{"op":"validate","rules":[{"expr":"a"}]}]"#)
                == "transform 1 (validate): 'rules[0].reason': is required (the dead letter's reason)")
        #expect(
            compileError(#"[{"op":"validate","rules":[{"expr":"a","reason":"r","why":1}]}]"#)
                == "transform 1 (validate): 'rules[0].why': unknown option for a rule; expected expr and reason")
        #expect(
            compileError(#"[{"op":"validate","rules":[{"expr":"x(1)","reason":"r"}]}]"#)
                == "transform 1 (validate): 'rules[0].expr': column 1: unknown function 'x'")
        #expect(
            compileError(#"[{"op":"filter","where":"a =="}]"#)
                == "transform 1 (filter): 'where': column 5: expected a value, a field or a function, found end of the expression"
        )
    }

    @Test func typeErrorsDeadLetterTheRecordWithStepFieldAndColumn() throws {
        let steps =
            #"[{"op":"set","field":"x","value":1},{"op":"compute","field":"company","expr":"upper(trim(name))"}]"#
        #expect(
            try run(steps, #"{"name":12}"#)
                == "rejected: transform 2 (compute): field 'company': column 7: trim() expects text, got a number 12")
        #expect(
            try run(#"[{"op":"compute","field":"t","expr":"total * 100"}]"#, #"{"total":"12,50 €"}"#)
                == #"rejected: transform 1 (compute): field 't': column 7: '*' expects numbers, got text "12,50 €""#)
        #expect(
            try run(#"[{"op":"compute","field":"t","expr":"sum(total)"}]"#, #"{"total":5}"#)
                == "rejected: transform 1 (compute): field 't': column 1: sum() expects an array such as jobs[*].total, got a number 5"
        )
        #expect(
            try run(#"[{"op":"compute","field":"t","expr":"sum(jobs[*].total)"}]"#, #"{"jobs":[{"total":true}]}"#)
                == "rejected: transform 1 (compute): field 't': column 1: sum() expects numbers, got a boolean true")
        #expect(
            try run(#"[{"op":"compute","field":"d","expr":"date(start)"}]"#, #"{"start":"01.03.2025"}"#)
                == #"rejected: transform 1 (compute): field 'd': column 1: date() expects a timestamp like 2025-03-01T09:30:00Z, got "01.03.2025""#
        )
        for impossible in ["2025-13-01", "2025-02-29T10:00:00Z", "2025-03-01T24:00:00", "2025-03-01T10:00:00+0x:00"] {
            #expect(
                try run(#"[{"op":"compute","field":"d","expr":"date(start)"}]"#, #"{"start":"\#(impossible)"}"#)
                    .hasPrefix("rejected: transform 1 (compute): field 'd': column 1: date() expects a timestamp"),
                "\(impossible)")
        }
        #expect(
            try run(#"[{"op":"compute","field":"d","expr":"date(start, 'UTC')"}]"#, #"{"start":"2025-03-01 10:00"}"#)
                == #"rejected: transform 1 (compute): field 'd': column 1: date(): "2025-03-01 10:00" has no offset to move into UTC"#
        )
        #expect(
            try run(#"[{"op":"compute","field":"c","expr":"a < b"}]"#, #"{"a":"x","b":true}"#)
                == #"rejected: transform 1 (compute): field 'c': column 3: '<' cannot order text "x" and a boolean true"#
        )
        #expect(
            try run(#"[{"op":"compute","field":"c","expr":"a and true"}]"#, #"{"a":"yes"}"#)
                == #"rejected: transform 1 (compute): field 'c': column 1: 'and' expects true or false, got text "yes""#
        )
        #expect(
            try run(#"[{"op":"validate","expr":"name","reason":"r"}]"#, #"{"name":"x"}"#)
                == #"rejected: transform 1 (validate): rule 1: column 1: expected true or false, got text "x""#)
        #expect(
            try run(#"[{"op":"filter","where":"split(a, '')"}]"#, #"{"a":"x"}"#)
                == "rejected: transform 1 (filter): 'where': column 1: split(): the separator is empty")
        #expect(
            try run(#"[{"op":"compute","field":"a.b","expr":"1"}]"#, #"{"a":5}"#)
                == "rejected: transform 1 (compute): cannot write 'a.b': 'a' is not an object")
    }

    @Test func eachFunctionRefusesTheWrongType() throws {
        let cases: [(String, String, String)] = [
            ("number(a)", #"{"a":"abc"}"#, #"column 1: number() expects numbers, got text "abc""#),
            ("join(a, ',')", #"{"a":"x"}"#, #"column 1: join() expects an array, got text "x""#),
            ("length(a)", #"{"a":5}"#, "column 1: length() expects text or an array, got a number 5"),
            (
                "contains(a, 'x')", #"{"a":{"k":1}}"#,
                #"column 1: contains() expects text or an array, got an object {"k":1}"#
            ),
            ("if(a, 1, 2)", #"{"a":"yes"}"#, #"column 4: if() expects true or false, got text "yes""#),
            ("-a", #"{"a":"x"}"#, #"column 1: '-' expects numbers, got text "x""#),
            ("round(a, 2)", #"{"a":[1]}"#, "column 1: round() expects numbers, got an array [1]"),
            ("time(a)", #"{"a":20250301}"#, "column 1: time() expects a timestamp text, got a number 20250301"),
            ("lower(a)", #"{"a":true}"#, "column 1: lower() expects text, got a boolean true"),
            ("max(a[*])", #"{"a":["x"]}"#, #"column 1: max() expects numbers, got text "x""#),
        ]
        for (expr, input, reason) in cases {
            let steps: JSONValue = [["op": "compute", "field": "out", "expr": .string(expr)]]
            #expect(
                try run(steps.encodedString(), input) == "rejected: transform 1 (compute): field 'out': \(reason)",
                "\(expr): \((try? run(steps.encodedString(), input)) ?? "")")
        }
    }

    @Test func badFieldPathsWithIndexesAreRefused() {
        #expect(compileError(#"[{"op":"drop","fields":["a[x]"]}]"#) != nil)
        #expect(compileError(#"[{"op":"drop","fields":["a[1"]}]"#) != nil)
        #expect(compileError(#"[{"op":"drop","fields":["[1]"]}]"#) != nil)
        #expect(compileError(#"[{"op":"drop","fields":["a[-1]"]}]"#) != nil)
        #expect(FieldPath("a.b[2][0].c")?.description == "a.b[2][0].c")
    }
}
