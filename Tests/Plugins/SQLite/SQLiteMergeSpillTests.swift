import FerryJSON
import FerryPluginSDK
import Testing

/// The merge stage past `merge_memory_mib`: the rows in memory are sorted and spilled to a
/// scratch file as a run, and the merge reads the runs back in key order. The table must end
/// exactly as with everything in memory: the last of equal keys wins across runs, a write
/// rolled back takes back only its own rows, an abandoned transaction its runs too.
@Suite struct SQLiteMergeSpillTests {
    typealias Stage = SQLiteMergeStageTests

    /// 300 records of about 2 kB (600 kB a write): with 1 MiB in memory, every second write spills.
    static func records(round: Int, ids: (Int) -> Int) -> [JSONValue] {
        let pad = String(repeating: "p", count: 2_000)
        return (0..<300).map { index in
            ["id": .int(Int64(ids(index))), "pad": .string(pad), "n": .int(Int64(round)), "i": .int(Int64(index))]
        }
    }

    /// The spilled runs of each merge, from its log line.
    static func spilledRuns(_ destination: PluginInstance) -> [Int] {
        Stage.merges(destination).map { line in
            guard let range = line.range(of: #""spilled_runs":\s*(\d+)"#, options: .regularExpression) else {
                return -1
            }
            return Int(line[range].filter(\.isNumber)) ?? -1
        }
    }

    /// A connector with 1 MiB of its 64 MiB stage in memory (and `extra`), on a new database
    /// whose table holds the row with id 0 (keep the folder alive).
    static func spilling(_ extra: JSONObject = [:]) throws -> (TemporaryDirectory, String, PluginInstance) {
        var config: JSONObject = ["merge_memory_mib": 1, "merge_stage_mib": 64]
        for (key, value) in extra { config[key] = value }
        let (directory, path, destination) = try Stage.fresh(config)
        _ = try destination.write(Stage.upsert("t1", commit: true), records: [["id": 0, "pad": "", "n": -1, "i": 0]])
        return (directory, path, destination)
    }

    @Test func runsSpilledPastTheStagesMemoryMergeInKeyOrderTheLastOfEqualKeysWinning() throws {
        let (directory, path, destination) = try Self.spilling()
        defer { _ = directory }
        var expected: [Int: (n: Int, i: Int)] = [0: (-1, 0)]
        for round in 0..<9 {
            // Scattered ids, overlapping from round to round; every third round repeats an id in the write itself.
            let ids: (Int) -> Int = { index in
                round % 3 == 2 && index % 10 == 0 ? 1_000 : (index * 7_919 + round * 101) % 700 + 1
            }
            let records = Self.records(round: round, ids: ids)
            #expect(try destination.write(Stage.upsert("t2"), records: records).accepted == 300)
            for index in 0..<300 { expected[ids(index)] = (round, index) }
        }
        #expect(Stage.merges(destination).isEmpty, "nothing is merged before the commit")
        _ = try destination.write(Stage.upsert("t2", commit: true), records: [])
        let runs = Self.spilledRuns(destination)
        #expect(runs.count == 1 && runs[0] >= 3, "\(Stage.merges(destination))")
        let rows = try SQLiteTest.query(path, "SELECT id, n, i FROM items ORDER BY id")
        let want = expected.keys.sorted().map { id in [String(id), String(expected[id]!.n), String(expected[id]!.i)] }
        #expect(rows == want)
    }

    @Test func aRefusedRecordAfterSpilledRunsTakesBackOnlyItsOwnWrite() throws {
        let (directory, path, destination) = try Self.spilling()
        defer { _ = directory }
        try Stage.failCheckpoints(path)
        for round in 0..<4 {
            _ = try destination.write(Stage.upsert("t2"), records: Self.records(round: round) { $0 + 1 })
        }
        // Its checkpoint cannot be stored: the whole write fails after its records were staged.
        #expect(throws: (any Error).self) {
            try destination.write(
                Stage.failing("t2"), lines: [#"{"id":5,"pad":"x","n":99,"i":0}"#, #"{"id":6,"pad":"x","n":1,"i":0}"#])
        }
        // A key that is null is refused alone.
        let refused = try destination.write(
            Stage.upsert("t2"), lines: [#"{"id":7,"pad":"x","n":50,"i":1}"#, #"{"id":null,"pad":"x","n":50,"i":2}"#])
        #expect(refused.accepted == 1 && refused.rejectedIndexes == [1], "\(refused)")
        _ = try destination.write(Stage.upsert("t2", commit: true), records: [])
        #expect(Self.spilledRuns(destination).first ?? 0 >= 1, "\(Stage.merges(destination))")
        #expect(
            try SQLiteTest.query(path, "SELECT count(*), sum(n = 3), min(id), max(id) FROM items") == [
                ["301", "299", "0", "300"]
            ])
        #expect(
            try SQLiteTest.query(path, "SELECT n, i FROM items WHERE id IN (5, 7) ORDER BY id") == [
                ["3", "4"], ["50", "1"],
            ])
    }

    @Test func anAbandonedTransactionTakesItsSpilledRunsWithIt() throws {
        let (directory, path, destination) = try Self.spilling()
        defer { _ = directory }
        for round in 0..<5 {
            _ = try destination.write(Stage.upsert("t2"), records: Self.records(round: round) { $0 + 1 })
        }
        // The host died here: t3's first write rolls t2 back, its runs and all.
        for round in 10..<15 {
            _ = try destination.write(Stage.upsert("t3"), records: Self.records(round: round) { $0 + 1_001 })
        }
        _ = try destination.write(Stage.upsert("t3", commit: true), records: [])
        #expect(
            try SQLiteTest.query(path, "SELECT count(*), min(id), max(id), min(n), max(n) FROM items WHERE id > 0") == [
                ["300", "1001", "1300", "14", "14"]
            ])
        #expect(Self.spilledRuns(destination).first ?? 0 >= 1, "\(Stage.merges(destination))")
    }

    /// Values stored with a length byte of their own (under 255 bytes) and with their count
    /// before their bytes (255 and more, `StagedValueLayout`), mixed in one row: each must come
    /// back whole from memory, from a spilled run and past a write rolled back between them.
    @Test func valuesAroundTheLongLengthMarkComeBackWholeFromMemoryAndFromSpilledRuns() throws {
        let (directory, path, destination) = try Self.spilling()
        defer { _ = directory }
        try Stage.failCheckpoints(path)
        // The value's bytes are the JSON string, quotes included: 251 + 2 … 262 + 2 bytes.
        func pad(_ round: Int, _ index: Int) -> String {
            String(repeating: Character(UnicodeScalar(UInt8(97 + round % 26))), count: 251 + (index + round) % 12)
        }
        func id(_ round: Int, _ index: Int) -> Int { (index * 7_919 + round * 131) % 2_000 + 1 }
        // A second value at the mark in every fifth row: 253 + 2 … 255 + 2 bytes.
        func tail(_ index: Int) -> String { index % 5 == 0 ? String(repeating: "z", count: 253 + index % 3) : "t" }
        var expected: [Int: [String]] = [0: ["0", "", "-1"]]
        for round in 0..<40 {
            let records: [JSONValue] = (0..<300).map { index in
                [
                    "id": .int(Int64(id(round, index))), "pad": .string(pad(round, index)), "n": .int(Int64(round)),
                    "tail": .string(tail(index)),
                ]
            }
            #expect(try destination.write(Stage.upsert("t2"), records: records).accepted == 300)
            for index in 0..<300 {
                expected[id(round, index)] = [String(id(round, index)), pad(round, index), String(round), tail(index)]
            }
            if round % 19 == 11 {
                // Staged, then rolled back with its write: long values taken back from memory.
                let lines = (1...2).map {
                    #"{"id":\#($0),"pad":"\#(String(repeating: "q", count: 300))","n":99,"tail":"q"}"#
                }
                #expect(throws: (any Error).self) { try destination.write(Stage.failing("t2"), lines: lines) }
            }
        }
        _ = try destination.write(Stage.upsert("t2", commit: true), records: [])
        #expect(Self.spilledRuns(destination).reduce(0, +) >= 1, "\(Stage.merges(destination))")
        let rows = try SQLiteTest.query(path, "SELECT id, pad, n, tail FROM items ORDER BY id")
        let want = expected.keys.sorted().map { key in expected[key]!.map { Optional($0) } }
        #expect(rows.count == want.count)
        #expect(rows == want.map { $0.count == 3 ? $0 + [nil] : $0 })
    }

    @Test func keysThatCannotBeOrderedAreMergedInArrivalOrderInsteadOfSpilled() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(path, "CREATE TABLE items (id REAL PRIMARY KEY, pad TEXT, n INTEGER, i INTEGER)")
        let destination = try SQLiteTest.open(path, ["merge_memory_mib": 1, "merge_stage_mib": 64])
        for round in 0..<4 {
            _ = try destination.write(Stage.upsert("t1"), records: Self.records(round: round) { 300 - $0 })
        }
        _ = try destination.write(Stage.upsert("t1", commit: true), records: [])
        let merges = Stage.merges(destination)
        #expect(merges.count >= 2 && merges.allSatisfy { $0.contains("arrival order") }, "\(merges)")
        #expect(Self.spilledRuns(destination).allSatisfy { $0 == 0 })
        #expect(try SQLiteTest.query(path, "SELECT count(*), min(n), max(n) FROM items") == [["300", "3", "3"]])
    }
}

extension SQLiteMergeSpillTests {
    @Test func aScratchFileThatCannotBeMadeFailsTheWriteByNameAndKeepsWhatWasStaged() throws {
        let (directory, path, destination) = try Self.spilling(["scratch_directory": "/nonexistent/ferry-scratch"])
        defer { _ = directory }
        for round in 0..<2 {
            _ = try destination.write(Stage.upsert("t2"), records: Self.records(round: round) { $0 + 1 })
        }
        // The third write would spill the first two: the scratch file cannot be made.
        var message = ""
        do {
            _ = try destination.write(Stage.upsert("t2"), records: Self.records(round: 2) { $0 + 1 })
        } catch {
            message = "\(error)"
        }
        #expect(message.contains("/nonexistent/ferry-scratch") && message.contains("scratch file"), "\(message)")
        // What was staged before is still there: the group's commit writes it.
        _ = try destination.write(Stage.upsert("t2", commit: true), records: [])
        #expect(
            try SQLiteTest.query(path, "SELECT count(*), min(n), max(n) FROM items WHERE id > 0") == [
                ["300", "1", "1"]
            ])
    }
}
