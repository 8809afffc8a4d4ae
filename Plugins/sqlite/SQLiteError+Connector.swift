import CSQLite
import FerryPluginSDK
import FerrySQLite

extension SQLiteError {
    /// True for constraint, type and size errors that belong to one record, not the batch.
    var isRecordError: Bool {
        let primary = code & 0xFF
        return primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH || primary == SQLITE_TOOBIG
            || primary == SQLITE_RANGE
    }

    /// The error as the host should see it: locks are retryable, the rest is not.
    var pluginError: PluginError {
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL, SQLITE_PROTOCOL:
            return .retryable("sqlite: \(message)")
        case SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH:
            return .invalid("sqlite: \(message)")
        default:
            return PluginError(status: -8, message: "sqlite: \(message)")
        }
    }
}
