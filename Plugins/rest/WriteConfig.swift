import FerryJSON
import FerryPluginSDK

/// One destination stream (`writes[]`): how records become objects in the API.
/// A record whose key has no mapped id is created (`POST path`), one that has is
/// updated (`PATCH` or `PUT` on `item_path`); the id comes from the host's ID map,
/// filed under `id_map_scope`, or from an intent an earlier run left (`Intents`).
struct RESTWrite {
    var name: String
    /// The collection: creates are `POST`ed here.
    var path: String
    /// An object's path, `{id}` standing for its id (default `<path>/{id}`).
    var itemPath: String
    /// `PATCH` (default) or `PUT`.
    var updateMethod: String
    /// Dotted path to the new id in a create's response (default `id`).
    var idPath: [String]
    /// A JSON template of the body; nil sends the record as it is.
    var body: JSONValue?
    /// The host ID-map scope the pipeline files this stream's ids under: `<connection>/<stream>`.
    var idMapScope: String
    /// How to find an object an interrupted create may have made.
    var lookup: Lookup?
    /// Whether deletes (mirror, `replace_children`) are accepted.
    var allowsDelete: Bool
    /// Whether an accepted delete leaves the object in the API (`on_delete: forget`): Ferry only
    /// forgets its id, for APIs whose objects must outlive their source (history hangs on them).
    var forgetsDeleted: Bool

    /// A search for the object a create left without an answer: `GET path?query`, the
    /// records at `records_path`, the one whose `match_field` equals the key, its `id_path`.
    struct Lookup {
        var path: String
        /// Query parameters; values may hold `{key}` and `{field}` placeholders.
        var query: [(String, String)]
        var recordsPath: [String]
        var idPath: [String]
        /// A field of the found objects that must equal the key (for APIs that ignore filters).
        var matchField: [String]?
    }

    init(_ object: JSONObject, at where_: String) throws {
        // Checks the lookup too (a sub-table); what follows reads values of the checked types.
        let values = try RESTKeys.write.parse(object, at: where_)
        func text(_ key: String, in object: JSONObject = object, at place: String = where_) throws -> String? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let string = value.stringValue else { throw PluginError.invalid("\(place).\(key) must be a string") }
            return string
        }
        guard let name = try text("name"), !name.isEmpty else {
            throw PluginError.invalid("\(where_).name is required")
        }
        self.name = name
        guard let path = try text("path"), !path.isEmpty else {
            throw PluginError.invalid("\(where_).path is required (the collection creates are POSTed to)")
        }
        self.path = path
        itemPath = try text("item_path") ?? (path.hasSuffix("/") ? path + "{id}" : path + "/{id}")
        guard itemPath.contains("{id}") else {
            throw PluginError.invalid("\(where_).item_path must contain {id}, where the object's id goes")
        }
        updateMethod = try values.string("update_method").uppercased()
        guard updateMethod == "PATCH" || updateMethod == "PUT" else {
            throw PluginError.invalid("\(where_).update_method must be PATCH or PUT, got '\(updateMethod)'")
        }
        idPath = Self.dotted(try values.string("id_path"))
        body = object["body"].flatMap { $0.isNull ? nil : $0 }
        // Empty: the host names the scope in each write request (`WriteRequest.idMapScope`).
        idMapScope = try text("id_map_scope") ?? ""
        allowsDelete = try values.bool("delete")
        forgetsDeleted = try values.string("on_delete") == "forget"
        if forgetsDeleted && !allowsDelete {
            throw PluginError.invalid("\(where_).on_delete: forget needs delete: true (deletes are refused without it)")
        }
        if let value = object["lookup"], !value.isNull {
            guard let lookup = value.objectValue else {
                throw PluginError.invalid("\(where_).lookup must be an object")
            }
            let place = "\(where_).lookup"
            let query = try (lookup["query"]?.objectValue ?? JSONObject()).map { key, value in
                guard let scalar = value.stringValue ?? value.intValue.map(String.init) else {
                    throw PluginError.invalid("\(place).query.\(key) must be a string or an integer")
                }
                return (key, scalar)
            }
            let matchField = try text("match_field", in: lookup, at: place).map(Self.dotted)
            guard query.contains(where: { $0.1.contains("{") }) || matchField != nil else {
                throw PluginError.invalid(
                    "\(place) needs a query value with {key} (or a record field) or match_field, to find one object")
            }
            self.lookup = Lookup(
                path: try text("path", in: lookup, at: place) ?? path, query: query,
                recordsPath: Self.dotted(try text("records_path", in: lookup, at: place) ?? ""),
                idPath: try text("id_path", in: lookup, at: place).map(Self.dotted) ?? idPath, matchField: matchField)
        }
    }

    /// `a.b.c` as its parts; the empty string as none.
    static func dotted(_ path: String) -> [String] { path.split(separator: ".").map(String.init) }

    /// The value at a dotted path, or nil.
    static func value(at path: [String], in value: JSONValue) -> JSONValue? {
        var current = value
        for part in path {
            guard let next = current[part] else { return nil }
            current = next
        }
        return current
    }

    /// An id or key value as text: a string as it is, an integer in decimal, nil for anything else.
    static func idText(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: return text.isEmpty ? nil : text
        case .int(let integer)?: return String(integer)
        default: return nil
        }
    }

    /// `template` with `{key}` and `{field}` (dotted) filled from the record; unknown fields become empty.
    static func fill(_ template: String, key: String, record: JSONObject) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            result += name == "key" ? key : value(at: dotted(name), in: .object(record)).map(RESTReader.text) ?? ""
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// The member of a template object that makes it optional: the object is left out (of its
    /// array, or as its parent's member) when the member renders to null, nothing or `""`.
    static let conditionMember = "$if"

    /// The request body for a record: the record itself, or the template with each string
    /// that is exactly `{field}` replaced by the field's JSON value, and `{field}` inside a
    /// longer string by its text; objects whose `$if` renders empty are left out.
    func body(for record: JSONObject, key: String) -> JSONValue {
        guard let body else { return .object(record) }
        // Nil for an object its `$if` leaves out; otherwise the object without `$if`.
        func kept(_ value: JSONValue) -> JSONValue? {
            guard case .object(var object) = value, let condition = object[Self.conditionMember] else { return value }
            switch render(condition) {
            case .null, .string(""): return nil
            default:
                object[Self.conditionMember] = nil
                return .object(object)
            }
        }
        func render(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text):
                if text.hasPrefix("{"), text.hasSuffix("}"),
                    text.dropFirst().dropLast().allSatisfy({ $0 != "{" && $0 != "}" })
                {
                    let name = String(text.dropFirst().dropLast())
                    if name == "key" { return .string(key) }
                    return Self.value(at: Self.dotted(name), in: .object(record)) ?? .null
                }
                return .string(Self.fill(text, key: key, record: record))
            case .array(let items): return .array(items.compactMap(kept).map(render))
            case .object(let object):
                return .object(
                    JSONObject(
                        object.compactMap { member in kept(member.value).map { (key: member.key, value: render($0)) } })
                )
            default: return value
            }
        }
        return kept(body).map(render) ?? .object([:])
    }

    /// The path of the object with `id`.
    func itemPath(id: String) -> String { itemPath.replacing("{id}", with: HTTPRequest.encode(id)) }
}
