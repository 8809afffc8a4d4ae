import FerryJSON
import FerryPluginSDK

/// One configured stream: the query, where its records and `pageInfo` are in the
/// response, and how the checkpoint goes back into the variables.
struct GraphQLStream {
    /// A stream's keys: a sub-table of the connector's `streams` key.
    static let keys = ConfigTable([
        ConfigKey("name", .string, required: true, example: "clients", "The stream's name."),
        ConfigKey("query", .string, "The GraphQL query text (or query_file)."),
        ConfigKey("query_file", .string, example: "queries/clients.graphql", "A file holding the query."),
        ConfigKey("variables", .map(of: .json), "Variables sent with the query (name: value)."),
        ConfigKey(
            "records_path", .string, required: true,
            "Where the records are, like data.allClients.nodes or data.allClients.edges[].node."),
        ConfigKey("primary_key", .anyOf([.string, .array(of: .string)]), "A field name or a list of them."),
        ConfigKey("cursor_field", .string, "The record field whose newest value is the checkpoint."),
        ConfigKey("cursor_variable", .string, "The variable receiving the checkpoint (or --since)."),
        ConfigKey("until_variable", .string, "The variable receiving --until."),
        ConfigKey(
            "order", .oneOf(Order.allCases.map(\.rawValue)), default: "any",
            "The order records come in by cursor_field; decides when the checkpoint moves."),
        ConfigKey("pagination", .oneOf(["relay", "none"]), default: "relay", "Relay cursor paging, or one request."),
        ConfigKey(
            "page_info_path", .string, "Where pageInfo { hasNextPage endCursor } is (derived from records_path)."),
        ConfigKey("page_cursor_variable", .string, default: "after", "The variable receiving pageInfo.endCursor."),
    ])

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

    init(_ config: ConfigValues, queriesFolder: String?) throws {
        let place = config.path
        func path(_ key: String) throws -> FieldPath? {
            try config.optionalString(key).map { try FieldPath($0, at: "\(place).\(key)") }
        }
        let name = try config.string("name")
        guard !name.isEmpty else { throw PluginError.invalid("\(place).name is required") }
        self.name = name
        switch (try config.optionalString("query"), try config.optionalString("query_file")) {
        case (let inline?, nil): query = inline
        case (nil, let file?): query = try QueryText.read(file, folder: queriesFolder, at: "\(place).query_file")
        case (nil, nil): throw PluginError.invalid("\(place): set query (the GraphQL text) or query_file")
        case (_?, _?): throw PluginError.invalid("\(place): set either query or query_file, not both")
        }
        try QueryText.validate(query, at: "\(place).query")
        variables = try config.value("variables")?.objectValue ?? JSONObject()
        guard let records = try path("records_path") else {
            throw PluginError.invalid("\(place).records_path is required")
        }
        recordsPath = records
        primaryKey = try config.optionalStringList("primary_key") ?? []
        cursorField = try path("cursor_field")
        cursorVariable = try path("cursor_variable")
        untilVariable = try path("until_variable")
        // The table allows only the cases' names.
        let order = Order(rawValue: try config.string("order")) ?? .any
        self.order = order
        if cursorField == nil {
            for key in ["cursor_variable", "until_variable"] where config.isGiven(key) {
                throw PluginError.invalid(
                    "\(place).\(key) needs cursor_field: the record field whose newest value is kept")
            }
            if order != .any {
                throw PluginError.invalid(
                    "\(place).order \(order.rawValue) needs cursor_field, the field the API sorts by")
            }
        }
        pageCursorVariable = try path("page_cursor_variable") ?? FieldPath("after", at: place)
        if try config.string("pagination") == "none" {
            pageInfoPath = nil
        } else if let configured = try path("page_info_path") {
            pageInfoPath = configured
        } else if let derived = Self.pageInfoPath(besides: recordsPath) {
            pageInfoPath = derived
        } else {
            throw PluginError.invalid(
                "\(place): records_path '\(recordsPath)' does not end in nodes or edges[].node, so set "
                    + "page_info_path (where pageInfo { hasNextPage endCursor } is) or pagination: none")
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
