import FerryCore
import FerryState
import Foundation
import Testing

/// Throughput of the hash paths, printed, not asserted: run with
/// `FERRY_STATE_BENCH=1 swift test --filter StateStoreThroughput` (best in release).
@Suite("StateStore throughput", .enabled(if: ProcessInfo.processInfo.environment["FERRY_STATE_BENCH"] != nil))
struct StateStoreThroughput {
    @Test func hashCommitsAndLookups() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStateStore(path: directory.path("bench.db"))
        let pipeline = PipelineID(site: "plant-0042", pipeline: "vcom-to-yuman")
        let run = try store.beginRun(pipeline)
        let total = 200_000, batchSize = 5_000
        let keys = (0..<total).map { "measurement-\($0 &* 7919 % 1_000_003)" }

        /// (wall, CPU) seconds since `start`.
        struct Stopwatch {
            var wall = Date()
            var cpu = Stopwatch.cpuNow()
            static func cpuNow() -> Double {
                var time = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
                return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
            }
            var elapsed: (wall: Double, cpu: Double) { (Date().timeIntervalSince(wall), Stopwatch.cpuNow() - cpu) }
        }
        var start = Stopwatch()
        for batch in stride(from: 0, to: total, by: batchSize) {
            let hashes = keys[batch..<batch + batchSize].map {
                (key: $0, hash: UInt64(truncatingIfNeeded: $0.hashValue))
            }
            try store.commit(
                BatchCommit(
                    run: run, pipeline: pipeline, stream: "measurements", checkpoint: "\(batch)",
                    counts: BatchCounts(read: batchSize, written: batchSize), hashes: hashes))
        }
        let insert = start.elapsed

        start = Stopwatch()
        for batch in stride(from: 0, to: total, by: batchSize) {
            let hashes = keys[batch..<batch + batchSize].map {
                (key: $0, hash: UInt64(truncatingIfNeeded: $0.hashValue) &+ 1)
            }
            try store.commit(
                BatchCommit(
                    run: run, pipeline: pipeline, stream: "measurements", checkpoint: "\(batch)",
                    counts: BatchCounts(read: batchSize, written: batchSize), hashes: hashes))
        }
        let update = start.elapsed

        var shuffled = keys
        shuffled.shuffle()
        start = Stopwatch()
        var found = 0
        for batch in stride(from: 0, to: total, by: batchSize) {
            found += try store.recordHashes(
                for: pipeline, stream: "measurements", keys: Array(shuffled[batch..<batch + batchSize])
            ).count
        }
        let lookup = start.elapsed
        #expect(found == total)

        start = Stopwatch()
        var missing = 0
        for batch in stride(from: 0, to: total, by: batchSize) {
            missing += try store.recordHashes(
                for: pipeline, stream: "measurements",
                keys: (batch..<batch + batchSize).map { "absent-\($0)" }
            ).count
        }
        let misses = start.elapsed
        #expect(missing == 0)

        func rate(_ seconds: (wall: Double, cpu: Double)) -> String {
            "\(Int(Double(total) / seconds.wall)) keys/s wall, \(Int(Double(total) / seconds.cpu)) keys/s CPU"
        }
        print(
            """
            state store throughput, \(total) keys in batches of \(batchSize):
              commit new hashes:      \(rate(insert))
              commit changed hashes:  \(rate(update))
              lookup (all present):   \(rate(lookup))
              lookup (all absent):    \(rate(misses))
            """)
    }
}
