import FerryJSON

/// The order an upsert batch's records are written in: by primary key.
///
/// With ids in random order (an API sorted by `updated_at`) each record lands on another
/// leaf of the table's B-tree; written in key order, neighbouring records share leaves and
/// SQLite reads and dirties each page once per batch instead of once per record. Records
/// with the same key keep their order, so the last one still wins. A batch whose keys are
/// not all plain integers or plain strings of one column keeps its own order.
enum WriteOrder {
    /// A key as SQLite orders it: integers before text, text by its bytes (BINARY collation).
    enum Key: Comparable {
        case integer(Int64)
        case text([UInt8])

        static func < (lhs: Key, rhs: Key) -> Bool {
            switch (lhs, rhs) {
            case (.integer(let left), .integer(let right)): return left < right
            case (.integer, .text): return true
            case (.text, .integer): return false
            case (.text(let left), .text(let right)): return left.lexicographicallyPrecedes(right)
            }
        }

        /// The key a raw JSON value holds, or nil when it needs the parser (escapes, big or odd numbers).
        init?(raw value: UnsafeRawBufferPointer) {
            if value.first == UInt8(ascii: "\"") {
                guard value.count >= 2 else { return nil }
                let inner = UnsafeRawBufferPointer(rebasing: value[1..<(value.count - 1)])
                guard !inner.contains(UInt8(ascii: "\\")) else { return nil }
                self = .text(Array(inner))
            } else if let integer = JSONNumber.smallInteger(value) {
                self = .integer(integer)
            } else {
                return nil
            }
        }

        init?(_ value: JSONValue?) {
            switch value {
            case .int(let integer)?: self = .integer(integer)
            case .string(let text)?: self = .text(Array(text.utf8))
            default: return nil
            }
        }
    }

    /// The place of a record refused before any SQL runs for it (not JSON, no key): any will do.
    static let refused = Key.integer(.min)

    /// The positions of `keys` sorted by key, equal keys in their batch order; the batch's
    /// own order when any key is unknown (nil).
    static func sorted(_ keys: [Key?]) -> [Int] {
        // Integer keys (most tables) sort as plain pairs, without comparing `Key`s.
        var integers: [(key: Int64, index: Int)] = []
        integers.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() {
            guard case .integer(let integer)? = key else { break }
            integers.append((integer, index))
        }
        if integers.count == keys.count {
            integers.sort { $0.key != $1.key ? $0.key < $1.key : $0.index < $1.index }
            return integers.map(\.index)
        }
        var known: [(key: Key, index: Int)] = []
        known.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() {
            guard let key else { return Array(keys.indices) }
            known.append((key, index))
        }
        known.sort { $0.key < $1.key || ($0.key == $1.key && $0.index < $1.index) }
        return known.map(\.index)
    }
}
