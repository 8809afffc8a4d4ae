import FerryJSON
import FerryPluginSDK
import FerrySQLite

/// One database connection serving as source and destination.
public final class SQLiteConnector: SourceConnector, CheckpointingDestination, TransactionalDestination {
    private let database: SQLiteDatabase
    private let source: SQLiteSource
    private let destination: SQLiteDestination
    private var cancelled = false

    init(config: SQLiteConfig, host: HostServices) throws {
        do {
            // Two runs opening a new file at once race to set its journal mode: the loser tries again.
            database = try SQLiteDatabase.retryingWhileBusy {
                let database = try SQLiteDatabase.open(
                    connectorPath: config.path, fileMode: config.fileMode, buffersWAL: config.commitsSyncTheWAL,
                    keepsWALFile: config.keepsWALFile)
                // temp_store=MEMORY: a write inside a multi-write transaction (a commit group) runs
                // under a savepoint, whose journal holds the original of every page the write
                // changes; in a temporary file that was ~4 KiB written per record (2 GiB per
                // 500k records), in memory it is at most one batch's pages, freed at the release.
                // The page size first: SQLite applies it while the file is still empty, that is
                // until the journal mode below writes its header, and ignores it afterwards.
                try database.execute(
                    (config.pageSize.map { "PRAGMA page_size=\($0); " } ?? "")
                        + "PRAGMA journal_mode=\(config.journalMode); PRAGMA synchronous=\(config.synchronous); "
                        + "PRAGMA cache_size=-\(config.cacheSizeMiB * 1024); PRAGMA temp_store=MEMORY;",
                    purpose: "set the page size, journal mode, synchronous level, page cache and temporary store")
                return database
            }
        } catch let error as SQLiteError {
            throw error.pluginError
        }
        source = SQLiteSource(database: database, config: config)
        destination = SQLiteDestination(database: database, config: config, host: host)
        source.isCancelled = { [unowned self] in self.cancelled || host.isCancelled }
        if let wanted = config.pageSize, let kept = try? database.pragma("page_size"), kept != String(wanted) {
            host.log(
                .warning,
                "The database keeps its page size of \(kept) bytes: page_size \(wanted) applies to a file this connector creates.",
                ["path": .string(config.path)])
        }
    }

    /// Runs `SELECT 1` to prove the database opens and reads.
    public func check() throws -> CheckReport {
        do {
            let statement = try database.prepare("SELECT count(*) FROM sqlite_schema", purpose: "check the database")
            try statement.step()
            return CheckReport(ok: true, message: "Database opened (\(statement.int64(at: 0)) schema entries).")
        } catch let error as SQLiteError {
            return CheckReport(ok: false, message: "sqlite: \(error.message)")
        }
    }

    public func cancel() { cancelled = true }

    public func discover() throws -> [StreamDescriptor] {
        do { return try source.discover() } catch let error as SQLiteError { throw error.pluginError }
    }

    public func read(_ request: ReadRequest) throws -> any BatchReader {
        do { return try source.read(request) } catch let error as SQLiteError { throw error.pluginError }
    }

    public func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        do { return try destination.write(request, records: records) } catch let error as SQLiteError {
            throw error.pluginError
        }
    }

    /// The checkpoint the last write for `scope` stored with its rows.
    public func storedCheckpoint(scope: String) throws -> DurableCheckpoint? {
        do { return try CheckpointTable.load(scope: scope, from: database) } catch let error as SQLiteError {
            throw error.pluginError
        }
    }
}
