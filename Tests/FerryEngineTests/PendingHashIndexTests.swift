import Testing

@testable import FerryEngine

/// The commit group's index of its pending hashes answers as a dictionary of the latest hash
/// per key would: through growth, repeated keys (the latest wins) and keys never filed.
@Suite struct PendingHashIndexTests {
    @Test func answersAsADictionaryOfTheLatestHashPerKey() {
        var generator = SystemRandomNumberGenerator()
        for reserved in [0, 5, 3_000] {
            var list: [(key: String, hash: UInt64)] = []
            var index = PendingHashIndex(minimumCapacity: reserved)
            var latest: [String: UInt64] = [:]
            for _ in 0..<5_000 {
                // Few enough distinct keys that many repeat; some long enough to live on the heap.
                let number = Int.random(in: 0..<2_500, using: &generator)
                let key = number % 7 == 0 ? "a-long-key-of-more-than-fifteen-bytes-\(number)" : String(number)
                let hash = UInt64.random(in: 0...UInt64.max, using: &generator)
                list.append((key, hash))
                index.insert(list.count - 1, of: list)
                latest[key] = hash
            }
            #expect(index.count == latest.count)
            for (key, hash) in latest { #expect(index.hash(of: key, in: list) == hash) }
            for absent in ["-1", "2500", "", "a-long-key-of-more-than-fifteen-bytes-1"] {
                #expect(index.hash(of: absent, in: list) == nil)
            }
        }
    }

    @Test func anEmptyIndexFindsNothing() {
        let index = PendingHashIndex(minimumCapacity: 100)
        #expect(index.isEmpty && index.hash(of: "1", in: [("1", 7)]) == nil)
    }
}
