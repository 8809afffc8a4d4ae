import FerryJSON
import FerryPluginSDK

/// The rest connector's keys, declared once: the spec's schema, the checks every object of the
/// config passes first (`ConfigFields`, `ConfigTable.parse`), `ferry plugins info rest` and
/// docs/connectors/rest.md derive from these tables. What a table cannot say (which pagination
/// keys go with which type, a path that must hold `{id}`) is checked where each object is read.
enum RESTKeys {
    static let query = ConfigKey(
        "query", .map(of: .anyOf([.string, .integer, .boolean])), example: ["status": "open"],
        "Query parameters sent with every request.")
    static let recordsPath = ConfigKey(
        "records_path", .string, example: "data.items",
        "Dotted path to the records array; empty: the body is the array.")
    static let primaryKey = ConfigKey(
        "primary_key", .anyOf([.string, .array(of: .string)]), "The records' key field(s).")
    static let concurrency = ConfigKey(
        "concurrency", .integer, default: 4, minimum: 1, maximum: 32, "Requests in flight at once.")
    static let rejectStatuses = ConfigKey(
        "reject_statuses", .array(of: .integer), default: [404, 410],
        "4xx statuses (not 401 or 429) that dead-letter the one record instead of failing the read.")

    /// `pagination:` of a stream or a child list; the keys each type takes are checked by `Pagination.Style`.
    static let pagination = ConfigTable([
        ConfigKey(
            "type", .oneOf(["none", "page", "offset", "cursor", "link", "4d", "keyset"]), default: "none",
            "How pages follow each other."),
        ConfigKey("page_size", .integer, minimum: 1, "Records per page (default 100; 1000 for 4d)."),
        ConfigKey("size_param", .string, "page, cursor, keyset: the query parameter that carries page_size."),
        ConfigKey("page_param", .string, default: "page", "page: the page-number parameter."),
        ConfigKey("start_page", .integer, default: 1, "page: the first page's number."),
        ConfigKey("offset_param", .string, default: "offset", "offset: the offset parameter."),
        ConfigKey("limit_param", .string, default: "limit", "offset: the page-size parameter."),
        ConfigKey("cursor_param", .string, default: "cursor", "cursor: the parameter carrying the next token."),
        ConfigKey("next_path", .string, "cursor (required): dotted path to the next page's token."),
        ConfigKey("has_more_path", .string, "cursor: dotted path to a boolean saying whether more pages follow."),
        ConfigKey("key_param", .string, "keyset: the parameter carrying the last record's key."),
        ConfigKey("key_filter", .string, "keyset: a filter with {cursor} and {key} replacing cursor_filter."),
        ConfigKey("total_path", .string, "Dotted path to the total record count the API states."),
        ConfigKey("total_pages_path", .string, "page: dotted path to the total page count."),
        ConfigKey(
            "stop", .oneOf(["short_page", "empty_page"]), default: "short_page",
            "page, offset without totals: what ends the stream."),
    ])

    /// `detail:` and its `also:` requests (`nested`: an `also:` entry, which has no `also:` of its own).
    static func detail(nested: Bool) -> ConfigTable {
        ConfigTable(
            [
                ConfigKey(
                    "path", .string, required: true, example: "orders/{id}",
                    "The record's path, {field} from the listed record."),
                query,
                ConfigKey("records_path", .string, "Dotted path to the object in the response; empty: the body."),
                ConfigKey(
                    "mode", .oneOf(["merge", "replace"]), default: "merge",
                    "merge: over the listed record (or under into); replace: in its place."),
                ConfigKey("into", .string, "merge: the key the detail goes under."),
                concurrency,
                rejectStatuses,
                ConfigKey(
                    "also", nested ? .json : .array(of: .object(detail(nested: true))),
                    "Further requests per record, each merged under its into, in order."),
                ConfigKey(
                    "optional", .boolean, default: false,
                    "also: a record without the path's field or with a reject status goes on without into."),
            ] + (nested ? [eachKey] : []))
    }

    /// `each:` of an `also:` request.
    static let eachKey = ConfigKey(
        "each", .string, example: "inverters.data",
        "also: one request per element of this list of the record (the element's fields, then the record's, "
            + "fill the path); each answer goes under into in its element.")

    /// One entry of `children:`.
    static let child = ConfigTable([
        ConfigKey("name", .string, required: true, "The child stream's name."),
        ConfigKey(
            "path", .string, required: true, example: "clients/{id}/pianos", "The list's path, {field} from the parent."
        ),
        query,
        recordsPath,
        primaryKey,
        ConfigKey("parent_key", .string, default: "parent_id", "The field each child gets, holding the parent's key."),
        ConfigKey("parent_field", .string, "The parent's field whose value that is (default: its primary key)."),
        ConfigKey("pagination", .object(pagination), "The list's paging (not keyset)."),
        concurrency,
        rejectStatuses,
    ])

    /// One entry of `streams:`.
    static let stream = ConfigTable([
        ConfigKey("name", .string, required: true, example: "orders", "The stream's name."),
        ConfigKey("path", .string, default: "", "The list's path under http.endpoint."),
        query,
        recordsPath,
        primaryKey,
        ConfigKey("cursor_field", .string, "The record field whose newest value is the checkpoint."),
        ConfigKey("cursor_param", .string, "Query parameter carrying the last cursor (updated_since)."),
        ConfigKey("cursor_filter", .string, "Filter expression with {cursor}, sent in filter_param."),
        ConfigKey("filter_param", .string, "The filter parameter (default filter; $filter for 4d)."),
        ConfigKey("field_filter", .string, "Filter with {field} and {value} carrying ferry run --filter conditions."),
        ConfigKey("until_param", .string, "Query parameter carrying --until."),
        ConfigKey("until_filter", .string, "Filter expression with {until}, joined to the cursor filter."),
        ConfigKey("method", .string, default: "GET", "GET, or POST for searches that take a body."),
        ConfigKey("body", .json, "POST: a JSON body sent with every page; {cursor} in strings gets the cursor."),
        ConfigKey("cursor_default", .string, default: "", "What {cursor} becomes in the body before a checkpoint."),
        ConfigKey("pagination", .object(pagination), "How pages follow each other."),
        ConfigKey(
            "requests", .array(of: .json),
            "Several lists over one path, each a query object (or {query, cursor_field}), de-duplicated by primary_key."
        ),
        ConfigKey("request_fields", .array(of: .string), "Parameters of requests set on each record a list gives."),
        ConfigKey("detail", .object(detail(nested: false)), "One more request per listed record."),
        ConfigKey("children", .array(of: .object(child)), "Per-record lists read as streams of their own."),
        ConfigKey(
            "prefetch", .boolean, default: true,
            "Read the next page while the host writes this one (one page ahead)."),
    ])

    /// `lookup:` of a write stream.
    static let lookup = ConfigTable([
        ConfigKey("path", .string, "Where to search (default: the write's path)."),
        ConfigKey(
            "query", .map(of: .anyOf([.string, .integer])), "Query parameters; values may hold {key} and {field}."),
        ConfigKey("records_path", .string, "Dotted path to the found objects."),
        ConfigKey("id_path", .string, "Dotted path to an object's id (default: the write's id_path)."),
        ConfigKey("match_field", .string, "A field of the found objects that must equal the key."),
    ])

    /// One entry of `writes:`.
    static let write = ConfigTable([
        ConfigKey("name", .string, required: true, "The destination stream's name."),
        ConfigKey("path", .string, required: true, example: "items", "The collection creates are POSTed to."),
        ConfigKey("item_path", .string, "An object's path with {id} (default '<path>/{id}')."),
        ConfigKey("update_method", .string, default: "PATCH", "PATCH or PUT."),
        ConfigKey("id_path", .string, default: "id", "Dotted path to the new id in a create's response."),
        ConfigKey("body", .json, "A JSON template of the body, {field} and {key} replaced; default the record."),
        ConfigKey(
            "id_map_scope", .string,
            "The host's ID-map scope of this stream's ids (default: '<connection>/<stream>' of the pipeline)."),
        ConfigKey("lookup", .object(lookup), "How to find an object an interrupted create may have made."),
        ConfigKey("delete", .boolean, default: false, "Mirror: send DELETE item_path for deleted records."),
        ConfigKey(
            "on_delete", .oneOf(["request", "forget"]), default: "request",
            "With delete: true, 'forget' sends nothing: the object stays in the API and leaves the ID map."),
    ])

    /// The connection's `config`.
    static let config = ConfigTable(
        [
            ConfigKey("streams", .array(of: .object(stream)), "Streams to read. See Plugins/rest/README.md."),
            ConfigKey("writes", .array(of: .object(write)), "Destination streams. See Plugins/rest/README.md."),
        ],
        unknownKeyAdvice: "(auth and endpoint go in the connection's http:)")
}
