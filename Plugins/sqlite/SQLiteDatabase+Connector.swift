import CSQLite
import FerryPluginSDK
import FerrySQLite

extension SQLiteDatabase {
    /// Opens (creating when missing, with `fileMode`) the connector's database at `path`.
    ///
    /// SQLite would create the file 0644 (less the umask); the file is created
    /// first with the configured mode instead, and SQLite gives its WAL and
    /// journal files the mode of the database file. A file that is not a SQLite
    /// database is refused here, as a configuration error naming the path.
    ///
    /// - Parameters:
    ///   - buffersWAL: see `SQLiteDatabase.init`; only when commits sync the log.
    ///   - keepsWALFile: see `SQLiteDatabase.init`; only when the database stays in WAL mode.
    static func open(
        connectorPath path: String, fileMode: FileMode = .ownerOnly, buffersWAL: Bool = false,
        keepsWALFile: Bool = false
    ) throws -> SQLiteDatabase {
        try FileSystem.createParentFolders(of: path)
        try fileMode.createFileIfMissing(atPath: path)
        let database: SQLiteDatabase
        do {
            database = try SQLiteDatabase(path: path, buffersWAL: buffersWAL, keepsWALFile: keepsWALFile)
        } catch let error as SQLiteError {
            throw SQLiteError(
                code: error.code, message: "cannot open '\(path)': \(error.message)", purpose: error.purpose)
        }
        // Opening reads nothing yet: the first read says whether this is a database at all.
        do {
            try database.execute("SELECT count(*) FROM sqlite_schema", purpose: "read the schema")
        } catch let error as SQLiteError where error.code & 0xFF == SQLITE_NOTADB {
            throw PluginError.invalid(
                "config.path '\(path)' is not a SQLite database; point it at a database file or a new file name")
        } catch {
            // Any other failure shows again, with its statement, on the first real use.
        }
        return database
    }
}
