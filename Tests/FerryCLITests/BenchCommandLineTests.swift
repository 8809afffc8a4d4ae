import FerryTesting
import Foundation
import Testing

/// `ferry-bench`'s command line (swift-argument-parser): a benchmark or a value it does not
/// know is refused before anything runs, naming what was wrong; a small run of the in-memory
/// transform benchmark prints its figures. (The figures themselves are never asserted.)
@Suite struct BenchCommandLineTests {
    static let bench = Sandbox.buildFolder.appendingPathComponent("ferry-bench").path

    @Test func anUnknownBenchmarkIsRefusedWithTheKnownOnes() throws {
        let outcome = try Sandbox().run(Self.bench, ["reset"])
        #expect(outcome.status == 64, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stderr.contains("'reset'"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("rest-detail"), "the message lists the benchmarks: \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty, "nothing ran: \(outcome.stdout)")
    }

    @Test(arguments: [
        (["rest", "--rest-records", "1000,abc"], "--rest-records"),
        (["rest", "--rest-records", "0"], "--rest-records"),
        (["rest", "--rest-incremental-runs", "0"], "--rest-incremental-runs must be at least 1, got 0"),
        (["postgres", "--postgres-rounds", "0"], "--postgres-rounds must be at least 1, got 0"),
        (["postgres", "--postgres-copy", "yes"], "--postgres-copy"),
        (["transform", "--transform-records", "many"], "--transform-records"),
        (
            ["transform", "--transfrom-records=10"],
            "Unknown option '--transfrom-records'. Did you mean '--transform-records'?"
        ),
    ])
    func aBadOptionIsRefusedNamingIt(arguments: [String], message: String) throws {
        let outcome = try Sandbox().run(Self.bench, arguments)
        #expect(outcome.status == 64, "\(arguments): \(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
        #expect(outcome.stdout.isEmpty, "nothing ran: \(outcome.stdout)")
    }

    @Test func theTransformBenchmarkRunsTheCountItIsGiven() throws {
        let outcome = try Sandbox().run(Self.bench, ["transform", "--transform-records", "3000"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "transform: 3000 records (10000 distinct, in memory), one thread", "\(lines)")
        #expect(lines.filter { $0.contains("records/s") && $0.contains("kept)") }.count == 2, "\(lines)")
    }

    @Test func helpListsEveryBenchmark() throws {
        let outcome = try Sandbox().run(Self.bench, ["--help"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        for name in ["abi", "sqlite", "postgres", "rest", "rest-detail", "transform", "state", "workers"] {
            #expect(outcome.stdout.contains("  \(name) "), "\(name) in \(outcome.stdout)")
        }
    }
}
