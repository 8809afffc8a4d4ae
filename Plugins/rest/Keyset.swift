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

    /// Whether the record at (`value`, `key`) comes after the position; if so it becomes the position.
    mutating func admit(cursor value: JSONValue, key: JSONValue) -> Bool {
        if let cursor {
            if RESTReader.isAfter(cursor, value) { return false }
            if value == cursor {
                guard !seen.contains(JSONWriter().encodeString(key)) else { return false }
                remember(key)
                lastKey = key
                return true
            }
        }
        cursor = value
        keysAtCursor = []
        seen = []
        remember(key)
        lastKey = key
        return true
    }

    private mutating func remember(_ key: JSONValue) {
        if seen.insert(JSONWriter().encodeString(key)).inserted { keysAtCursor.append(key) }
    }
}
