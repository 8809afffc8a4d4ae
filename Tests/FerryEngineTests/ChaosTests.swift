import FerryTesting
import Foundation
import Testing

/// The chaos test of the "nothing lost, nothing doubled" promise: a C source that
/// loses pages after progress, × SIGKILL at a random point of a random batch, ×
/// append, upsert and mirror, × a source that changes between runs (new records,
/// changed values, deletions, and records vanishing from a batch a killed run had
/// already written). After every rerun the destination must match the source.
@Suite(.serialized) struct ChaosTests {
    /// `FERRY_CHAOS_ITERATIONS` raises it for a longer soak.
    static let iterations = ProcessInfo.processInfo.environment["FERRY_CHAOS_ITERATIONS"].flatMap(Int.init) ?? 17

    struct SourceRecord: Hashable { var seq: Int; var value: String }

    @Test(arguments: ["append", "upsert", "mirror"])
    func theDestinationMatchesTheSourceAfterEveryKill(mode: String) throws {
        var random = SystemRandomNumberGenerator()
        // Two batches per commit: a kill may fall inside a commit group or between its two commits.
        let sandbox = try NothingLostTests.flakySandbox(
            write: mode, sync: mode == "upsert" ? "full" : "incremental", batchSize: 7, commitRecords: 14)
        var source = (1...60).map { SourceRecord(seq: $0, value: "v\($0)-0") }
        var everServed = Set(source)
        var nextSeq = 61
        func save() throws {
            try sandbox.write(
                "data/records.txt", source.map { #"{"seq":\#($0.seq),"value":"\#($0.value)"}"# + "\n" }.joined())
            everServed.formUnion(source)
        }
        try save()
        func arrive(_ count: Int, iteration: Int) {
            for _ in 0..<count {
                source.append(SourceRecord(seq: nextSeq, value: "v\(nextSeq)-\(iteration)"))
                nextSeq += 1
            }
        }
        for iteration in 1...Self.iterations {
            // New records give the run something to do (the first iteration has the initial ones).
            if iteration > 1 { arrive(Int.random(in: 5...25, using: &random), iteration: iteration) }
            try save()
            // A run that may lose a page and may be killed at any point of a batch's life.
            let lostPage = Int.random(in: 0...3, using: &random) == 0
            try sandbox.write(
                "data/records.txt.faults",
                lostPage ? "fail_after_progress \(Int.random(in: 1...6, using: &random))\n" : "\n")
            let point = ["after_read", "after_write", "after_commit"].randomElement(using: &random)!
            let killed = try sandbox.ferry(
                ["run"], environment: ["FERRY_FAILPOINTS": "\(point):kill:\(Int.random(in: 1...3, using: &random))"])
            #expect(killed.status != 1 && killed.status != 2, "iteration \(iteration) (\(mode)): \(killed.stderr)")

            // The source changes before the rerun: a few records vanish (for append, from
            // anywhere, including a batch the killed run wrote but did not commit), some
            // change (not for append, which reads each record once), new ones arrive.
            for _ in 0..<Int.random(in: 0...2, using: &random) where source.count > 10 {
                source.remove(at: Int.random(in: 0..<source.count, using: &random))
            }
            if ProcessInfo.processInfo.environment["FERRY_CHAOS_TRACE"] != nil {
                print("chaos \(mode) #\(iteration): \(point) status \(killed.status), lost page \(lostPage)")
            }
            if killed.status == -SIGKILL && Bool.random(using: &random) {
                // From the newest records: the batch a killed run may have written but not committed.
                source.remove(at: source.count - Int.random(in: 1...min(7, source.count), using: &random))
            }
            if mode != "append" {
                for _ in 0..<3 {
                    let index = Int.random(in: 0..<source.count, using: &random)
                    source[index].value = "v\(source[index].seq)-\(iteration)"
                }
            }
            arrive(Int.random(in: 1...10, using: &random), iteration: iteration)
            try save()
            try sandbox.write("data/records.txt.faults", "\n")
            let rerun = try sandbox.ferry(["run"])
            #expect(rerun.status == 0, "iteration \(iteration) (\(mode)) rerun: \(rerun.stderr)")

            let rows = try sandbox.sql("out/db.sqlite", "SELECT seq, value FROM records ORDER BY seq;").map {
                line -> SourceRecord in
                let parts = line.split(separator: "|", maxSplits: 1)
                return SourceRecord(seq: Int(parts[0])!, value: parts.count > 1 ? String(parts[1]) : "")
            }
            let seqs = rows.map(\.seq)
            #expect(Set(seqs).count == seqs.count, "iteration \(iteration) (\(mode)): a record was written twice")
            let missing = Set(source).subtracting(rows).map(\.seq).sorted()
            switch mode {
            case "append":
                // Each record once; everything the source holds now arrived; nothing invented.
                #expect(missing.isEmpty, "iteration \(iteration): lost \(missing)")
                #expect(Set(rows).isSubset(of: everServed), "iteration \(iteration): rows the source never had")
            case "upsert":
                // Upsert never deletes: what the source holds is there with its current value.
                #expect(missing.isEmpty, "iteration \(iteration): missing or stale \(missing)")
            default:
                let extra = Set(rows).subtracting(source).map(\.seq).sorted()
                #expect(
                    missing.isEmpty && extra.isEmpty,
                    "iteration \(iteration): the mirror lacks \(missing) and has \(extra)")
            }
            if !missing.isEmpty { return }
        }
    }
}
