import FerryJSON
import FerryPluginSDK

/// One configured stream: the query, where its records and `pageInfo` are in the
/// response, and how the checkpoint goes back into the variables.
struct GraphQLStream {
    static let keys = [
        "name", "query", "query_file", "variables", "records_path", "primary_key", "cursor_field", "cursor_variable",
        "until_variable", "order", "pagination", "page_info_path", "page_cursor_variable",
    ]

    /// The order the API returns records in, by `cursor_field`: it decides when the
    /// checkpoint may move (docs in README.md, "Incremental reads").
    enum Order: String, CaseIterable {
        /// Oldest first: each page's checkpoint is the newest value so far.
        case ascending
        /// Newest first: paging stops at the first record older than the checkpoint, which
        /// moves only with the last page.
        case newestFirst = "newest_first"
        /// Unknown: the checkpoint moves only with the last page.
        case any
    }

    var name: String
    var query: String
    var variables: JSONObject
    var recordsPath: FieldPath
    var primaryKey: [String]
    var cursorField: FieldPath?
    /// The variable receiving the checkpoint's cursor (or `--since`): `since`, `filters.updatedAfter`.
    var cursorVariable: FieldPath?
    /// The variable receiving `--until`.
    var untilVariable: FieldPath?
    var order: Order
    /// Nil: one request, no paging (`pagination: none`).
    var pageInfoPath: FieldPath?
    /// The variable receiving `pageInfo.endCursor` (`after`).
    var pageCursorVariable: FieldPath

    init(_ object: JSONObject, at place: String, queriesFolder: String?) throws {
        for key in object.keys where !Self.keys.contains(key) {
            throw PluginError.invalid(
                "\(place): unknown key '\(key)'; valid keys are \(Self.keys.joined(separator: ", "))")
        }
        func text(_ key: String) throws -> String? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let string = value.stringValue else { throw PluginError.invalid("\(place).\(key) must be a string") }
            return string
        }
        func path(_ key: String) throws -> FieldPath? {
            try text(key).map { try FieldPath($0, at: "\(place).\(key)") }
        }
        guard let name = try text("name"), !name.isEmpty else { throw PluginError.invalid("\(place).name is required") }
        self.name = name
        switch (try text("query"), try text("query_file")) {
        case (let inline?, nil): query = inline
        case (nil, let file?): query = try QueryText.read(file, folder: queriesFolder, at: "\(place).query_file")
        case (nil, nil): throw PluginError.invalid("\(place): set query (the GraphQL text) or query_file")
        case (_?, _?): throw PluginError.invalid("\(place): set either query or query_file, not both")
        }
        try QueryText.validate(query, at: "\(place).query")
        if let value = object["variables"], !value.isNull {
            guard let variables = value.objectValue else {
                throw PluginError.invalid("\(place).variables must be an object (name: value)")
            }
            self.variables = variables
        } else {
            variables = JSONObject()
        }
        guard let records = try path("records_path") else {
            throw PluginError.invalid(
                "\(place).records_path is required: where the records are, like data.allClients.nodes or "
                    + "data.allClients.edges[].node")
        }
        recordsPath = records
        switch object["primary_key"] {
        case nil, .null?: primaryKey = []
        case .string(let key)?: primaryKey = [key]
        case .array(let keys)? where keys.allSatisfy({ $0.stringValue != nil }):
            primaryKey = keys.compactMap(\.stringValue)
        default: throw PluginError.invalid("\(place).primary_key must be a field name or a list of them")
        }
        cursorField = try path("cursor_field")
        cursorVariable = try path("cursor_variable")
        untilVariable = try path("until_variable")
        let orderText = try text("order") ?? Order.any.rawValue
        guard let order = Order(rawValue: orderText) else {
            throw PluginError.invalid(
                "\(place).order must be one of \(Order.allCases.map(\.rawValue).joined(separator: ", ")), got '\(orderText)'"
            )
        }
        self.order = order
        if cursorField == nil {
            for key in ["cursor_variable", "until_variable"] where object[key] != nil {
                throw PluginError.invalid(
                    "\(place).\(key) needs cursor_field: the record field whose newest value is kept")
            }
            if order != .any {
                throw PluginError.invalid(
                    "\(place).order \(order.rawValue) needs cursor_field, the field the API sorts by")
            }
        }
        pageCursorVariable = try path("page_cursor_variable") ?? FieldPath("after", at: place)
        let pagination = try text("pagination") ?? "relay"
        switch pagination {
        case "none":
            pageInfoPath = nil
        case "relay":
            if let configured = try path("page_info_path") {
                pageInfoPath = configured
            } else if let derived = Self.pageInfoPath(besides: recordsPath) {
                pageInfoPath = derived
            } else {
                throw PluginError.invalid(
                    "\(place): records_path '\(recordsPath)' does not end in nodes or edges[].node, so set "
                        + "page_info_path (where pageInfo { hasNextPage endCursor } is) or pagination: none")
            }
        default:
            throw PluginError.invalid("\(place).pagination must be relay or none, got '\(pagination)'")
        }
        if pageInfoPath?.expandsLists == true {
            throw PluginError.invalid("\(place).page_info_path must name one object: no [] in it")
        }
    }

    /// `pageInfo` beside a Relay connection's `nodes` or `edges[].node`.
    static func pageInfoPath(besides records: FieldPath) -> FieldPath? {
        let segments = records.segments
        if let last = segments.last, last.name == "nodes", !last.eachElement {
            return records.dropping(last: 1).appending("pageInfo")
        }
        if segments.count >= 2, segments[segments.count - 2] == .init(name: "edges", eachElement: true),
            segments[segments.count - 1].name == "node"
        {
            return records.dropping(last: 2).appending("pageInfo")
        }
        return nil
    }

    /// The stream as `discover` lists it.
    var descriptor: StreamDescriptor {
        StreamDescriptor(name: name, primaryKey: primaryKey, cursorField: cursorField?.description)
    }
}
