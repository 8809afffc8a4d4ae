import FerryJSON
import FerryPluginSDK
import FerryURL

/// A request path with `{field}` placeholders filled from a record (`repair-order/{id}`,
/// `systems/{key}/technical-data`, `clients/{customer.id}/pianos`): each value is
/// percent-encoded, so a key cannot add path segments or a query. A placeholder may name
/// alternatives, the first with a value used: `customer/{customerId|customer.id}` for an API
/// that sends the id flat in some answers and nested in others (Tekmetric).
struct PathTemplate {
    let text: String
    /// Per placeholder, in order: its text and the dotted field paths it may take its value from.
    let fields: [(placeholder: String, alternatives: [[String]])]

    init(_ text: String, at where_: String) throws {
        self.text = text
        var fields: [(placeholder: String, alternatives: [[String]])] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw PluginError.invalid("\(where_): '{' without '}' in '\(text)'")
            }
            let name = rest[rest.index(after: open)..<close]
            let alternatives = name.split(separator: "|", omittingEmptySubsequences: false)
            guard !name.isEmpty, !alternatives.contains(where: \.isEmpty) else {
                throw PluginError.invalid("\(where_): an empty {} or alternative in '\(text)'")
            }
            fields.append((String(name), alternatives.map { $0.split(separator: ".").map(String.init) }))
            rest = rest[rest.index(after: close)...]
        }
        guard !fields.isEmpty else {
            throw PluginError.invalid(
                "\(where_) must name a field of the listed record, e.g. 'items/{id}', got '\(text)'")
        }
        self.fields = fields
    }

    /// The path for `record`, or the name of the first placeholder it has no usable value for.
    func path(for record: JSONObject) -> Result<String, MissingField> {
        var path = text
        for field in fields {
            let found = field.alternatives.lazy.compactMap { Self.value(at: $0, in: record).flatMap(Self.text) }.first
            guard let found else { return .failure(MissingField(name: field.placeholder)) }
            path = path.replacing("{\(field.placeholder)}", with: PercentEncoding.encode(found))
        }
        return .success(path)
    }

    /// A placeholder the record lacks (or holds null, an object or a list in).
    struct MissingField: Error { let name: String }

    /// The value at a dotted path.
    static func value(at path: [String], in record: JSONObject) -> JSONValue? {
        guard let first = path.first, var value = record[first] else { return nil }
        for key in path.dropFirst() {
            guard let next = value[key] else { return nil }
            value = next
        }
        return value
    }

    /// A scalar as it goes into a path; nil for null, objects and lists.
    private static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let string): return string.isEmpty ? nil : string
        case .null, .object, .array: return nil
        default: return JSONWriter().encodeString(value)
        }
    }
}
