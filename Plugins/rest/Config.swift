import FerryJSON
import FerryPluginSDK

/// The `rest` connector's configuration: streams to read and streams to write
/// (`writes`) over the connection's HTTP endpoint. Authentication, budgets and
/// retries are the host's (`http:` in the connection), so none of them appear here.
struct RESTConfig {
    var streams: [RESTStream]
    var writes: [RESTWrite]

    init(_ object: JSONObject) throws {
        _ = try RESTKeys.config.parse(object)
        func list(_ key: String) throws -> [JSONObject] {
            guard let value = object[key], !value.isNull else { return [] }
            guard let items = value.arrayValue else { throw PluginError.invalid("config.\(key) must be a list") }
            return try items.enumerated().map { index, item in
                guard let entry = item.objectValue else {
                    throw PluginError.invalid("config.\(key)[\(index)] must be an object")
                }
                return entry
            }
        }
        streams = try list("streams").enumerated().map { try RESTStream($1, at: "config.streams[\($0)]") }
        var names = Set<String>()
        for name in streams.flatMap({ [$0.name] + $0.children.map(\.name) }) where !names.insert(name).inserted {
            throw PluginError.invalid("config: two streams are named '\(name)' (children count as streams)")
        }
        writes = try list("writes").enumerated().map { try RESTWrite($1, at: "config.writes[\($0)]") }
        guard !streams.isEmpty || !writes.isEmpty else {
            throw PluginError.invalid(
                "config.streams (to read) or config.writes (to write) must list at least one stream")
        }
    }
}

/// One configured stream: where its records are and how to page through them.
struct RESTStream {
    var name: String
    var path: String
    var query: [(String, String)]
    /// Dotted path to the records array in the body; empty: the body is the array.
    var recordsPath: [String]
    var primaryKey: [String]
    var cursorField: String?
    /// Query parameter that carries the last cursor (`updated_since`).
    var cursorParam: String?
    /// Filter expression with `{cursor}` (`modified_date > "{cursor}"`), sent in `filterParam`.
    var cursorFilter: String?
    var filterParam: String
    /// Filter expression with `{field}` and `{value}` (`{field} = "{value}"`, the default for
    /// 4d) that carries each of a filtered run's conditions (`ferry run --filter`) in `filterParam`.
    var fieldFilter: String?
    var pagination: Pagination.Style
    /// Where the API states its totals, checked against what each page holds.
    var totals: Pagination.Totals
    /// Query parameter that carries `--until` (`updated_before`).
    var untilParam: String?
    /// Filter expression with `{until}` (`modified_date < "{until}"`), joined to the cursor filter.
    var untilFilter: String?
    /// `GET` (default) or `POST` for APIs whose searches take a body.
    var method: String
    /// A JSON body sent with every page; string values holding `{cursor}` get the cursor.
    var body: JSONValue?
    /// What `{cursor}` becomes in the body before the first checkpoint.
    var cursorDefault: String
    /// `pagination.stop: empty_page`.
    var endsOnEmptyPage: Bool
    /// `requests:`: several lists over one path, each with its own extra query parameters,
    /// read one after the other and de-duplicated by primary key; one empty list without it.
    var requests: [[(String, String)]]
    /// Per list of `requests:`, the field its records' read window applies to, when not the
    /// stream's `cursor_field` (`{query: {board: POSTED}, cursor_field: postedDate}`: Tekmetric's
    /// posted board is windowed by the posting date, as the seed did).
    var requestCursorFields: [String?] = [nil]
    /// `request_fields:` parameters of the `requests:` lists set on each record a list gives
    /// (after its detail), so a record says which list it came from (Tekmetric's `board`); a
    /// run filtered on one (`--filter board=POSTED`) reads only the lists that match.
    var requestFields: [String] = []
    /// `detail:`: one more request per listed record.
    var detail: Detail?
    /// `children:`: per-record lists read as streams of their own.
    var children: [ChildStream]
    /// `prefetch:`: the next page is read while the host writes this one.
    var prefetch: Bool

    init(_ object: JSONObject, at where_: String) throws {
        let fields = try ConfigFields(object, at: where_, table: RESTKeys.stream)
        func text(_ key: String) throws -> String? { try fields.text(key) }
        guard let name = try text("name"), !name.isEmpty else {
            throw PluginError.invalid("\(where_).name is required")
        }
        self.name = name
        path = try fields.values.string("path")
        query = try (object["query"]?.objectValue ?? JSONObject()).map { key, value in
            guard let scalar = value.stringValue ?? value.intValue.map(String.init) ?? value.boolValue.map(String.init)
            else {
                throw PluginError.invalid("\(where_).query.\(key) must be a string, number or boolean")
            }
            return (key, scalar)
        }
        let paginationObject = object["pagination"]?.objectValue ?? JSONObject()
        pagination = try Pagination.Style(paginationObject, at: "\(where_).pagination")
        totals = Pagination.Totals(paginationObject)
        endsOnEmptyPage = try Pagination.endsOnEmptyPage(paginationObject, at: "\(where_).pagination")
        let defaultRecords = pagination.isFourD ? "__ENTITIES" : ""
        recordsPath = (try text("records_path") ?? defaultRecords).split(separator: ".").map(String.init)
        if let key = object["primary_key"] {
            primaryKey = key.stringValue.map { [$0] } ?? (key.arrayValue ?? []).compactMap(\.stringValue)
        } else {
            primaryKey = pagination.isFourD ? ["__KEY"] : []
        }
        cursorField = try text("cursor_field")
        cursorParam = try text("cursor_param")
        cursorFilter = try text("cursor_filter")
        filterParam = try text("filter_param") ?? (pagination.isFourD ? "$filter" : "filter")
        if cursorFilter.map({ !$0.contains("{cursor}") }) == true {
            throw PluginError.invalid("\(where_).cursor_filter must contain {cursor}, where the last cursor value goes")
        }
        fieldFilter = try text("field_filter") ?? (pagination.isFourD ? #"{field} = "{value}""# : nil)
        if let fieldFilter, !fieldFilter.contains("{field}") || !fieldFilter.contains("{value}") {
            throw PluginError.invalid(
                "\(where_).field_filter must contain {field} and {value}, where a --filter's field and value go")
        }
        method = try fields.values.string("method").uppercased()
        guard method == "GET" || method == "POST" else {
            throw PluginError.invalid("\(where_).method must be GET or POST, got '\(method)'")
        }
        body = object["body"].flatMap { $0.isNull ? nil : $0 }
        if body != nil && method == "GET" { throw PluginError.invalid("\(where_).body needs method: POST") }
        cursorDefault = try fields.values.string("cursor_default")
        untilParam = try text("until_param")
        untilFilter = try text("until_filter")
        if untilFilter.map({ !$0.contains("{until}") }) == true {
            throw PluginError.invalid("\(where_).until_filter must contain {until}, where --until goes")
        }
        let bodyUsesCursor = body.map { JSONWriter().encodeString($0).contains("{cursor}") } ?? false
        if (cursorParam != nil || cursorFilter != nil || bodyUsesCursor) && cursorField == nil {
            throw PluginError.invalid("\(where_): cursor_param, cursor_filter and a {cursor} in body need cursor_field")
        }
        requests = [[]]
        if let list = object["requests"], !list.isNull {
            guard let items = list.arrayValue, !items.isEmpty else {
                throw PluginError.invalid(
                    "\(where_).requests must be a list of query objects, e.g. [{board: ACTIVE}, {board: POSTED}]")
            }
            var cursorFields: [String?] = []
            let streamCursorField = cursorField
            requests = try items.enumerated().map { index, item in
                let at = "\(where_).requests[\(index)]"
                guard let object = item.objectValue else {
                    throw PluginError.invalid("\(at) must be an object of query parameters")
                }
                // `{query: {…}, cursor_field: …}`: a query value is never an object, so this form
                // cannot be mistaken for parameters.
                guard case .object(let query)? = object["query"] else {
                    cursorFields.append(nil)
                    return try ConfigFields.parameters(object, at: at)
                }
                let fields = try ConfigFields(
                    object, at: at,
                    table: ConfigTable([
                        ConfigKey("query", .map(of: .json), "The list's query parameters."),
                        ConfigKey("cursor_field", .string, "The field this list's read window applies to."),
                    ]))
                let field = try fields.text("cursor_field")
                if field != nil && streamCursorField == nil {
                    throw PluginError.invalid("\(at).cursor_field needs the stream's cursor_field (its checkpoint)")
                }
                cursorFields.append(field)
                return try ConfigFields.parameters(query, at: "\(at).query")
            }
            requestCursorFields = cursorFields
            if let fields = object["request_fields"], !fields.isNull {
                guard let names = fields.arrayValue?.compactMap(\.stringValue), names.count == fields.arrayValue?.count,
                    !names.isEmpty
                else { throw PluginError.invalid("\(where_).request_fields must be a list of parameter names") }
                for name in names where !requests.contains(where: { $0.contains { $0.0 == name } }) {
                    throw PluginError.invalid("\(where_).request_fields: no list of requests: sets '\(name)'")
                }
                requestFields = names
            }
            guard !primaryKey.isEmpty else {
                throw PluginError.invalid(
                    "\(where_).requests needs primary_key, to keep one record per key across the lists")
            }
            if pagination.isKeyset {
                throw PluginError.invalid("\(where_).requests cannot be combined with keyset pagination")
            }
        }
        detail = try object["detail"].flatMap { $0.isNull ? nil : $0 }.map { value in
            guard let object = value.objectValue else {
                throw PluginError.invalid("\(where_).detail must be an object")
            }
            return try Detail(object, at: "\(where_).detail")
        }
        prefetch = try fields.values.bool("prefetch")
        children = []
        if let list = object["children"], !list.isNull {
            guard let items = list.arrayValue else { throw PluginError.invalid("\(where_).children must be a list") }
            children = try items.enumerated().map { index, item in
                guard let object = item.objectValue else {
                    throw PluginError.invalid("\(where_).children[\(index)] must be an object")
                }
                return try ChildStream(object, at: "\(where_).children[\(index)]", parentKey: primaryKey)
            }
        }
        if case .keyset(_, _, let keyParam, let keyFilter) = pagination {
            guard cursorField != nil, cursorParam != nil || cursorFilter != nil || keyFilter != nil || bodyUsesCursor
            else {
                throw PluginError.invalid(
                    "\(where_).pagination type keyset needs cursor_field and a way to send it: cursor_param, cursor_filter, "
                        + "pagination.key_filter or {cursor} in body")
            }
            if keyFilter != nil && cursorFilter == nil {
                throw PluginError.invalid(
                    "\(where_).pagination.key_filter needs cursor_filter too (inclusive, >=), for the requests "
                        + "that start from a cursor without a key (--since, lookback)")
            }
            guard !primaryKey.isEmpty, (keyParam == nil && keyFilter == nil) || primaryKey.count == 1 else {
                throw PluginError.invalid(
                    "\(where_).pagination type keyset needs primary_key (one field with key_param or key_filter) "
                        + "to tell apart records with the same cursor")
            }
        }
    }

    /// Records per page the pagination asks for (0 when it sets none).
    var pageSize: Int {
        switch pagination {
        case .page(_, _, let size, _), .offset(_, _, let size), .fourD(let size), .keyset(_, let size, _, _):
            return size
        case .cursor(let cursor): return cursor.size ?? 0
        case .none, .link: return 0
        }
    }

    /// The records array at a dotted path of a response body.
    static func records(in body: JSONValue, at recordsPath: [String], stream name: String) throws -> [JSONValue] {
        var value = body
        for key in recordsPath {
            guard let next = value[key] else { throw noRecords(at: recordsPath, stream: name, missing: true) }
            value = next
        }
        guard let array = value.arrayValue else { throw noRecords(at: recordsPath, stream: name, missing: false) }
        return array
    }

    /// A response whose `records_path` leads nowhere (`missing`) or to something that is not a list.
    static func noRecords(at recordsPath: [String], stream name: String, missing: Bool) -> PluginError {
        let path = recordsPath.joined(separator: ".")
        guard !missing else { return PluginError.invalid("stream '\(name)': the response has no '\(path)'") }
        return PluginError.invalid("stream '\(name)': '\(path.isEmpty ? "the body" : path)' is not a list")
    }
}
