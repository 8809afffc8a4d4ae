import FerryCore
import Foundation

/// The shared `StateStore`: Ferry's tables in one schema of a PostgreSQL database, so that
/// several Ferry processes on several machines keep one state.
///
/// Each method is one transaction on one connection guarded by a lock (`commit` included: a
/// batch's checkpoint, counts, mappings, dead letters and hashes land together or not at all).
/// The schema is created and upgraded on open under an advisory lock, so processes starting at
/// once never race; a schema written by a newer Ferry is refused.
///
/// Leases: as with SQLite, a live holder of a (site, pipeline) lease makes `beginRun` throw
/// `pipelineBusy`, and a holder on this host whose process has gone is taken over at once. A
/// holder on another machine can't be checked by pid, so every lease also expires
/// `leaseSeconds` after its last renewal (by the database's clock): this store renews the leases
/// of its unfinished runs from a heartbeat thread every third of that, and with each commit.
/// An expired lease is taken over and its run marked failed, which also stops the old run
/// from committing.
/// `@unchecked Sendable`: the connection and the run set are only touched under `lock`.
public final class PostgresStateStore: StateStore, @unchecked Sendable {
    /// The schema version this build writes.
    public static var schemaVersion: Int { PostgresStateSchema.latestVersion }

    /// Where the state is.
    public let url: PostgresStateURL
    /// The process this store takes leases for.
    public let holder: LeaseHolder

    private let lock = NSLock()
    private var connection: PGConnection?
    private var hook: ((String) throws -> Void)?
    /// Runs begun here and not yet finished: their leases are renewed.
    private var heldRuns: Set<RunID> = []
    private let heartbeat: LeaseHeartbeat?

    /// Called inside the commit transaction after each step of `commit(_:)` with the
    /// step's name; a throw rolls the batch back. Tests use it to check atomicity.
    var commitFaultHook: ((String) throws -> Void)? {
        get { lock.withLock { hook } }
        set { lock.withLock { hook = newValue } }
    }

    /// Connects, creates the schema and its tables when missing and upgrades them.
    /// - Parameters:
    ///   - url: the database and schema.
    ///   - holder: whom leases are taken for, normally this process.
    ///   - renewsLeases: false stops the heartbeat (tests use it to let a lease expire).
    public init(url: PostgresStateURL, holder: LeaseHolder = .current, renewsLeases: Bool = true) throws {
        self.url = url
        self.holder = holder
        do {
            let connection = try PGConnection(url: url)
            try Self.migrate(connection, url: url)
            self.connection = connection
        } catch {
            throw Self.stateError(error, url: url)
        }
        heartbeat = renewsLeases ? LeaseHeartbeat(interval: url.leaseSeconds / 3) : nil
        heartbeat?.start { [weak self] in self?.renewLeases() }
    }

    /// Closes the connection and stops renewing leases; later calls throw. Leases this store
    /// holds stay until they expire or are taken over.
    public func close() {
        heartbeat?.stop()
        lock.withLock {
            connection?.close()
            connection = nil
        }
    }

    deinit {
        heartbeat?.stop()
        connection?.close()
    }

    // MARK: Access

    /// Runs `body` in one transaction on the connection under the lock, again (up to three
    /// times) when PostgreSQL reports a deadlock or serialization failure; errors become `StateError`s.
    @discardableResult
    func transaction<T>(_ purpose: String, _ body: (PGConnection) throws -> T) throws -> T {
        try lock.withLock {
            guard let connection else { throw StateError(.storage, "The state store \(url) is closed.") }
            var attempt = 0
            while true {
                attempt += 1
                do {
                    try connection.reconnectIfBroken()
                    try connection.execute("BEGIN", purpose: purpose)
                    do {
                        let result = try body(connection)
                        try connection.execute("COMMIT", purpose: purpose)
                        return result
                    } catch {
                        try? connection.execute("ROLLBACK", purpose: "roll back: \(purpose)")
                        throw error
                    }
                } catch let error as PGError where error.isRetryable && attempt < 3 {
                    continue
                } catch {
                    throw Self.stateError(error, url: url)
                }
            }
        }
    }

    /// A `StateError` for a failure (store errors and injected test failures pass through).
    static func stateError(_ error: any Error, url: PostgresStateURL) -> any Error {
        guard let error = error as? PGError else { return error }
        return StateError(.storage, "State store \(url): \(error)")
    }

    static var now: Double { Date().timeIntervalSince1970 }

    /// A stable 64-bit key for `pg_advisory_xact_lock`, from what the lock guards (FNV-1a).
    static func advisoryKey(_ parts: String...) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.joined(separator: "\u{0}").utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    // MARK: Schema

    /// Creates the schema and applies the missing migrations, in one transaction under an
    /// advisory lock on the schema's name: a second process waits, then finds nothing to do.
    static func migrate(_ connection: PGConnection, url: PostgresStateURL) throws {
        let purpose = "upgrade the state schema \(url.schema)"
        try connection.execute("BEGIN", purpose: purpose)
        do {
            try connection.query(
                "SELECT pg_advisory_xact_lock($1)", [advisoryKey("ferry-state-migrations", url.schema).pgValue],
                purpose: "wait for other processes upgrading the schema \(url.schema)")
            try connection.execute(
                """
                CREATE SCHEMA IF NOT EXISTS "\(url.schema)";
                CREATE TABLE IF NOT EXISTS ferry_schema_migrations (
                    version INTEGER PRIMARY KEY,
                    purpose TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """, purpose: "create the schema \(url.schema)")
            let current =
                try connection.query(
                    "SELECT COALESCE(MAX(version), 0) FROM ferry_schema_migrations",
                    purpose: "read the schema version"
                ).first?.int(0) ?? 0
            let latest = PostgresStateSchema.latestVersion
            guard current <= latest else {
                throw StateError(
                    .storage,
                    "The state store \(url) has schema version \(current), newer than the \(latest) this Ferry knows; "
                        + "use a newer Ferry (or another schema)")
            }
            for migration in PostgresStateSchema.migrations where migration.version > current {
                try connection.execute(
                    migration.sql, purpose: "\(migration.purpose) (schema version \(migration.version))")
                try connection.query(
                    "INSERT INTO ferry_schema_migrations (version, purpose) VALUES ($1, $2)",
                    [migration.version.pgValue, migration.purpose.pgValue],
                    purpose: "record schema version \(migration.version)")
            }
            try connection.execute("COMMIT", purpose: purpose)
        } catch {
            try? connection.execute("ROLLBACK", purpose: "roll back: \(purpose)")
            throw error
        }
    }

    // MARK: Leases

    /// Marks a run as holding a lease this store renews.
    func holdLease(of run: RunID) { heldRuns.insert(run) }
    func releaseLease(of run: RunID) { heldRuns.remove(run) }

    /// Pushes back the expiry of the leases of this store's unfinished runs.
    func renewLeases() {
        let runs = lock.withLock { Array(heldRuns) }
        guard !runs.isEmpty else { return }
        _ = try? transaction("renew the leases of runs \(runs)") { db in
            try db.query(
                """
                UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $1)
                WHERE run_id = ANY($2::bigint[])
                """, [url.leaseSeconds.pgValue, PGArray.text(runs.map(String.init)).pgValue],
                purpose: "renew the leases")
        }
    }
}

/// A thread that calls its job every `interval` until stopped.
final class LeaseHeartbeat: @unchecked Sendable {
    private let interval: Double
    private let stopped = NSCondition()
    private var isStopped = false

    init(interval: Double) { self.interval = max(interval, 0.2) }

    func start(_ job: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while true {
                stopped.lock()
                if !isStopped { _ = stopped.wait(until: Date().addingTimeInterval(interval)) }
                let done = isStopped
                stopped.unlock()
                if done { return }
                job()
            }
        }
        thread.name = "ferry-state-lease-heartbeat"
        thread.start()
    }

    func stop() {
        stopped.lock()
        isStopped = true
        stopped.signal()
        stopped.unlock()
    }
}
