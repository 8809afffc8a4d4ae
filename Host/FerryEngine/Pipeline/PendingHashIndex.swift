import FerryJSON

/// Finds a key's latest entry in a commit group's list of (key, hash) pairs, the list the
/// group commits (`BatchCommit.hashes`, in arrival order).
///
/// A `[String: UInt64]` beside the list held every key a second time: 6.3 MB for a group of
/// 100,000 records, two of them while one group hands over to the next (`massif`,
/// docs/performance.md). This table holds only positions in the list, four bytes a slot with
/// linear probing, and compares the key found there with the key asked for.
struct PendingHashIndex {
    /// Positions in the list, -1 for an empty slot; the count is a power of two.
    private var slots: [Int32] = []
    private(set) var count = 0

    init(minimumCapacity: Int = 0) {
        if minimumCapacity > 0 { slots = Array(repeating: -1, count: Self.slotCount(for: minimumCapacity)) }
    }

    var isEmpty: Bool { count == 0 }

    /// Files `position` (of `list`) under its key: the latest position of a key wins.
    mutating func insert(_ position: Int, of list: [(key: String, hash: UInt64)]) {
        if (count + 1) * 2 > slots.count { grow(list) }
        let key = list[position].key
        var slot = Self.start(key, slots.count)
        while slots[slot] >= 0 {
            if list[Int(slots[slot])].key == key {
                slots[slot] = Int32(position)
                return
            }
            slot = (slot + 1) & (slots.count - 1)
        }
        slots[slot] = Int32(position)
        count += 1
    }

    /// The latest hash filed under `key`, if any.
    func hash(of key: String, in list: [(key: String, hash: UInt64)]) -> UInt64? {
        guard count > 0 else { return nil }
        var slot = Self.start(key, slots.count)
        while slots[slot] >= 0 {
            let entry = list[Int(slots[slot])]
            if entry.key == key { return entry.hash }
            slot = (slot + 1) & (slots.count - 1)
        }
        return nil
    }

    private mutating func grow(_ list: [(key: String, hash: UInt64)]) {
        let old = slots
        slots = Array(repeating: -1, count: max(16, old.count * 2))
        for position in old where position >= 0 {
            var slot = Self.start(list[Int(position)].key, slots.count)
            while slots[slot] >= 0 { slot = (slot + 1) & (slots.count - 1) }
            slots[slot] = position
        }
    }

    /// The key's first slot, from its UTF-8 bytes: XXH64 of a short key costs a fraction of
    /// `String.hashValue` (SipHash over a normalizing walk), and the state stores keys by their bytes too.
    private static func start(_ key: String, _ slotCount: Int) -> Int {
        var key = key
        let hash = key.withUTF8 { XXHash64.hash(UnsafeRawBufferPointer($0)) }
        return Int(truncatingIfNeeded: hash) & (slotCount - 1)
    }

    /// Slots for `count` keys at most half full.
    private static func slotCount(for count: Int) -> Int {
        var slots = 16
        while slots < count * 2 { slots <<= 1 }
        return slots
    }
}
