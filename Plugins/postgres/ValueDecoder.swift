import FerryJSON

/// Turns a column's text (PostgreSQL's text output format) into a JSON value
/// by the column's type OID.
struct ValueDecoder {
    enum Kind {
        case integer, number, boolean, json, timestamp, timestampWithZone, date, text
    }

    let kind: Kind

    /// - Parameter oid: the column's type OID (`PQftype`).
    init(oid: UInt32) {
        switch oid {
        case 20, 21, 23, 26: kind = .integer // int8, int2, int4, oid
        case 700, 701, 1700: kind = .number // float4, float8, numeric
        case 16: kind = .boolean
        case 114, 3802: kind = .json // json, jsonb
        case 1114: kind = .timestamp
        case 1184: kind = .timestampWithZone
        case 1082: kind = .date
        default: kind = .text
        }
    }

    /// The JSON Schema of a column of this type OID.
    static func jsonSchema(forOID oid: UInt32) -> JSONValue {
        switch ValueDecoder(oid: oid).kind {
        case .integer: return ["type": "integer"]
        case .number: return ["type": "number"]
        case .boolean: return ["type": "boolean"]
        case .json: return ["type": ["object", "array"]]
        case .timestamp, .timestampWithZone: return ["type": "string", "format": "date-time"]
        case .date: return ["type": "string", "format": "date"]
        case .text: return ["type": "string"]
        }
    }

    /// The JSON value of one column's text (nil is SQL NULL).
    func decode(_ text: String?) -> JSONValue {
        guard let text else { return .null }
        switch kind {
        case .integer: return Int64(text).map(JSONValue.int) ?? .string(text)
        case .number:
            guard let double = Double(text), double.isFinite else { return .string(text) }
            return .double(double)
        case .boolean: return .bool(text == "t")
        case .json: return (try? JSONParser().parse(text)) ?? .string(text)
        case .timestamp: return .string(Self.iso8601(text, utc: false))
        case .timestampWithZone: return .string(Self.iso8601(text, utc: true))
        case .date, .text: return .string(text)
        }
    }

    /// `2025-01-02 03:04:05.6+00` (the session runs in UTC) → `2025-01-02T03:04:05.6Z`.
    static func iso8601(_ text: String, utc: Bool) -> String {
        var utf8 = Array(text.utf8)
        if utf8.count > 10, utf8[10] == UInt8(ascii: " ") { utf8[10] = UInt8(ascii: "T") }
        if utc, utf8.count > 3, utf8.suffix(3).elementsEqual("+00".utf8) {
            utf8.removeLast(3)
            utf8.append(UInt8(ascii: "Z"))
        }
        return String(decoding: utf8, as: UTF8.self)
    }
}
