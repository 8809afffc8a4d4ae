import FerryJSON

/// Turns records into line-protocol points as the configuration says:
/// measurement, sorted tags, typed fields and a time in the configured precision.
struct PointEncoder {
    /// One encoded point and what the error mapping needs to find it again.
    struct Point {
        /// The record's index in the batch.
        var index: Int
        /// The line, without its newline.
        var line: String
        var measurement: String
        /// Field name → line-protocol type (`float`, `integer`, `string`, `boolean`).
        var fieldTypes: [String: String]
    }

    let config: InfluxConfig

    /// The point for one record.
    /// - Parameters:
    ///   - record: The record.
    ///   - index: Its index in the batch.
    ///   - stream: The stream written to; the measurement when the config names none.
    /// - Throws: ``RecordError`` with the reason the record cannot be written.
    func point(_ record: JSONObject, index: Int, stream: String) throws(RecordError) -> Point {
        let measurement: String
        if let field = config.measurementField {
            guard let value = record[field], let text = Self.text(value), !text.isEmpty else {
                throw RecordError("no measurement: field '\(field)' is missing or empty")
            }
            measurement = text
        } else {
            measurement = config.measurement ?? stream
        }
        try LineProtocol.checkName(measurement, what: "measurement '\(measurement)'", isMeasurement: true)
        var line = LineProtocol.measurement(measurement)

        var tags: [(String, String)] = []
        for name in config.tags {
            guard let value = record[name], let text = Self.text(value), !text.isEmpty else { continue }
            try LineProtocol.checkName(name, what: "tag key '\(name)'")
            try LineProtocol.checkName(text, what: "tag '\(name)' value")
            tags.append((name, text))
        }
        // InfluxDB's recommended order: tags sorted by key (byte order).
        for (name, text) in tags.sorted(by: { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }) {
            line += "," + LineProtocol.key(name) + "=" + LineProtocol.key(text)
        }

        var fields: [String] = []
        var fieldTypes: [String: String] = [:]
        let names =
            config.fields
            ?? record.keys.filter { key in
                key != config.timeField && key != config.measurementField && !config.tags.contains(key)
            }
        for name in names {
            guard let value = record[name], !value.isNull else { continue }
            try LineProtocol.checkName(name, what: "field key '\(name)'")
            let (text, type) = try Self.fieldValue(value, name: name, as: config.fieldTypes[name])
            fields.append(LineProtocol.key(name) + "=" + text)
            fieldTypes[name] = type
        }
        guard !fields.isEmpty else {
            throw RecordError(
                "no fields to write: "
                    + (config.fields.map { "none of \($0.joined(separator: ", ")) has a value" }
                        ?? "the record has only the time and tags"))
        }
        line += " " + fields.joined(separator: ",")

        guard let time = record[config.timeField], !time.isNull else {
            throw RecordError("no time: field '\(config.timeField)' is missing or null")
        }
        line += " " + String(try timestamp(time))
        return Point(index: index, line: line, measurement: measurement, fieldTypes: fieldTypes)
    }

    /// The time in the configured precision: an ISO 8601 string, or an epoch number already in that precision.
    /// - Parameter value: The record's time value.
    func timestamp(_ value: JSONValue) throws(RecordError) -> Int64 {
        let unit = config.precision.nanoseconds
        switch value {
        case .string(let text):
            let nanoseconds = try Timestamp.nanoseconds(iso: text)
            guard nanoseconds % unit == 0 else {
                throw RecordError(
                    "time '\(text)' is finer than the configured precision '\(config.precision.rawValue)'")
            }
            return nanoseconds / unit
        case .int(let number):
            return number
        case .double(let number):
            guard number.isFinite, number.rounded() == number, abs(number) < 9.2e18 else {
                throw RecordError("time \(number) is not a whole number of \(config.precision.rawValue)")
            }
            return Int64(number)
        default:
            throw RecordError("time must be an ISO 8601 string or an epoch number in \(config.precision.rawValue)")
        }
    }

    /// A field's line-protocol value and type: integers get `i`, floats stay
    /// numeric, booleans bare, strings quoted; arrays and objects become JSON text.
    /// A `forced` type (config `field_types`) converts what converts without loss.
    private static func fieldValue(_ value: JSONValue, name: String, as forced: String?) throws(RecordError) -> (
        String, String
    ) {
        switch (forced, value) {
        case ("float", .int(let number)): return (Double(number).description, "float")
        case ("integer", .double(let number)) where number.rounded() == number && abs(number) < 9.2e18:
            return ("\(Int64(number))i", "integer")
        case ("string", .int), ("string", .double), ("string", .bool):
            return (LineProtocol.quoted(JSONWriter().encodeString(value)), "string")
        default: break
        }
        let natural: (String, String)
        switch value {
        case .int(let number): natural = ("\(number)i", "integer")
        case .double(let number):
            guard number.isFinite else {
                throw RecordError("field '\(name)' is \(number), which InfluxDB cannot store")
            }
            natural = (number.description, "float")
        case .bool(let flag): natural = (flag ? "true" : "false", "boolean")
        case .string(let text): natural = (LineProtocol.quoted(text), "string")
        case .array, .object: natural = (LineProtocol.quoted(JSONWriter().encodeString(value)), "string")
        case .null: throw RecordError("field '\(name)' is null")
        }
        if let forced, forced != natural.1 {
            throw RecordError("field '\(name)' is a \(natural.1) but config.field_types makes it \(forced)")
        }
        return natural
    }

    /// A tag or measurement value as text (numbers and booleans as written in JSON).
    private static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return number.description
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return nil
        case .array, .object: return JSONWriter().encodeString(value)
        }
    }
}
