import FerryJSON

/// Keyset paging's position: the last cursor value read and the keys of the
/// records read at exactly that value. Each request asks for records from that
/// cursor on; records the API sends again (an inclusive `>=` filter, or ties
/// across a page boundary) are recognised by key and skipped, so none is
/// delivered twice and none is skipped when records change during the load.
struct Keyset {
    private(set) var cursor: JSONValue?
    private(set) var keysAtCursor: [JSONValue] = []
    private var seen: Set<String> = []
    /// The last record's key, for `pagination.key_param`.
    private(set) var lastKey: JSONValue?

    init(cursor: JSONValue?, keys: [JSONValue]) {
        self.cursor = cursor
        for key in keys { remember(key) }
        // The checkpoint lists its keys in reading order: the last one is where to go on.
        lastKey = keys.last
    }

    /// Where a record stands against the position.
    enum Admission {
        /// After the position: it is delivered and becomes the position.
        case fresh
        /// At the position's cursor with a key already read: sent again by an inclusive filter.
        case seen
        /// Before the position's cursor: the API ignored the cursor or does not sort by it.
        case before
    }

    /// Where the record at (`value`, `key`) stands; a fresh one becomes the position.
    mutating func admit(cursor value: JSONValue, key: JSONValue) -> Admission {
        if let cursor {
            if RESTReader.isAfter(cursor, value) { return .before }
            if value == cursor {
                guard !seen.contains(JSONWriter().encodeString(key)) else { return .seen }
                remember(key)
                lastKey = key
                return .fresh
            }
        }
        cursor = value
        keysAtCursor = []
        seen = []
        remember(key)
        lastKey = key
        return .fresh
    }

    private mutating func remember(_ key: JSONValue) {
        if seen.insert(JSONWriter().encodeString(key)).inserted { keysAtCursor.append(key) }
    }
}
