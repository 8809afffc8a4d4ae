import FerryJSON
import Testing

@testable import FerryCore

/// Casts `value` (JSON text) with the options (JSON members text) and returns the result's JSON or the rejection.
func cast(_ value: String, to target: String, _ options: String = "") throws -> String {
    let extra = options.isEmpty ? "" : "," + options
    let result = try run("[{\"op\":\"cast\",\"field\":\"v\",\"to\":\"\(target)\"\(extra)}]", "{\"v\":\(value)}")
    if result.hasPrefix("rejected: ") { return String(result.dropFirst("rejected: transform 1 (cast): ".count)) }
    let object = try record(result)
    return object["v"]?.encodedString() ?? "missing"
}

@Suite struct TransformCastTests {
    @Test func integer() throws {
        #expect(try cast("42", to: "integer") == "42")
        #expect(try cast("\" -17 \"", to: "integer") == "-17")
        #expect(try cast("\"12.00\"", to: "integer") == "12")
        #expect(try cast("3.0", to: "integer") == "3")
        #expect(try cast("\"9223372036854775807\"", to: "integer") == "9223372036854775807")
        #expect(try cast("\"-9223372036854775808\"", to: "integer") == "-9223372036854775808")
        #expect(
            try cast("\"9223372036854775808\"", to: "integer")
                == #"field 'v' value "9223372036854775808" is not an integer"#)
        #expect(try cast("\"12.5\"", to: "integer") == #"field 'v' value "12.5" is not an integer"#)
        #expect(try cast("\"abc\"", to: "integer") == #"field 'v' value "abc" is not an integer"#)
        #expect(try cast("true", to: "integer") == "field 'v' value true is not an integer")
        #expect(try cast("null", to: "integer") == "null")
    }

    @Test func nullIfTurnsNoValueMarkersIntoNull() throws {
        #expect(try cast(#""0!0!0""#, to: "timestamp", #""format":"%d!%m!%Y","null_if":["0!0!0"]"#) == "null")
        #expect(
            try cast(#""5!10!2013""#, to: "timestamp", #""format":"%d!%m!%Y","timezone":"UTC","null_if":["0!0!0"]"#)
                == #""2013-10-05T00:00:00Z""#)
        #expect(try cast(#""n/a""#, to: "decimal", #""null_if":["n/a",""]"#) == "null")
        #expect(try cast(#""n/a""#, to: "decimal") == #"field 'v' value "n/a" is not a decimal number"#)
        #expect(throws: TransformConfigError.self) {
            try TransformChain(steps: [["op": "cast", "field": "v", "to": "integer", "null_if": "0"]])
        }
    }

    @Test func missingFieldIsLeftAlone() throws {
        #expect(try run(#"[{"op":"cast","fields":["a","b"],"to":"integer"}]"#, #"{"a":"1"}"#) == #"{"a":1}"#)
    }

    @Test func decimal() throws {
        #expect(try cast("\"12.34\"", to: "decimal") == "12.34")
        #expect(try cast("\"-0.5e3\"", to: "decimal") == "-500.0")
        #expect(try cast("7", to: "decimal") == "7.0")
        #expect(try cast("\"abc\"", to: "decimal") == #"field 'v' value "abc" is not a decimal number"#)
        #expect(try cast("\"12,5\"", to: "decimal") == #"field 'v' value "12,5" is not a decimal number"#)
        #expect(try cast("\"12,5\"", to: "decimal", #""decimal_separator":",""#) == "12.5")
        #expect(try cast("\"0012.340\"", to: "decimal", #""as_string":true"#) == #""12.340""#)
        #expect(try cast("\"+1e-3\"", to: "decimal", #""as_string":true"#) == #""0.001""#)
        #expect(
            try cast("\"123456789012345678901234.5\"", to: "decimal", #""as_string":true"#)
                == #""123456789012345678901234.5""#)
        #expect(try cast("0.1", to: "decimal", #""as_string":true"#) == #""0.1""#)
        #expect(try cast("12", to: "decimal", #""as_string":true"#) == #""12""#)
        #expect(
            try cast("\"1e400\"", to: "decimal") == #"field 'v' value "1e400" is out of range for a decimal number"#)
        #expect(try cast("\"\"", to: "decimal") == #"field 'v' value "" is not a decimal number"#)
    }

    @Test(arguments: [
        ("\"12.34\"", "", "1234"),
        ("12.34", "", "1234"),
        ("0.29", "", "29"),
        ("1.005", "", "field 'v' value 1.005 has more than 2 decimal places"),
        ("19.99", "", "1999"),
        ("12", "", "1200"),
        ("\"€1,234.50\"", "", "123450"),
        ("\"$ 1,234,567.8\"", "", "123456780"),
        ("\"-€5\"", "", "-500"),
        ("\"€-5.10\"", "", "-510"),
        ("\"12.30 EUR\"", "", "1230"),
        ("\"1.234,50 €\"", #""decimal_separator":",""#, "123450"),
        ("\"1 234,5\"", #""decimal_separator":",""#, "123450"),
        ("\"1'234.50 CHF\"", "", "123450"),
        ("\"12.345\"", "", #"field 'v' value "12.345" has more than 2 decimal places"#),
        ("\"12.340\"", "", "1234"),
        ("\"12.3.4\"", "", #"field 'v' value "12.3.4" is not an amount of money"#),
        ("\"abc\"", "", #"field 'v' value "abc" is not an amount of money"#),
        ("\"1,5\"", "", "1500"),
        ("\"92233720368547758.08\"", "", #"field 'v' value "92233720368547758.08" is out of range for cents"#),
        ("true", "", "field 'v' value true is not an amount of money"),
    ])
    func moneyCents(value: String, options: String, expected: String) throws {
        #expect(try cast(value, to: "money_cents", options) == expected)
    }

    @Test func moneyIsExactWhereFloatingPointIsNot() throws {
        // 0.07 * 100 = 7.000000000000001 and 1.15 * 100 = 114.99999999999999 in binary floating point.
        #expect(try cast("0.07", to: "money_cents") == "7")
        #expect(try cast("1.15", to: "money_cents") == "115")
        #expect(try cast("\"4.35\"", to: "money_cents") == "435")
    }

    @Test func boolean() throws {
        for text in ["true", "\"true\"", "\"YES\"", "\"1\"", "1", "\" Yes \""] {
            #expect(try cast(text, to: "boolean") == "true", "\(text)")
        }
        for text in ["false", "\"False\"", "\"no\"", "\"0\"", "0"] {
            #expect(try cast(text, to: "boolean") == "false", "\(text)")
        }
        #expect(try cast("2", to: "boolean") == "field 'v' value 2 is not a boolean (true/false, yes/no, 1/0)")
        #expect(
            try cast("\"maybe\"", to: "boolean")
                == #"field 'v' value "maybe" is not a boolean (true/false, yes/no, 1/0)"#)
    }

    @Test func string() throws {
        #expect(try cast("42", to: "string") == #""42""#)
        #expect(try cast("1.5", to: "string") == #""1.5""#)
        #expect(try cast("true", to: "string") == #""true""#)
        #expect(try cast("\"x\"", to: "string") == #""x""#)
        #expect(try cast(#"{"a":[1]}"#, to: "string") == #""{\"a\":[1]}""#)
        #expect(try cast("null", to: "string") == "null")
    }
}
