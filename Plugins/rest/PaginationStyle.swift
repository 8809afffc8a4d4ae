import FerryJSON
import FerryPluginSDK

extension Pagination {
    /// The configured style (`pagination.type`).
    enum Style {
        case none
        /// `?page=N&per_page=S`, starting at `start`.
        case page(param: String, sizeParam: String?, size: Int, start: Int)
        /// `?offset=N&limit=S`.
        case offset(param: String, limitParam: String, size: Int)
        /// A token from the body (`next_path`) sent back as `param`.
        case cursor(CursorPaging)
        /// RFC 8288 `Link: <…>; rel="next"`.
        case link
        /// 4D REST: `$skip`/`$top`, `__COUNT`/`__SENT`, `__ENTITIES`.
        case fourD(size: Int)
        /// Every request carries the last record's cursor (the stream's `cursor_param`,
        /// `cursor_filter` or body) and its key, in `keyParam` or in `keyFilter` (a filter
        /// expression with `{cursor}` and `{key}` used in place of `cursor_filter` once a key
        /// is known); ends on a page with nothing new.
        case keyset(sizeParam: String?, size: Int, keyParam: String?, keyFilter: String?)

        var isFourD: Bool { if case .fourD = self { return true } else { return false } }
        var isKeyset: Bool { if case .keyset = self { return true } else { return false } }

        static let allowedKeys: [String: [String]] = [
            "none": ["total_path"],
            "page": ["page_param", "size_param", "page_size", "start_page", "total_path", "total_pages_path", "stop"],
            "offset": ["offset_param", "limit_param", "page_size", "total_path", "stop"],
            "cursor": ["cursor_param", "next_path", "has_more_path", "size_param", "page_size", "total_path"],
            "link": ["total_path"], "4d": ["page_size"],
            "keyset": ["size_param", "page_size", "key_param", "key_filter"],
        ]

        init(_ object: JSONObject, at where_: String) throws {
            // Types and unknown keys of any type are checked by the table; which keys go with
            // which type, below. Defaults come from the table.
            let values = try RESTKeys.pagination.parse(object, at: where_)
            let type = try values.string("type")
            let size = object["page_size"]?.intValue.map(Int.init)
            guard let keys = Self.allowedKeys[type] else {
                throw PluginError.invalid(
                    "\(where_).type must be one of none, page, offset, cursor, link, 4d, keyset, got '\(type)'")
            }
            for key in object.keys where key != "type" && !keys.contains(key) {
                throw PluginError.invalid(
                    "\(where_): unknown key '\(key)' for type \(type); valid: \(keys.joined(separator: ", "))")
            }
            if let size, size <= 0 { throw PluginError.invalid("\(where_).page_size must be greater than 0") }
            switch type {
            case "page":
                self = .page(
                    param: try values.string("page_param"), sizeParam: object["size_param"]?.stringValue,
                    size: size ?? 100, start: Int(try values.integer("start_page")))
            case "offset":
                self = .offset(
                    param: try values.string("offset_param"), limitParam: try values.string("limit_param"),
                    size: size ?? 100)
            case "cursor":
                guard let next = object["next_path"]?.stringValue else {
                    throw PluginError.invalid("\(where_).next_path is required for type cursor")
                }
                self = .cursor(
                    CursorPaging(
                        param: try values.string("cursor_param"),
                        nextPath: next.split(separator: ".").map(String.init),
                        hasMorePath: object["has_more_path"]?.stringValue.map {
                            $0.split(separator: ".").map(String.init)
                        },
                        sizeParam: object["size_param"]?.stringValue, size: size))
            case "link": self = .link
            case "4d": self = .fourD(size: size ?? 1000)
            case "keyset":
                let keyFilter = object["key_filter"]?.stringValue
                if let keyFilter, !(keyFilter.contains("{cursor}") && keyFilter.contains("{key}")) {
                    throw PluginError.invalid(
                        "\(where_).key_filter must contain {cursor} and {key}, e.g. 'updated > \"{cursor}\" OR (updated = \"{cursor}\" AND id > {key})'"
                    )
                }
                self = .keyset(
                    sizeParam: object["size_param"]?.stringValue, size: size ?? 100,
                    keyParam: object["key_param"]?.stringValue,
                    keyFilter: keyFilter)
            default: self = .none
            }
        }
    }

    /// `pagination.type: cursor`: where the next page's token is, and how it goes back.
    struct CursorPaging {
        /// The query parameter that carries the token (`cursor_param`).
        var param: String
        /// The token's dotted path in each page's body (`next_path`).
        var nextPath: [String]
        /// A boolean saying whether more pages follow (`has_more_path`, Tekmetric's `hasNext`):
        /// false ends the stream even when a token is present.
        var hasMorePath: [String]?
        var sizeParam: String?
        var size: Int?

        /// The token in a page's body, as sent back: a string or number as it is; an object
        /// or array (Tekmetric's `nextKeys`) as its compact JSON text. Nil when there is none.
        func token(in body: JSONValue) -> String? {
            var value = body
            for key in nextPath { value = value[key] ?? .null }
            switch value {
            case .object(let object) where !object.isEmpty: return JSONWriter().encodeString(value)
            case .array(let array) where !array.isEmpty: return JSONWriter().encodeString(value)
            default: return value.stringValue ?? value.intValue.map(String.init)
            }
        }

        /// False when the body says no page follows; nil when it does not say.
        func hasMore(in body: JSONValue) -> Bool? {
            guard let hasMorePath else { return nil }
            var value = body
            for key in hasMorePath { value = value[key] ?? .null }
            return value.boolValue
        }
    }

    /// What ends a page or offset stream without totals (`pagination.stop`): a page shorter
    /// than `page_size` (`short_page`, the default) or only an empty one (`empty_page`).
    static func endsOnEmptyPage(_ object: JSONObject, at where_: String) throws -> Bool {
        switch try RESTKeys.pagination.parse(object, at: where_).string("stop") {
        case "short_page": return false
        case "empty_page": return true
        default: throw PluginError.invalid("\(where_).stop must be short_page or empty_page")
        }
    }

    /// Where the API states how much there is (`pagination.total_path`,
    /// `pagination.total_pages_path`): dotted paths into each page's body.
    struct Totals {
        var recordsPath: [String]?
        var pagesPath: [String]?

        init(recordsPath: [String]? = nil, pagesPath: [String]? = nil) {
            self.recordsPath = recordsPath
            self.pagesPath = pagesPath
        }

        init(_ object: JSONObject) {
            recordsPath = object["total_path"]?.stringValue.map { $0.split(separator: ".").map(String.init) }
            pagesPath = object["total_pages_path"]?.stringValue.map { $0.split(separator: ".").map(String.init) }
        }

        /// The total record count a page's body states, when configured and present.
        func records(in body: JSONValue) -> Int? { recordsPath.flatMap { Self.integer(at: $0, in: body) } }
        /// The total page count a page's body states, when configured and present.
        func pages(in body: JSONValue) -> Int? { pagesPath.flatMap { Self.integer(at: $0, in: body) } }

        /// An integer, or an integer written as a string ("42"), at a dotted path.
        private static func integer(at path: [String], in body: JSONValue) -> Int? {
            var value = body
            for key in path {
                guard let next = value[key] else { return nil }
                value = next
            }
            return value.intValue.map(Int.init) ?? value.stringValue.flatMap { Int($0) }
        }
    }
}
