import Testing

@testable import FerryCore

@Suite struct TransformConfigErrorTests {
    @Test(arguments: [
        (#"[1]"#, "transform 1: expected an object with an 'op' key"),
        (
            #"[{"fields":["a"]}]"#,
            "transform 1: 'op': is required; expected one of select, drop, rename, set, template, default, cast, filter, clean_numbers, lookup, compute, validate"
        ),
        (
            #"[{"op":"explode"}]"#,
            "transform 1: 'op': expected one of select, drop, rename, set, template, default, cast, filter, clean_numbers, lookup, compute, validate, got \"explode\""
        ),
        (
            #"[{"op":"drop","fields":["a"]},{"op":"select"}]"#,
            "transform 2 (select): 'fields': is required (a list of field paths)"
        ),
        (#"[{"op":"select","fields":[]}]"#, "transform 1 (select): 'fields': is required (a list of field paths)"),
        (
            #"[{"op":"drop","fields":["a..b"]}]"#,
            "transform 1 (drop): 'fields': expected a list of field paths, got \"a..b\""
        ),
        (#"[{"op":"drop","fields":{"a":1}}]"#, "transform 1 (drop): 'fields': expected a list of field paths"),
        (#"[{"op":"drop","fields":["a"],"feilds":["b"]}]"#, "transform 1 (drop): 'feilds': unknown option for 'drop'"),
        (#"[{"op":"rename","from":"a"}]"#, "transform 1 (rename): 'to': is required"),
        (#"[{"op":"rename","from":1,"to":"b"}]"#, "transform 1 (rename): 'from': expected a string"),
        (
            #"[{"op":"rename","fields":{"a":2}}]"#,
            "transform 1 (rename): 'fields.a': expected the new field path as a string"
        ),
        (
            #"[{"op":"rename","fields":{}}]"#,
            "transform 1 (rename): 'fields': expected a non-empty mapping of field paths"
        ),
        (#"[{"op":"set","field":"a"}]"#, "transform 1 (set): 'value': is required"),
        (#"[{"op":"default","fields":{".a":1}}]"#, "transform 1 (default): 'fields..a': is not a field path"),
        (#"[{"op":"template","field":"t"}]"#, "transform 1 (template): 'template': is required"),
        (
            #"[{"op":"template","field":"t","template":"{a"}]"#,
            "transform 1 (template): 'template': unclosed '{' in template (write '{{' for a literal brace)"
        ),
        (
            #"[{"op":"template","field":"t","template":"a}"}]"#,
            "transform 1 (template): 'template': unmatched '}' in template (write '}}' for a literal brace)"
        ),
        (
            #"[{"op":"template","field":"t","template":"{}"}]"#,
            "transform 1 (template): 'template': placeholder '{}' is not a field path"
        ),
        (
            #"[{"op":"template","field":"t","template":"x","default":1}]"#,
            "transform 1 (template): 'default': expected a string"
        ),
        (
            #"[{"op":"cast","field":"a"}]"#,
            "transform 1 (cast): 'to': is required; expected one of integer, decimal, money_cents, boolean, string, timestamp"
        ),
        (
            #"[{"op":"cast","field":"a","to":"float"}]"#,
            "transform 1 (cast): 'to': expected one of integer, decimal, money_cents, boolean, string, timestamp, got \"float\""
        ),
        (#"[{"op":"cast","to":"integer"}]"#, "transform 1 (cast): 'field': is required"),
        (
            #"[{"op":"cast","field":"a","to":"integer","timezone":"UTC"}]"#,
            "transform 1 (cast): 'timezone': unknown option for 'cast'"
        ),
        (
            #"[{"op":"cast","field":"a","to":"decimal","as_string":"yes"}]"#,
            "transform 1 (cast): 'as_string': expected true or false"
        ),
        (
            #"[{"op":"cast","field":"a","to":"money_cents","decimal_separator":";"}]"#,
            "transform 1 (cast): 'decimal_separator': expected one of ., ,, got \";\""
        ),
        (
            #"[{"op":"cast","field":"a","to":"timestamp","timezone":"Mars/Olympus"}]"#,
            "transform 1 (cast): 'timezone': unknown time zone \"Mars/Olympus\"; expected an IANA name like Europe/Helsinki or UTC"
        ),
        (
            #"[{"op":"cast","field":"a","to":"timestamp","format":"%d.%q"}]"#,
            "transform 1 (cast): 'format': unknown directive '%q'; expected %Y %m %d %H %M %S %f %z %b or %%"
        ),
        (
            #"[{"op":"cast","field":"a","to":"timestamp","fold":"last"}]"#,
            "transform 1 (cast): 'fold': expected one of earlier, later, got \"last\""
        ),
        (
            #"[{"op":"cast","field":"a","to":"timestamp","epoch":"minutes"}]"#,
            "transform 1 (cast): 'epoch': expected one of seconds, milliseconds, got \"minutes\""
        ),
        (#"[{"op":"filter"}]"#, "transform 1 (filter): 'where': is required"),
        (
            #"[{"op":"filter","where":5}]"#,
            "transform 1 (filter): 'where': expected a condition object like {field: status, equals: active}"
        ),
        (
            #"[{"op":"filter","where":"status = 1"}]"#,
            "transform 1 (filter): 'where': column 8: '=' is not an operator; compare with '=='"
        ),
        (
            #"[{"op":"filter","where":{"equals":1}}]"#,
            "transform 1 (filter): 'where.field': is required (the field to test)"
        ),
        (
            #"[{"op":"filter","where":{"field":"a"}}]"#,
            "transform 1 (filter): 'where': needs a test: equals, not_equals, in, exists, greater_than or less_than"
        ),
        (
            #"[{"op":"filter","where":{"field":"a","matches":"x"}}]"#,
            "transform 1 (filter): 'where.matches': unknown test; expected equals, not_equals, in, exists, greater_than or less_than"
        ),
        (
            #"[{"op":"filter","where":{"field":"a","in":"x"}}]"#,
            "transform 1 (filter): 'where.in': expected a list of values"
        ),
        (
            #"[{"op":"filter","where":{"field":"a","exists":1}}]"#,
            "transform 1 (filter): 'where.exists': expected true or false"
        ),
        (
            #"[{"op":"filter","where":{"field":"a","greater_than":[1]}}]"#,
            "transform 1 (filter): 'where.greater_than': expected a number or a string"
        ),
        (
            #"[{"op":"filter","where":{"any":[]}}]"#,
            "transform 1 (filter): 'where.any': expected a non-empty list of conditions and nothing beside it"
        ),
        (
            #"[{"op":"filter","where":{"all":[{"field":"a"}]}}]"#,
            "transform 1 (filter): 'where.all[0]': needs a test: equals, not_equals, in, exists, greater_than or less_than"
        ),
        (
            #"[{"op":"clean_numbers","fields":[3]}]"#,
            "transform 1 (clean_numbers): 'fields': expected a list of field paths, got 3"
        ),
        (#"[{"op":"lookup","field":"k","to":"id"}]"#, "transform 1 (lookup): 'scope': is required"),
        (#"[{"op":"lookup","field":"k","scope":"","to":"id"}]"#, "transform 1 (lookup): 'scope': must not be empty"),
        (#"[{"op":"lookup","field":"k","scope":"s"}]"#, "transform 1 (lookup): 'to': is required"),
        (
            #"[{"op":"lookup","field":"k","scope":"s","to":"id","required":"yes"}]"#,
            "transform 1 (lookup): 'required': expected true or false"
        ),
    ])
    func compileErrorsNameStepKeyAndExpectation(steps: String, expected: String) {
        #expect(compileError(steps) == expected)
    }

    @Test func errorCarriesStructuredFields() throws {
        do {
            _ = try chain(#"[{"op":"drop","fields":["a"]},{"op":"cast","field":"a","to":"float"}]"#)
            Issue.record("expected a compile error")
        } catch let error as TransformConfigError {
            #expect(error.stepIndex == 2)
            #expect(error.op == "cast")
            #expect(error.key == "to")
        }
    }
}
