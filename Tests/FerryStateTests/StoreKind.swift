import Foundation
import Testing

@testable import FerryCore
@testable import FerryState
@testable import FerryStatePostgres

/// The state store implementations every conformance test runs against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case inMemory
    case sqlite
    /// On the server `FERRY_TEST_PG_DSN` names (scripts/test.sh starts one), a schema per store.
    case postgres

    /// The kinds under test: PostgreSQL too unless FERRY_SKIP_POSTGRES=1.
    static var allCases: [StoreKind] {
        PostgresTestServer.skipped ? [.inMemory, .sqlite] : [.inMemory, .sqlite, .postgres]
    }

    var testDescription: String { rawValue }

    /// A fresh, empty store (in a new temporary directory for SQLite).
    func makeStore(holder: LeaseHolder = .current) throws -> StoreFixture {
        switch self {
        case .inMemory:
            return StoreFixture(kind: self, store: InMemoryStateStore(holder: holder), directory: nil)
        case .sqlite:
            let directory = try TemporaryDirectory()
            return StoreFixture(
                kind: self, store: try SQLiteStateStore(path: directory.path("state.db"), holder: holder),
                directory: directory)
        case .postgres:
            let schema = try PostgresTestServer.freshSchema()
            return StoreFixture(
                kind: self, store: try PostgresStateStore(url: schema.url, holder: holder), directory: nil,
                schema: schema)
        }
    }
}

/// A store under test, with what is needed to open more connections to the same state.
final class StoreFixture: @unchecked Sendable {
    let kind: StoreKind
    let store: any StateStore
    let directory: TemporaryDirectory?
    let schema: PostgresTestSchema?

    init(kind: StoreKind, store: any StateStore, directory: TemporaryDirectory?, schema: PostgresTestSchema? = nil) {
        self.kind = kind
        self.store = store
        self.directory = directory
        self.schema = schema
    }

    /// Another store on the same state (another connection to the same file), taking leases as `holder`.
    func secondStore(holder: LeaseHolder = .current) throws -> any StateStore {
        switch store {
        case let memory as InMemoryStateStore:
            return InMemoryStateStore(sharingStateWith: memory, holder: holder)
        case let sqlite as SQLiteStateStore:
            return try SQLiteStateStore(path: sqlite.path, holder: holder)
        case let postgres as PostgresStateStore:
            return try PostgresStateStore(url: postgres.url, holder: holder)
        default:
            fatalError("unknown store \(type(of: store))")
        }
    }

    /// Makes `commit(_:)` fail after the named step.
    func failCommit(after failingStep: String?) {
        let hook: ((String) throws -> Void)? = failingStep.map { failingStep in
            { step in if step == failingStep { throw InjectedFailure(step: step) } }
        }
        switch store {
        case let memory as InMemoryStateStore: memory.commitFaultHook = hook
        case let sqlite as SQLiteStateStore: sqlite.commitFaultHook = hook
        case let postgres as PostgresStateStore: postgres.commitFaultHook = hook
        default: fatalError("unknown store \(type(of: store))")
        }
    }
}

/// The error the commit fault hook throws.
struct InjectedFailure: Error, Equatable {
    var step: String
}

/// A directory under the system's temporary directory, removed when released.
final class TemporaryDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-state-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The pid of a process that has ended (and been reaped).
func deadProcessID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}
