import CHeapStats
import Foundation

extension ConformanceKit {
    /// Rounds the leak check measures, after two warm-up rounds.
    static let leakRounds = 6
    /// Growth per round below which the leak check sees noise, not a leak.
    static let leakThreshold = 1024

    /// Bytes the process's allocator holds in use: every arena's allocated chunks plus
    /// mmapped blocks (glibc's `mallinfo2`); nil where the C library does not say.
    static func bytesInUse() -> Int? {
        let bytes = ferry_heap_bytes_in_use() // size_t arrives as Int: (size_t)-1 is -1
        return bytes < 0 ? nil : bytes
    }

    /// Repeats one whole use of the plugin — a fresh instance reading the stream, or writing
    /// the sample batch — and fails when the allocator holds more after every round than
    /// before it, by at least ``leakThreshold`` bytes a round: memory the plugin took and
    /// never gave back (a batch whose release does not free, a reader `read_close` leaves).
    /// The kit's own copies of what it read are freed before each measurement.
    /// - Parameters:
    ///   - what: What one round does, for the message.
    ///   - round: One round; returns the records it moved.
    func checkLeaks(_ what: String, round: () throws -> Int) throws -> KitResult.Outcome {
        guard Self.bytesInUse() != nil else { return .skipped("this C library does not report heap use") }
        // Warm-up: lazily made type metadata, caches, the first arena pages.
        _ = try round()
        _ = try round()
        var samples = [Self.bytesInUse()!]
        var records = 0
        for _ in 0..<Self.leakRounds {
            records = try round()
            samples.append(Self.bytesInUse()!)
        }
        let growths = zip(samples.dropFirst(), samples).map { $0 - $1 }
        let perRound = (samples.last! - samples.first!) / Self.leakRounds
        guard growths.allSatisfy({ $0 > 0 }), perRound >= Self.leakThreshold else { return .passed }
        let perRecord = records > 0 ? " (~\(perRound / records) bytes a record)" : ""
        return .failed(
            "after each of \(Self.leakRounds) rounds of \(what) (\(records) records, a fresh instance each) the heap "
                + "held ~\(perRound) bytes more\(perRecord): the plugin keeps memory it no longer uses")
    }
}
